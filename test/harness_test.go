package test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// discodBin is the binary under test, built once by TestMain.
var discodBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "discod-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	discodBin = filepath.Join(dir, "discod")
	build := exec.Command("go", "build", "-o", discodBin, "../cmd/discod")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building discod:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// agent is one running `discod agent` process.
type agent struct {
	t    *testing.T
	name string
	ip   string
	args []string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // exit status, valid after done is closed
}

// syncBuffer collects a process's output for failure messages.
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

// startAgent runs `discod agent ARGS...` and registers a cleanup that
// kills it if the test did not stop it.
func startAgent(t *testing.T, name, ip string, args ...string) *agent {
	t.Helper()
	a := &agent{t: t, name: name, ip: ip, args: args}
	a.start()
	t.Cleanup(func() {
		if a.running() {
			_ = a.cmd.Process.Kill()
			<-a.done
		}
		if t.Failed() {
			t.Logf("--- output of %s ---\n%s", a.name, a.out.String())
		}
	})
	return a
}

func (a *agent) start() {
	a.t.Helper()
	a.out = &syncBuffer{}
	a.cmd = exec.Command(discodBin, append([]string{"agent"}, a.args...)...)
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	if err := a.cmd.Start(); err != nil {
		a.t.Fatalf("start %s: %v", a.name, err)
	}
	a.done = make(chan struct{})
	go func() { a.err = a.cmd.Wait(); close(a.done) }()
	// Ready to be talked to once the HTTP API answers.
	waitFor(a.t, 15*time.Second, a.name+" HTTP API up", func() bool {
		if !a.running() {
			a.t.Fatalf("%s exited at start: %v\n%s", a.name, a.err, a.out.String())
		}
		c, err := net.DialTimeout("tcp", a.ip+":8500", 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

func (a *agent) running() bool {
	select {
	case <-a.done:
		return false
	default:
		return true
	}
}

// signal sends sig and waits (bounded) for the process to exit, returning
// its exit code.
func (a *agent) signal(sig syscall.Signal) int {
	a.t.Helper()
	_ = a.cmd.Process.Signal(sig)
	return a.waitExit()
}

func (a *agent) waitExit() int {
	a.t.Helper()
	select {
	case <-a.done:
	case <-time.After(20 * time.Second):
		_ = a.cmd.Process.Kill()
		<-a.done
		a.t.Fatalf("%s did not exit within 20s\n%s", a.name, a.out.String())
	}
	return a.cmd.ProcessState.ExitCode()
}

// cli runs a discod client command and returns stdout, stderr and the exit
// code.
func cli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, discodBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run discod %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return stdout.String(), stderr.String(), code
}

// waitFor polls cond every 50 ms for at most d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// query asks server (ip:port) for name/qtype over net ("udp" or "tcp").
func query(t *testing.T, netw, server, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Net: netw, Timeout: 2 * time.Second}
	r, _, err := c.Exchange(m, server)
	if err != nil {
		t.Fatalf("query %s %s over %s to %s: %v", name, dns.TypeToString[qtype], netw, server, err)
	}
	return r
}

// answerA returns the A records' addresses of r, joined by commas.
func answerA(r *dns.Msg) string {
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	return strings.Join(out, ",")
}

// memberStatus returns the Status column for node in `discod members`
// output, or "" when the node is not listed.
func memberStatus(t *testing.T, httpAddr, node string) string {
	t.Helper()
	out, _, code := cli(t, "members", "-http-addr", httpAddr)
	if code != 0 {
		return ""
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == node {
			return f[2]
		}
	}
	return ""
}
