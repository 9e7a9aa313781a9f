package chaos

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// diskNS is a mount namespace the test creates for one slot, holding a
// small tmpfs mounted on the slot's data dir: a holder process (sleep)
// keeps the namespace and so the tmpfs alive across the agent's restarts,
// and every run of the agent enters it (nsenter). The test makes the
// data dir read-only (remount) or full (a file filling the tmpfs) — the
// tests run as root, so chmod would prove nothing.
type diskNS struct {
	dir    string
	holder *exec.Cmd
	pid    int
}

// diskTmpfsSize is the size of a slot's data dir: room for everything an
// agent writes, small enough to fill at once.
const diskTmpfsSize = "2m"

// diskAvailable reports whether mount namespaces can be made here (root,
// unshare, nsenter, mount), and why not.
func diskAvailable() (bool, string) {
	if os.Geteuid() != 0 {
		return false, "a mount namespace needs root"
	}
	for _, tool := range []string{"unshare", "nsenter", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			return false, fmt.Sprintf("%s is not installed (util-linux): %v", tool, err)
		}
	}
	if out, err := exec.Command("unshare", "-m", "--propagation", "private", "true").CombinedOutput(); err != nil {
		return false, fmt.Sprintf("cannot create a mount namespace here: %v %s", err, out)
	}
	return true, ""
}

// newDiskNS creates the namespace and the tmpfs on dir; stop ends it.
func newDiskNS(dir string) (*diskNS, error) {
	script := `mount -t tmpfs -o size=` + diskTmpfsSize + ` tmpfs "$1" && echo ready && exec sleep 100000`
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the mount namespace: %w", err)
	}
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- strings.TrimSpace(line) == "ready"
	}()
	select {
	case ok := <-ready:
		if ok {
			return &diskNS{dir: dir, holder: cmd, pid: cmd.Process.Pid}, nil
		}
	case <-time.After(10 * time.Second):
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return nil, fmt.Errorf("the mount namespace for %s did not come up", dir)
}

// stop ends the holder, and with it the namespace and the tmpfs.
func (d *diskNS) stop() {
	_ = d.holder.Process.Kill()
	_ = d.holder.Wait()
}

// command is an agent command that runs in the namespace. nsenter enters
// it and execs the agent (no fork), so signals reach the agent itself.
func (d *diskNS) command(bin string, args ...string) *exec.Cmd {
	return exec.Command("nsenter", append([]string{"-t", strconv.Itoa(d.pid), "-m", "--", bin}, args...)...)
}

// path is a file of the data dir as the test process sees it.
func (d *diskNS) path(name string) string {
	return filepath.Join("/proc", strconv.Itoa(d.pid), "root", d.dir, name)
}

// sh runs a shell script in the namespace with the data dir as $1.
func (d *diskNS) sh(script string) (string, error) {
	out, err := exec.Command("nsenter", "-t", strconv.Itoa(d.pid), "-m", "sh", "-c", script, "sh", d.dir).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("in the mount namespace, %s: %w: %s", script, err, out)
	}
	return string(out), nil
}

// empty removes everything in the data dir (a fresh data dir).
func (d *diskNS) empty() error {
	_, err := d.sh(`find "$1" -mindepth 1 -delete`)
	return err
}

// The two ways a data dir breaks, and how each heals.
const (
	diskReadOnly = "read-only"
	diskFull     = "full"
)

// breakDisk makes the data dir read-only or full.
func (d *diskNS) breakDisk(how string) error {
	if how == diskReadOnly {
		_, err := d.sh(`mount -o remount,ro "$1"`)
		return err
	}
	// cat stops with "No space left on device": that is the point.
	out, _ := d.sh(`cat /dev/zero > "$1/.fill" 2>/dev/null; df -k "$1" | tail -1`)
	if f := strings.Fields(out); len(f) < 4 || f[3] != "0" {
		return fmt.Errorf("the data dir is not full after filling it: %q", out)
	}
	return nil
}

