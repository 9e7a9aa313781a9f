package stockcoredns

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// process is one running program whose output is kept for failure
// messages.
type process struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // exit status, valid once done is closed
}

// syncBuffer collects a process's output; the process writes it while the
// test reads it.
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

// startProcess runs bin ARGS... in dir. A cleanup kills it if the test
// did not stop it, and logs its output if the test failed.
func startProcess(t *testing.T, name, dir, bin string, args ...string) *process {
	t.Helper()
	p := &process{t: t, name: name, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		if p.running() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("--- output of %s (%s) ---\n%s", p.name, strings.Join(p.cmd.Args, " "), p.out.String())
		}
	})
	return p
}

func (p *process) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// mustRun fails the test at once if the process has exited: no point
// polling a condition it can no longer meet.
func (p *process) mustRun() {
	p.t.Helper()
	if !p.running() {
		p.t.Fatalf("%s exited early: %v", p.name, p.err)
	}
}

// stop sends sig and waits, at most 30 s, for the process to exit. It
// returns the exit code.
func (p *process) stop(sig syscall.Signal) int {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %s: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("%s did not exit within 30s of %v", p.name, sig)
	}
	return p.cmd.ProcessState.ExitCode()
}

// waitFor polls cond every 100 ms for at most d. cond returns whether it
// holds and what it saw, which the failure message shows.
func waitFor(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; last seen: %s", d, what, seen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tcpUp reports whether something accepts TCP connections on addr.
func tcpUp(addr string) (bool, string) {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false, err.Error()
	}
	c.Close()
	return true, "listening"
}

// lookupA asks server (ip:port, UDP) for the A records of name. It returns
// the rcode and the answer's addresses, joined by commas.
func lookupA(server, name string) (rcode int, addrs string, err error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	c := &dns.Client{Timeout: time.Second}
	r, _, err := c.Exchange(m, server)
	if err != nil {
		return 0, "", fmt.Errorf("query %s A at %s: %w", name, server, err)
	}
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	return r.Rcode, strings.Join(out, ","), nil
}

// answersA returns a waitFor condition: server answers name with exactly
// the address want.
func answersA(server, name, want string) func() (bool, string) {
	return func() (bool, string) {
		rcode, got, err := lookupA(server, name)
		if err != nil {
			return false, err.Error()
		}
		seen := fmt.Sprintf("%s, answer %q", dns.RcodeToString[rcode], got)
		return rcode == dns.RcodeSuccess && got == want, seen
	}
}

// member is one line of `discod members`.
type member struct {
	addr, status string
}

// members runs `discod members -http-addr httpAddr` and returns its lines
// by node name.
func members(discod, httpAddr string) (map[string]member, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, discod, "members", "-http-addr", httpAddr)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("discod members -http-addr %s: %w: %s", httpAddr, err, strings.TrimSpace(stderr.String()))
	}
	out := map[string]member{}
	for i, line := range strings.Split(stdout.String(), "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 3 {
			continue // the header, or the empty last line
		}
		out[f[0]] = member{addr: f[1], status: f[2]}
	}
	return out, nil
}

// memberIs returns a waitFor condition: `discod members` lists node at
// addr with status.
func memberIs(discod, httpAddr, node, addr, status string) func() (bool, string) {
	return func() (bool, string) {
		ms, err := members(discod, httpAddr)
		if err != nil {
			return false, err.Error()
		}
		m, ok := ms[node]
		if !ok {
			return false, fmt.Sprintf("%s not listed (members: %v)", node, ms)
		}
		return m.addr == addr && m.status == status, fmt.Sprintf("%s %s %s", node, m.addr, m.status)
	}
}
