package test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
	"github.com/miekg/dns"
)

// TestGettingStarted walks through the classic "start a cluster" guide with
// two hosts (127.0.0.10 and 127.0.0.11), exactly as the README shows it.
func TestGettingStarted(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	conf1, conf2 := t.TempDir(), t.TempDir()
	one := startAgent(t, "agent-one", "127.0.0.10",
		"-server", "-bootstrap-expect", "1", "-data-dir", d1, "-node=agent-one",
		"-bind=127.0.0.10", "-client=127.0.0.10", "-config-dir", conf1)
	twoArgs := []string{"-data-dir", d2, "-node=agent-two", "-bind=127.0.0.11", "-client=127.0.0.11", "-config-dir", conf2}
	two := startAgent(t, "agent-two", "127.0.0.11", twoArgs...)
	const http1, http2, dns1 = "127.0.0.10:8500", "127.0.0.11:8500", "127.0.0.10:8600"

	// Each agent is alone at first.
	for _, c := range []struct{ http, node string }{{http1, "agent-one"}, {http2, "agent-two"}} {
		out, errOut, code := cli(t, "members", "-http-addr", c.http)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[1], c.node+" ") {
			t.Fatalf("members on %s = %d %q %q; want a header and %s only", c.http, code, out, errOut, c.node)
		}
		if !strings.HasPrefix(lines[0], "Node ") || !strings.Contains(lines[0], "Address") || !strings.HasSuffix(lines[0], "DC") {
			t.Errorf("members header = %q", lines[0])
		}
	}

	// Join agent-one to agent-two.
	out, errOut, code := cli(t, "join", "-http-addr", http1, "127.0.0.11")
	if code != 0 || strings.TrimSpace(out) != "Successfully joined cluster by contacting 1 nodes." {
		t.Fatalf("join = %d %q %q", code, out, errOut)
	}

	// Both see both, alive, with the right types.
	for _, h := range []string{http1, http2} {
		testproc.WaitFor(t, 10*time.Second, "two alive members on "+h, func() bool {
			return memberStatus(t, h, "agent-one") == "alive" && memberStatus(t, h, "agent-two") == "alive"
		})
		out, _, _ := cli(t, "members", "-http-addr", h)
		for _, want := range []string{"agent-one  127.0.0.10:8301  alive   server", "agent-two  127.0.0.11:8301  alive   client"} {
			if !strings.Contains(out, want) {
				t.Errorf("members on %s:\n%s\nwant a line containing %q", h, out, want)
			}
		}
	}

	// DNS on agent-one answers for agent-two, over UDP and TCP.
	for _, netw := range []string{"udp", "tcp"} {
		for _, name := range []string{"agent-two.node.consul.", "agent-two.node.dc1.consul."} {
			r := query(t, netw, dns1, name, dns.TypeA)
			if r.Rcode != dns.RcodeSuccess || answerA(r) != "127.0.0.11" || !r.Authoritative {
				t.Errorf("%s %s: rcode %s, answer %q, AA %v; want NOERROR 127.0.0.11 AA", netw, name, dns.RcodeToString[r.Rcode], answerA(r), r.Authoritative)
			}
		}
	}

	// A graceful leave of agent-two: left on agent-one, its name NXDOMAIN.
	out, errOut, code = cli(t, "leave", "-http-addr", http2)
	if code != 0 || !strings.Contains(out, "Graceful leave complete") {
		t.Fatalf("leave = %d %q %q", code, out, errOut)
	}
	if c := two.waitExit(); c != 0 {
		t.Errorf("agent-two exit code after leave = %d; want 0", c)
	}
	testproc.WaitFor(t, 10*time.Second, "agent-two left on agent-one", func() bool { return memberStatus(t, http1, "agent-two") == "left" })
	if r := query(t, "udp", dns1, "agent-two.node.consul.", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Errorf("after leave: rcode %s; want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}

	// Restart agent-two, join again, then kill -9: failed and NXDOMAIN.
	two = startAgent(t, "agent-two", "127.0.0.11", twoArgs...)
	if out, errOut, code := cli(t, "join", "-http-addr", http2, "127.0.0.10"); code != 0 {
		t.Fatalf("rejoin = %d %q %q", code, out, errOut)
	}
	testproc.WaitFor(t, 15*time.Second, "agent-two alive again on agent-one", func() bool { return memberStatus(t, http1, "agent-two") == "alive" })
	testproc.WaitFor(t, 5*time.Second, "agent-two answered again", func() bool {
		return answerA(query(t, "udp", dns1, "agent-two.node.consul.", dns.TypeA)) == "127.0.0.11"
	})
	_ = two.cmd.Process.Signal(syscall.SIGKILL)
	two.waitExit()
	testproc.WaitFor(t, 30*time.Second, "agent-two failed on agent-one", func() bool { return memberStatus(t, http1, "agent-two") == "failed" })
	if r := query(t, "tcp", dns1, "agent-two.node.dc1.consul.", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Errorf("after kill -9: rcode %s; want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}

	// Ctrl-C leaves gracefully and exits 0.
	if c := one.signal(syscall.SIGINT); c != 0 {
		t.Errorf("agent-one exit code after SIGINT = %d; want 0", c)
	}
	if !strings.Contains(one.out.String(), "left the cluster gracefully") {
		t.Errorf("agent-one log does not say it left gracefully:\n%s", one.out.String())
	}
}
