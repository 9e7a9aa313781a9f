// Package testproc runs the child processes of discod's black-box tests
// (test/, test/resolvers, test/stockcoredns): the discod binary built once
// per test package, and processes whose output is kept for failure
// messages and that are always stopped. WaitFor is the bounded wait every
// test package of the module uses.
package testproc

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Buffer collects a process's output; the process writes it while the test
// reads it.
type Buffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Process is one running child process.
type Process struct {
	Name string
	Cmd  *exec.Cmd
	Out  *Buffer // stdout and stderr together
	done chan struct{}
	err  error // exit status, valid once done is closed
}

// Start starts cmd with its output collected in Out. The child gets
// SIGKILL if the test binary dies first, so no test leaves one behind.
func Start(name string, cmd *exec.Cmd) (*Process, error) {
	p := &Process{Name: name, Cmd: cmd, Out: &Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Out, p.Out
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// StartT is Start for one test: it fails the test when the process cannot
// start, and at the end of the test kills the process if it still runs
// and logs its output if the test failed.
func StartT(t testing.TB, name string, cmd *exec.Cmd) *Process {
	t.Helper()
	p, err := Start(name, cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("--- output of %s ---\n%s", p.Name, p.Out.String())
		}
	})
	return p
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the process's exit status once Done is closed.
func (p *Process) Err() error { return p.err }

// Running reports whether the process has not exited yet.
func (p *Process) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Stop sends sig and waits up to timeout for the process to exit, then
// kills it. It returns the exit code (-1 when killed by a signal) and
// whether the process had to be killed. Stopping a process that has
// exited only returns its exit code.
func (p *Process) Stop(sig os.Signal, timeout time.Duration) (code int, killed bool) {
	if p.Running() {
		_ = p.Cmd.Process.Signal(sig)
		select {
		case <-p.done:
		case <-time.After(timeout):
			p.Kill()
			killed = true
		}
	}
	return p.Cmd.ProcessState.ExitCode(), killed
}

// Kill kills the process if it runs and waits for it to exit.
func (p *Process) Kill() {
	if p.Running() {
		_ = p.Cmd.Process.Kill()
	}
	<-p.done
}

// BuildDiscod builds ./cmd/discod of the module into a new temporary
// directory (mode 0755, so that unprivileged users can run it) and returns
// the binary's path; remove its directory when done. pkg is the path of
// cmd/discod relative to the calling test package ("../cmd/discod").
func BuildDiscod(pkg string) (string, error) { return BuildDiscodFlags(pkg) }

// BuildDiscodFlags is BuildDiscod with extra `go build` flags, such as
// -race for agents whose logs a test scans for data races.
func BuildDiscodFlags(pkg string, flags ...string) (string, error) {
	dir, err := os.MkdirTemp("", "discod-test-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "discod")
	args := append(append([]string{"build"}, flags...), "-o", bin, pkg)
	build := exec.Command("go", args...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("building discod: %w", err)
	}
	return bin, nil
}

// lockFile is the machine-wide lock that Serialize takes.
var lockFile = filepath.Join(os.TempDir(), "discod-e2e-tests.lock")

// Serialize waits until no other black-box test package of this checkout
// runs and returns the function that lets the next one in. `go test ./...`
// runs packages side by side; the gossip-timing tests of test/ and the
// stock-CoreDNS build of test/stockcoredns would starve each other on a
// 2-core machine, so each package holds this lock while it runs.
func Serialize() (release func(), err error) {
	f, err := os.OpenFile(lockFile, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("test lock %s: %w", lockFile, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("test lock %s: %w", lockFile, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
