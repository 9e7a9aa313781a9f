package stockcoredns

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
	"github.com/miekg/dns"
)

// process is one running program whose output is kept for failure
// messages.
type process struct {
	*testproc.Process
	t *testing.T
}

// startProcess runs bin ARGS... in dir. A cleanup kills it if the test
// did not stop it, and logs its output if the test failed.
func startProcess(t *testing.T, name, dir, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	return &process{Process: testproc.StartT(t, name+" ("+strings.Join(cmd.Args, " ")+")", cmd), t: t}
}

// mustRun fails the test at once if the process has exited: no point
// polling a condition it can no longer meet.
func (p *process) mustRun() {
	p.t.Helper()
	if !p.Running() {
		p.t.Fatalf("%s exited early: %v", p.Name, p.Err())
	}
}

// stop sends sig and waits, at most 30 s, for the process to exit. It
// returns the exit code.
func (p *process) stop(sig syscall.Signal) int {
	p.t.Helper()
	code, killed := p.Stop(sig, 30*time.Second)
	if killed {
		p.t.Fatalf("%s did not exit within 30s of %v", p.Name, sig)
	}
	return code
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
