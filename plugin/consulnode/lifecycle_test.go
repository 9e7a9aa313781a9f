package consulnode

import (
	"context"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"

	"github.com/discod/discod/internal/testproc"
)

// newTestAgent starts a gossip agent on ip (a free port), as the discod
// daemon would, and shuts it down when the test ends.
func newTestAgent(t *testing.T, ip, name string, meta map[string]string) *membership.Agent {
	t.Helper()
	cfg := membership.DefaultConfig()
	cfg.NodeName = name
	cfg.BindAddr = netip.MustParseAddr(ip)
	cfg.BindPort = 0
	cfg.Profile = "local"
	cfg.Meta = meta
	cfg.Logger = slog.New(slog.DiscardHandler)
	a, err := membership.New(cfg)
	if err != nil {
		t.Fatalf("start agent on %s: %v", ip, err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })
	return a
}

// withProcessAgent registers a as discod's agent (membership.DefaultAgent)
// for the rest of the test, as the daemon does before CoreDNS starts.
func withProcessAgent(t *testing.T, a *membership.Agent) {
	t.Helper()
	if err := membership.Register(membership.DefaultAgent, a); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { membership.Unregister(membership.DefaultAgent, a) })
}

// TestStartupWithProcessAgent: inside discod the agent owns gossip, so each
// gossip option is refused, at its line, with the discod setting to use
// instead. It replaces TestParseWithProcessAgent: the refusal moved from
// parse, which read a process-global agent, to OnStartup, which finds the
// registered one; `encrypt` now takes a valid key, as parse checks it.
func TestStartupWithProcessAgent(t *testing.T) {
	a := newTestAgent(t, "127.0.2.2", "proc", nil)
	withProcessAgent(t, a)

	tests := []struct {
		input   string
		wantErr string
	}{
		{"consulnode", ""},
		{"consulnode {\n ttl 30\n}", ""},
		{"consulnode {\n datacenter dc1\n}", ""},
		{"consulnode {\n datacenter DC1\n}", ""},
		{"consulnode {\n datacenter dc2\n}", "datacenter is set by the discod agent (dc1): use -datacenter"},
		{"consulnode {\n node other\n}", "node is set by the discod agent: use -node"},
		{"consulnode {\n bind 127.0.2.9\n}", "bind is set by the discod agent: use -bind and -serf-lan-port"},
		{"consulnode {\n advertise 127.0.2.9\n}", "advertise is set by the discod agent: use -advertise"},
		{"consulnode {\n join 127.0.2.9\n}", "join is set by the discod agent: use -join"},
		{"consulnode {\n server\n}", "server is set by the discod agent: use -server"},
		{"consulnode {\n bootstrap_expect 3\n}", "bootstrap_expect is set by the discod agent: use -bootstrap-expect"},
		{"consulnode {\n encrypt " + testKey + "\n}", "encrypt is set by the discod agent: use -encrypt"},
		{"consulnode {\n keyring_file /k\n}", "keyring_file is set by the discod agent: use -data-dir"},
		{"consulnode {\n data_dir /d\n}", "data_dir is set by the discod agent: use -data-dir"},
		{"consulnode {\n rejoin_after_leave\n}", "rejoin_after_leave is set by the discod agent: use -rejoin"},
		{"consulnode {\n probe_interval 2s\n}", "probe_interval is set by the discod agent: use gossip_lan.probe_interval"},
		{"consulnode {\n ttl 30\n datacenter dc1\n gossip_nodes 4\n}", "Testfile:4"},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.input, "\n", " "), func(t *testing.T) {
			cn, err := parse(caddy.NewTestController("dns", tt.input))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			err = cn.OnStartup()
			t.Cleanup(func() { _ = cn.OnShutdown() })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "Testfile:") {
					t.Fatalf("OnStartup error = %v; want one at its Testfile line containing %q", err, tt.wantErr)
				}
				if !strings.Contains(tt.input, "gossip_nodes") && !strings.Contains(err.Error(), "Testfile:2") {
					t.Fatalf("OnStartup error = %v; want it at Testfile:2", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("OnStartup: %v", err)
			}
			if cn.gossip.process != a || cn.acquired != nil {
				t.Error("plugin does not use the registered agent")
			}
		})
	}
}

