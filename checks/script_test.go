package checks

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/servicedef"
)

func TestScript(t *testing.T) {
	tests := []struct {
		name   string
		def    servicedef.Check
		status string
		output string
	}{
		{"exit 0", servicedef.Check{Args: []string{"sh", "-c", "echo all good"}}, "passing", "all good\n"},
		{"exit 1", servicedef.Check{Args: []string{"sh", "-c", "echo degraded >&2; exit 1"}}, "warning", "degraded\n"},
		{"exit 2", servicedef.Check{Args: []string{"sh", "-c", "echo down; exit 2"}}, "critical", "down\n"},
		{"args are not a shell", servicedef.Check{Args: []string{"echo", "$HOME", ";", "exit 1"}}, "passing", "$HOME ; exit 1\n"},
		{"legacy script runs in /bin/sh", servicedef.Check{Script: "echo legacy; exit 1"}, "warning", "legacy\n"},
		{"not found", servicedef.Check{Args: []string{"/nonexistent/check"}}, "critical", "no such file or directory"},
		{"output is capped", servicedef.Check{Args: []string{"sh", "-c", "i=0; while [ $i -lt 200 ]; do echo 0123456789; i=$((i+1)); done"}, OutputMaxSize: 64}, "passing", "0123456789\n0123456789"},
	}
	var logs syncBuffer
	r, rec := newTestRunner(t, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := tt.def
			def.ID, def.Interval = tt.name, fast
			r.Start(def)
			got := rec.waitFor(t, def.ID, tt.status)
			if !strings.Contains(got.output, tt.output) {
				t.Errorf("output %q does not contain %q", got.output, tt.output)
			}
			if max := r.prepare(def).OutputMaxSize; len(got.output) > max {
				t.Errorf("output of %d bytes, over the cap %d", len(got.output), max)
			}
		})
	}
	// Restarting the legacy check does not repeat the warning.
	r.Start(servicedef.Check{ID: "legacy script runs in /bin/sh", Script: "exit 0", Interval: fast})
	rec.waitFor(t, "legacy script runs in /bin/sh", "passing")
	if n := strings.Count(logs.String(), "deprecated"); n != 1 {
		t.Errorf("%d deprecation warnings, want 1:\n%s", n, logs.String())
	}
}

// TestScriptTimeoutKillsProcessGroup runs a script whose child hangs: at
// the timeout the check is critical, with the output so far, and the child
// is dead too.
func TestScriptTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	r, _ := newTestRunner(t, Config{})
	def := servicedef.Check{
		ID:      "hang",
		Args:    []string{"sh", "-c", `echo started; sleep 60 & echo $! > "$0"; wait`, pidFile},
		Timeout: 300 * time.Millisecond,
	}
	def = r.prepare(def)
	ctx, cancel := context.WithTimeout(context.Background(), def.Timeout)
	defer cancel()
	status, output := r.scriptProbe(def)(ctx)
	if want := "Timed out (300ms) running check\n\nstarted\n"; status != "critical" || output != want {
		t.Errorf("status %s, output %q; want critical, %q", status, output, want)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !dead(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the script's child %d survived the timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dead reports whether process pid is gone or a zombie (killed, not yet
// reaped by whoever inherited it).
func dead(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return true
	}
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	_, after, _ := bytes.Cut(st, []byte(") "))
	return len(after) > 0 && after[0] == 'Z'
}

// TestScriptTimeoutThroughRunner checks that the runner applies the
// check's timeout and reports the kill.
func TestScriptTimeoutThroughRunner(t *testing.T) {
	r, rec := newTestRunner(t, Config{})
	r.Start(servicedef.Check{ID: "hang", Args: []string{"sleep", "60"}, Interval: fast, Timeout: 200 * time.Millisecond})
	got := rec.waitFor(t, "hang", "critical")
	if got.output != "Timed out (200ms) running check" {
		t.Errorf("output %q", got.output)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
