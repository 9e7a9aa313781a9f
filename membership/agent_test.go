package membership

import (
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
)

// This package's tests use 127.0.1.0/24 so that other packages can run at
// the same time.

func testConfig(t *testing.T, name, ip string) Config {
	t.Helper()
	c := DefaultConfig()
	c.NodeName = name
	c.BindAddr = netip.MustParseAddr(ip)
	c.BindPort = 0
	c.Profile = "local"
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return c
}

func newAgent(t *testing.T, c Config) *Agent {
	t.Helper()
	a, err := New(c)
	if err != nil {
		t.Fatalf("New(%s): %v", c.NodeName, err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })
	return a
}

func state(a *Agent, name string) State {
	m, ok := a.Table().LookupFold(name)
	if !ok {
		return StateNone
	}
	return m.State
}

func TestJoinLeaveFail(t *testing.T) {
	one := newAgent(t, testConfig(t, "One", "127.0.1.1"))
	c2 := testConfig(t, "two", "127.0.1.2")
	c2.Role = RoleServer
	c2.Meta = map[string]string{"rack": "r1"}
	two := newAgent(t, c2)
	c3 := testConfig(t, "three", "127.0.1.3")
	three := newAgent(t, c3)

	if got := one.Local(); got.Addr != netip.MustParseAddr("127.0.1.1") || got.Port == 0 {
		t.Fatalf("local = %+v; want 127.0.1.1 and a port", got)
	}
	addr := netip.AddrPortFrom(one.Local().Addr, one.Local().Port).String()
	if n, err := two.Join([]string{addr}); n != 1 || err != nil {
		t.Fatalf("join = %d, %v; want 1, nil", n, err)
	}
	if n, err := three.Join([]string{addr, "127.0.1.99:1"}); n != 1 || err == nil {
		t.Fatalf("join = %d, %v; want 1 and an error for the bad address", n, err)
	}
	testproc.WaitFor(t, 10*time.Second, "all alive everywhere", func() bool {
		for _, a := range []*Agent{one, two, three} {
			if a.Table().Count(StateAlive, "", "") != 3 {
				return false
			}
		}
		return true
	})
	m, _ := one.Table().Lookup("two")
	if m.Role != RoleServer || m.Datacenter != "dc1" || m.Meta["rack"] != "r1" || m.ID == "" {
		t.Errorf("member two = %+v; want server in dc1 with rack=r1 and an ID", m)
	}
	if _, ok := two.Table().Lookup("one"); !ok {
		t.Errorf("lookup of lower-cased name failed")
	}
	if !one.Ready() || one.AliveServers() != 1 {
		t.Errorf("Ready, AliveServers = %v, %d; want true, 1", one.Ready(), one.AliveServers())
	}

	if err := two.Leave(); err != nil {
		t.Fatal(err)
	}
	_ = two.Shutdown()
	testproc.WaitFor(t, 10*time.Second, "two left on one", func() bool { return state(one, "two") == StateLeft })

	_ = three.Shutdown()
	testproc.WaitFor(t, 20*time.Second, "three failed on one", func() bool { return state(one, "three") == StateFailed })
	if state(one, "two") != StateLeft {
		t.Errorf("two = %v; want left to stay left", state(one, "two"))
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
	}{
		{"bad node name", func(c *Config) { c.NodeName = "a.b" }},
		{"underscore", func(c *Config) { c.NodeName = "a_b" }},
		{"bad dc", func(c *Config) { c.Datacenter = "dc 1" }},
		{"wildcard bind", func(c *Config) { c.BindAddr = netip.IPv4Unspecified() }},
		{"bad role", func(c *Config) { c.Role = "leader" }},
		{"meta too big", func(c *Config) { c.Meta = map[string]string{"k": string(make([]byte, 600))} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig(t, "n", "127.0.1.9")
			tt.mutate(&c)
			if a, err := New(c); err == nil {
				_ = a.Shutdown()
				t.Fatal("New succeeded; want an error")
			}
		})
	}
}
