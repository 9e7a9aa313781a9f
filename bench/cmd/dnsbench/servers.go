package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/discod/discod/bench/internal/runtimestats"
)

// serverSpec describes one server under test.
type serverSpec struct {
	Name    string // label in the report, e.g. "consulnode" or "consulnode/errors"
	Mode    string // benchserver -mode
	Chain   string // benchserver -chain
	Addr    netip.Addr
	Port    int
	Members int
	// Instances is benchserver -instances: the service data set.
	Instances int
	Extra     []string // more benchserver flags (diagnostics such as -stackpad)
	Env       []string // more environment variables (GOGC=..., GOMAXPROCS=...)
	Bin       string   // directory of the benchserver binary, if not the kit's (-candidate)
}

// server is a running benchserver process.
type server struct {
	spec   serverSpec
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	stderr *tailBuffer
	// external is a server that is not a benchserver (unbound): it has
	// no control protocol, so it has no runtime counters and is stopped
	// with SIGTERM.
	external bool
	dir      string // removed when the server stops, if set
}

// startServer starts a benchserver for spec and waits until it reports
// ready (it has answered its own query for node0).
func startServer(ctx context.Context, bin string, spec serverSpec) (*server, error) {
	if spec.Mode == "unbound" {
		return startUnbound(ctx, spec)
	}
	args := []string{"-mode", spec.Mode, "-chain", spec.Chain, "-addr", spec.Addr.String(),
		"-port", strconv.Itoa(spec.Port), "-members", strconv.Itoa(spec.Members), "-instances", strconv.Itoa(spec.Instances)}
	if spec.Bin != "" {
		bin = spec.Bin
	}
	cmd := exec.Command(filepath.Join(bin, "benchserver"), append(args, spec.Extra...)...)
	cmd.Env = append(os.Environ(), spec.Env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", spec.Name, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", spec.Name, err)
	}
	s := &server{spec: spec, cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout), stderr: &tailBuffer{max: 4096}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server %s: %w", spec.Name, err)
	}
	line, err := s.readLine(ctx, 60*time.Second)
	if err != nil || line != "ready" {
		s.kill()
		return nil, fmt.Errorf("server %s did not become ready (got %q, %v): %s", spec.Name, line, err, s.stderr.String())
	}
	return s, nil
}

// pid returns the server's process id.
func (s *server) pid() int { return s.cmd.Process.Pid }

// readLine reads one line of the server's output, giving up after d.
func (s *server) readLine(ctx context.Context, d time.Duration) (string, error) {
	type res struct {
		line string
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		l, err := s.out.ReadString('\n')
		ch <- res{strings.TrimSpace(l), err}
	}()
	select {
	case r := <-ch:
		return r.line, r.err
	case <-time.After(d):
		return "", fmt.Errorf("no answer from server %s within %s", s.spec.Name, d)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// command sends one control command and returns the server's answer.
func (s *server) command(ctx context.Context, cmd string) (string, error) {
	if _, err := fmt.Fprintln(s.stdin, cmd); err != nil {
		return "", fmt.Errorf("server %s: send %q: %w", s.spec.Name, cmd, err)
	}
	line, err := s.readLine(ctx, 30*time.Second)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(line, "error:") {
		return "", fmt.Errorf("server %s: %s: %s", s.spec.Name, cmd, line)
	}
	return line, nil
}

// mark and stats bracket a measured run (see benchserver's protocol).
func (s *server) mark(ctx context.Context) error {
	if s.external {
		return nil
	}
	_, err := s.command(ctx, "mark")
	return err
}

func (s *server) stats(ctx context.Context) (runtimestats.Summary, error) {
	var sum runtimestats.Summary
	if s.external {
		return sum, nil
	}
	line, err := s.command(ctx, "stats")
	if err != nil {
		return sum, err
	}
	if err := json.Unmarshal([]byte(line), &sum); err != nil {
		return sum, fmt.Errorf("server %s: stats %q: %w", s.spec.Name, line, err)
	}
	return sum, nil
}

// stop asks the server to quit and waits for it; after 10 s it is killed.
func (s *server) stop() error {
	if s.external {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
	} else {
		_, _ = fmt.Fprintln(s.stdin, "quit")
		_ = s.stdin.Close()
	}
	if s.dir != "" {
		defer func() { _ = os.RemoveAll(s.dir) }()
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil && !(s.external && isSIGTERM(err)) {
			return fmt.Errorf("server %s: %w: %s", s.spec.Name, err, s.stderr.String())
		}
		return nil
	case <-time.After(10 * time.Second):
		s.kill()
		<-done
		return fmt.Errorf("server %s did not stop within 10 s; killed", s.spec.Name)
	}
}

// kill ends the server process at once.
func (s *server) kill() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
	}
}

// fleet is a set of running servers, stopped together.
type fleet []*server

// startFleet starts every spec; on error it stops the ones started.
func startFleet(ctx context.Context, bin string, specs []serverSpec) (fleet, error) {
	var f fleet
	for _, sp := range specs {
		s, err := startServer(ctx, bin, sp)
		if err != nil {
			return nil, errors.Join(err, f.stop())
		}
		f = append(f, s)
	}
	return f, nil
}

func (f fleet) stop() error {
	var errs []error
	for _, s := range f {
		errs = append(errs, s.stop())
	}
	return errors.Join(errs...)
}

// tailBuffer keeps the last max bytes written to it. os/exec writes to it
// from its own goroutine while the orchestrator may read it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

// writeQueries writes a dnsperf data file asking A for every member name,
// in a fixed shuffled order, and returns its path.
func writeQueries(dir string, members int) (string, error) {
	order := make([]int, members)
	for i := range order {
		order[i] = i
	}
	// A fixed-seed Fisher–Yates shuffle (xorshift), so runs are repeatable.
	x := uint64(0x9e3779b97f4a7c15)
	for i := members - 1; i > 0; i-- {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		j := int(x % uint64(i+1))
		order[i], order[j] = order[j], order[i]
	}
	var b strings.Builder
	for _, i := range order {
		fmt.Fprintf(&b, "node%d.node.consul A\n", i)
	}
	path := fmt.Sprintf("%s/queries-%d.txt", dir, members)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return "", fmt.Errorf("write query file: %w", err)
	}
	return path, nil
}

// isSIGTERM reports whether err is a process's exit by SIGTERM, the way
// an external server stopped by stop may end.
func isSIGTERM(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM
}
