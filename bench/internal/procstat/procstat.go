// Package procstat reads a process's CPU time from /proc/<pid>/stat, the
// figure the benchmark kit divides by answered queries.
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ClockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// which is 100 on every Linux architecture Go runs on (getconf CLK_TCK).
const ClockTick = 10 * time.Millisecond

// CPUTime returns the user and system CPU time process pid has used so
// far, all its threads included.
func CPUTime(pid int) (user, system time.Duration, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("read cpu time of pid %d: %w", pid, err)
	}
	return parseStat(b)
}

// parseStat reads utime and stime (fields 14 and 15) from the text of
// /proc/<pid>/stat. The command name (field 2) is in parentheses and may
// hold spaces or parentheses itself, so fields are counted from the last
// ')'.
func parseStat(b []byte) (user, system time.Duration, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parse /proc stat %q: no command name", b)
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("parse /proc stat: %d fields after the command name; want at least 13", len(f))
	}
	u, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	s, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("parse /proc stat: utime %q, stime %q are not numbers", f[11], f[12])
	}
	return time.Duration(u) * ClockTick, time.Duration(s) * ClockTick, nil
}

// RSS returns the resident set size of process pid in bytes (VmRSS in
// /proc/<pid>/status).
func RSS(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("read memory of pid %d: %w", pid, err)
	}
	return parseRSS(b)
}

// parseRSS reads the "VmRSS:  1234 kB" line of /proc/<pid>/status.
func parseRSS(b []byte) (uint64, error) {
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("parse /proc status: VmRSS line %q is not \"N kB\"", bytes.TrimSpace(line))
		}
		kb, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse /proc status: VmRSS %q is not a number", f[0])
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("parse /proc status: no VmRSS line")
}
