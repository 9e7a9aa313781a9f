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
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
	"github.com/miekg/dns"
)

// discodBin is the binary under test, built once by TestMain.
var discodBin string

func TestMain(m *testing.M) {
	bin, err := testproc.BuildDiscod("../cmd/discod")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	discodBin = bin
	release, err := testproc.Serialize()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	release()
	_ = os.RemoveAll(filepath.Dir(bin))
	os.Exit(code)
}

// agent is one running `discod agent` process.
type agent struct {
	t    *testing.T
	name string
	ip   string
	args []string
	p    *testproc.Process
	cmd  *exec.Cmd        // p.Cmd
	out  *testproc.Buffer // p.Out
}

// startAgent runs `discod agent ARGS...` and waits until its HTTP API
// answers; the process is killed at the end of the test if the test did
// not stop it.
func startAgent(t *testing.T, name, ip string, args ...string) *agent {
	t.Helper()
	return startAgentBin(t, discodBin, name, ip, args...)
}

// startAgentBin is startAgent with another discod binary (an earlier
// release, for the upgrade test).
func startAgentBin(t *testing.T, bin, name, ip string, args ...string) *agent {
	t.Helper()
	a := &agent{t: t, name: name, ip: ip, args: args}
	a.p = testproc.StartT(t, name, exec.Command(bin, append([]string{"agent"}, args...)...))
	a.cmd, a.out = a.p.Cmd, a.p.Out
	// Ready to be talked to once the HTTP API answers.
	waitFor(t, 15*time.Second, name+" HTTP API up", func() bool {
		if !a.running() {
			t.Fatalf("%s exited at start: %v\n%s", name, a.p.Err(), a.out.String())
		}
		c, err := net.DialTimeout("tcp", ip+":8500", 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return a
}

func (a *agent) running() bool { return a.p.Running() }

// signal sends sig and waits (bounded) for the process to exit, returning
// its exit code.
func (a *agent) signal(sig syscall.Signal) int {
	a.t.Helper()
	code, killed := a.p.Stop(sig, 20*time.Second)
	if killed {
		a.t.Fatalf("%s did not exit within 20s of %v\n%s", a.name, sig, a.out.String())
	}
	return code
}

// waitExit waits (bounded) for the process to exit on its own, returning
// its exit code.
func (a *agent) waitExit() int {
	a.t.Helper()
	select {
	case <-a.p.Done():
	case <-time.After(20 * time.Second):
		a.p.Kill()
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