// TestLifecycleProcessAgent: OnStartup answers from discod's agent and
// OnShutdown leaves it running.
func TestLifecycleProcessAgent(t *testing.T) {
	a := newTestAgent(t, "127.0.2.3", "proc", nil)
	withProcessAgent(t, a)
	cn, err := parse(caddy.NewTestController("dns", "consulnode"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cn.OnStartup(); err != nil {
		t.Fatalf("OnStartup: %v", err)
	}
	if !cn.Ready() {
		t.Error("Ready() = false with a running agent; want true")
	}
	assertA(t, cn, "proc.node.consul.", "127.0.2.3")
	assertA(t, cn, "ns.consul.", "127.0.2.3")
	if err := cn.OnShutdown(); err != nil {
		t.Fatalf("OnShutdown: %v", err)
	}
	if !a.Ready() {
		t.Error("OnShutdown stopped discod's agent; want it left to the daemon")
	}
}

// TestLifecycleStock: in a stock CoreDNS each instance acquires the agent
// for its bind address, a reload's overlapping instances share it, and
// the last OnShutdown shuts it down. A second agent joins the first
// through `join`.
func TestLifecycleStock(t *testing.T) {
	start := func(input string) *ConsulNode {
		t.Helper()
		cn, err := parse(caddy.NewTestController("dns", input))
		if err != nil {
			t.Fatal(err)
		}
		if err := cn.OnStartup(); err != nil {
			t.Fatalf("OnStartup: %v", err)
		}
		return cn
	}
	stop := func(cn *ConsulNode) {
		t.Helper()
		if err := cn.OnShutdown(); err != nil {
			t.Errorf("OnShutdown: %v", err)
		}
	}

	first := start("consulnode {\n node alpha\n bind 127.0.2.20:0\n}")
	reloaded := start("consulnode {\n node alpha\n bind 127.0.2.20:0\n ttl 10\n}")
	agent := first.acquired
	if agent == nil || reloaded.acquired != agent {
		t.Fatal("the reloaded instance did not share the first instance's agent")
	}
	assertA(t, reloaded, "alpha.node.consul.", "127.0.2.20")
	stop(first) // the old instance goes after the new one started, as in a reload
	if !reloaded.Ready() {
		t.Fatal("agent stopped while the reloaded instance still uses it")
	}

	port := strconv.Itoa(int(agent.Local().Port))
	beta := start("consulnode {\n node beta\n bind 127.0.2.21:0\n join 127.0.2.20:" + port + "\n}")
	testproc.WaitFor(t, 10*time.Second, "beta to learn alpha through join", func() bool {
		m, ok := beta.acquired.Table().Lookup("alpha")
		return ok && m.State == membership.StateAlive
	})
	assertA(t, beta, "alpha.node.consul.", "127.0.2.20")
	testproc.WaitFor(t, 10*time.Second, "alpha to learn beta", func() bool {
		m, ok := agent.Table().Lookup("beta")
		return ok && m.State == membership.StateAlive
	})

	stop(beta)
	testproc.WaitFor(t, 10*time.Second, "alpha to see beta leave", func() bool {
		m, ok := agent.Table().Lookup("beta")
		return ok && m.State == membership.StateLeft
	})
	assertNX(t, reloaded, "beta.node.consul.")

	stop(reloaded)
	if reloaded.Ready() || agent.Ready() {
		t.Error("agent still ready after the last instance shut down; want it shut down")
	}
}

// assertA checks that cn answers name with the single A record addr.
func assertA(t *testing.T, cn *ConsulNode, name, addr string) {
	t.Helper()
	w := dnstest.NewRecorder(&test.ResponseWriter{})
	if _, err := cn.ServeDNS(context.Background(), w, test.Case{Qname: name, Qtype: dns.TypeA}.Msg()); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if w.Msg == nil || len(w.Msg.Answer) != 1 {
		t.Fatalf("%s: reply %v; want one A record", name, w.Msg)
	}
	if a, ok := w.Msg.Answer[0].(*dns.A); !ok || a.A.String() != addr {
		t.Fatalf("%s: answer %v; want A %s", name, w.Msg.Answer[0], addr)
	}
}

// assertNX checks that cn answers name with NXDOMAIN.
func assertNX(t *testing.T, cn *ConsulNode, name string) {
	t.Helper()
	w := dnstest.NewRecorder(&test.ResponseWriter{})
	if _, err := cn.ServeDNS(context.Background(), w, test.Case{Qname: name, Qtype: dns.TypeA}.Msg()); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if w.Msg == nil || w.Msg.Rcode != dns.RcodeNameError {
		t.Fatalf("%s: reply %v; want NXDOMAIN", name, w.Msg)
	}
}