// mendDisk undoes breakDisk.
func (d *diskNS) mendDisk(how string) error {
	if how == diskReadOnly {
		_, err := d.sh(`mount -o remount,rw "$1"`)
		return err
	}
	_, err := d.sh(`rm -f "$1/.fill"`)
	return err
}

// setupDisks gives the disk slots their mount namespaces, or says why the
// data-dir faults cannot run.
func (w *world) setupDisks() {
	w.canDisk, w.noDisk = diskAvailable()
	if w.canDisk {
		for _, i := range diskSlots {
			if i >= len(w.c.slots) {
				continue
			}
			s := w.c.slots[i]
			d, err := newDiskNS(s.dataDir)
			if err != nil {
				w.canDisk, w.noDisk = false, err.Error()
				break
			}
			s.disk = d
			w.t.Cleanup(d.stop) // after the agents have stopped (cleanups run last first)
		}
	}
	if !w.canDisk {
		if os.Getenv("CI") == "true" {
			w.t.Fatalf("data-dir faults cannot run: %s", w.noDisk)
		}
		w.t.Logf("chaos: data-dir faults left out: %s", w.noDisk)
	}
}

// diskFault breaks the data dir of s (a disk slot) for the hold: the
// registrations made on s meanwhile must be answered "in effect but could
// not be kept" and be in effect everywhere (DNS from memory, checked
// before the heal); once the disk is back they must reach services.json
// (the agent retries the write), and after a kill -9 restart nothing
// acknowledged is lost. It returns a description and the heal's time.
func (w *world) diskFault(s *slot, how string, hold time.Duration) (string, time.Time) {
	kind := kindDiskRO
	if how == diskFull {
		kind = kindDiskFull
	}
	broke := time.Now()
	if err := s.disk.breakDisk(how); err != nil {
		w.errorf("%s on %s: %v", kind, s.name, err)
	}
	w.hold(hold / 2)
	kept, refused, other := 0, 0, 0
	for range 2 + w.rng.IntN(3) {
		in, reg := w.newInst(s)
		err := w.client(s.IP()).Agent().ServiceRegister(reg)
		switch {
		case err == nil:
			// Accepted although the disk is broken: it must then be
			// persisted once the disk is back, as anything acknowledged.
			kept++
			w.truth.add(in)
		case strings.Contains(err.Error(), "could not be kept"):
			refused++
			w.truth.add(in) // in effect in memory; written on the retry
		default:
			other++
			w.t.Logf("chaos: %s: registration of %s on %s: %v", kind, in.id, s.name, err)
			w.pending = append(w.pending, in)
		}
	}
	if other > 0 {
		w.errorf("%s on %s: %d registrations got an answer other than 200 or \"could not be kept\"", kind, s.name, other)
	}
	// The cluster answers from memory meanwhile.
	w.converge(kindDiskMem, broke, nil)
	w.hold(max(0, hold-time.Since(broke)))
	if err := s.disk.mendDisk(how); err != nil {
		w.errorf("%s on %s: mending: %v", kind, s.name, err)
	}
	healed := time.Now()
	// The agent writes the file again on its own (every 5 s).
	want := w.truth.apiInsts(s)
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(s.dataPath("services.json"))
		missing := 0
		for _, in := range want {
			if !strings.Contains(string(b), strconv.Quote(in.id)) {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			w.errorf("%s on %s: %d of %d API registrations still not in services.json 30 s after the disk came back", kind, s.name, missing, len(want))
			w.st.fail()
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	written := time.Since(healed)
	// A kill -9 now must lose nothing acknowledged.
	w.c.kill(s)
	w.restart(s)
	return fmt.Sprintf(", %d registered during it (%d \"could not be kept\", %d accepted), on disk %v after the heal, then kill-9 restart",
		kept+refused+other, refused, kept, written.Round(100*time.Millisecond)), healed
}
