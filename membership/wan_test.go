package membership

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
)

// The WAN tests use 127.0.1.200–127.0.1.250.

func TestWANConfig(t *testing.T) {
	lan := DefaultConfig()
	lan.NodeName = "srv"
	lan.Datacenter = "East"
	lan.BindAddr = netip.MustParseAddr("10.0.0.1")
	lan.AdvertiseAddr = netip.MustParseAddr("10.0.0.1")
	lan.AdvertisePort = 7301
	lan.WANAddr = netip.MustParseAddr("203.0.113.1")
	lan.Meta = map[string]string{"rack": "r1"}
	lan.SnapshotPath = "/x/peers.json"
	lan.BootstrapExpect = 3
	w := WANConfig(lan)
	if !w.WAN || w.Role != RoleServer || w.BindPort != DefaultWANPort || w.AdvertisePort != 0 ||
		w.AdvertiseAddr != lan.WANAddr || w.WANAddr.IsValid() || w.Profile != "wan" ||
		w.Meta != nil || w.SnapshotPath != "" || w.BootstrapExpect != 0 {
		t.Errorf("WANConfig = %+v", w)
	}
	if err := w.validate(); err != nil {
		t.Fatal(err)
	}
	if w.NodeName != "srv.east" {
		t.Errorf("WAN node name = %q; want srv.east", w.NodeName)
	}
	lan.WANAddr = netip.Addr{}
	if w := WANConfig(lan); w.AdvertiseAddr != lan.AdvertiseAddr {
		t.Errorf("without a WAN address, advertise = %s; want the LAN one", w.AdvertiseAddr)
	}
}

func TestWANConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"other dc in the name", func(c *Config) { c.NodeName = "srv.dc2" }, "does not end in the datacenter"},
		{"three labels", func(c *Config) { c.NodeName = "a.b.dc1" }, "does not end in the datacenter"},
		{"bad node label", func(c *Config) { c.NodeName = "s_1.dc1" }, "not a valid DNS label"},
		{"wildcard DNS address", func(c *Config) { c.DNSAddr = netip.MustParseAddrPort("0.0.0.0:8600") }, "wildcard"},
		{"DNS port 0", func(c *Config) { c.DNSAddr = netip.MustParseAddrPort("10.0.0.1:0") }, "port 0"},
		{"wildcard WAN address", func(c *Config) { c.WANAddr = netip.IPv4Unspecified() }, "wildcard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig(t, "srv", "127.0.1.200")
			c.WAN = true
			tt.mutate(&c)
			err := c.validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("validate = %v; want an error containing %q", err, tt.want)
			}
		})
	}
	c := testConfig(t, "srv.DC1", "127.0.1.200")
	c.WAN = true
	if err := c.validate(); err != nil || c.NodeName != "srv.dc1" {
		t.Errorf("srv.DC1: validate = %v, name %q; want srv.dc1", err, c.NodeName)
	}
}

func TestReachableAddr(t *testing.T) {
	a := netip.MustParseAddr
	tests := []struct {
		listen, advertise string
		port              int
		want              string
	}{
		{"10.0.0.1", "10.0.0.1", 8600, "10.0.0.1:8600"},
		{"0.0.0.0", "10.0.0.2", 8600, "10.0.0.2:8600"},
		{"::", "fd00::2", 8500, "[fd00::2]:8500"},
		{"127.0.0.1", "10.0.0.2", 8600, ""},                // loopback only: other hosts cannot reach it
		{"127.0.0.5", "127.0.0.5", 8600, "127.0.0.5:8600"}, // everything on one host
		{"10.0.0.1", "10.0.0.1", 0, ""},
	}
	for _, tt := range tests {
		got := ReachableAddr(a(tt.listen), a(tt.advertise), tt.port)
		s := ""
		if got.IsValid() {
			s = got.String()
		}
		if s != tt.want {
			t.Errorf("ReachableAddr(%s, %s, %d) = %q; want %q", tt.listen, tt.advertise, tt.port, s, tt.want)
		}
	}
}

func TestMetaFederationRoundTrip(t *testing.T) {
	in := nodeMeta{ID: "x", Datacenter: "dc1", Role: RoleServer,
		DNSAddr: netip.MustParseAddrPort("10.0.0.1:8600"), HTTPAddr: netip.MustParseAddrPort("[fd00::1]:8500"),
		WANAddr: netip.MustParseAddr("203.0.113.1"), Datacenters: []string{"dc2", "dc3"}, DatacentersPartial: true}
	b, err := in.encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeMeta(b)
	if err != nil || !reflect.DeepEqual(got, in) {
		t.Fatalf("round trip = %+v, %v; want %+v", got, err, in)
	}
	// Bad values are dropped one by one; the rest still reads.
	bad := nodeMeta{Datacenter: "dc1"}
	b, _ = bad.encode()
	for _, f := range [][2]string{{"n", "nonsense"}, {"h", "0.0.0.0:80"}, {"w", "::"}, {"f", "dc2,bad_dc,,DC3"}} {
		b = append(b, f[0][0], byte(len(f[1])))
		b = append(b, f[1]...)
	}
	got, err = decodeMeta(b)
	if err != nil || got.DNSAddr.IsValid() || got.HTTPAddr.IsValid() || got.WANAddr.IsValid() ||
		!reflect.DeepEqual(got.Datacenters, []string{"dc2", "dc3"}) || got.Datacenter != "dc1" {
		t.Errorf("decode of bad values = %+v, %v", got, err)
	}
}

func TestFitDatacenters(t *testing.T) {
	base := nodeMeta{ID: "x", Datacenter: "dc1", Meta: map[string]string{"k": strings.Repeat("v", 400)}}
	var dcs []string
	for i := range 20 {
		dcs = append(dcs, strings.Repeat(string(rune('a'+i)), 10))
	}
	m, b := fitDatacenters(base, dcs)
	if !m.DatacentersPartial || len(m.Datacenters) == 0 || len(m.Datacenters) >= len(dcs) || len(b) > 512 {
		t.Errorf("fit = %d of %d datacenters, partial %v, %d bytes; want some, partial, at most 512 bytes",
			len(m.Datacenters), len(dcs), m.DatacentersPartial, len(b))
	}
	m, _ = fitDatacenters(nodeMeta{}, dcs[:2])
	if m.DatacentersPartial || len(m.Datacenters) != 2 {
		t.Errorf("small list: %+v; want both, not partial", m)
	}
}

// wanServer starts the LAN and WAN agents of a server on ip, with DNS
// addresses to gossip, and attaches them.
func wanServer(t *testing.T, name, dc, ip string) (lan, wan *Agent) {
	t.Helper()
	c := testConfig(t, name, ip)
	c.Datacenter = dc
	c.Role = RoleServer
	c.DNSAddr = netip.MustParseAddrPort(ip + ":8600")
	lan = newAgent(t, c)
	w := WANConfig(c)
	w.BindPort = 0
	w.Profile = "local"
	wan = newAgent(t, w)
	lan.SetWAN(wan)
	return lan, wan
}

// TestWANPool runs two datacenters, dc1 (server s1 and client c1) and dc2
// (server s2), with s1 and s2 in the WAN pool: the pool holds both
// servers under <node>.<dc>, the client learns dc2 from s1's gossip, the
// routes follow the two hops, and a failed dc2 server leaves dc2 known
// but unreachable.
func TestWANPool(t *testing.T) {
	s1, w1 := wanServer(t, "s1", "dc1", "127.0.1.201")
	s2, w2 := wanServer(t, "s2", "dc2", "127.0.1.202")
	c1 := newAgent(t, testConfig(t, "c1", "127.0.1.203"))
	if _, err := c1.Join([]string{joinAddr(s1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.Join([]string{joinAddr(w1)}); err != nil {
		t.Fatal(err)
	}
	if s1.WAN() != w1 || s1.WANTable() != w1.Table() || c1.WAN() != nil || c1.WANTable() != nil {
		t.Fatal("WAN attachment not reported")
	}
	testproc.WaitFor(t, 10*time.Second, "both servers in both WAN tables", func() bool {
		return state(w1, "s2.dc2") == StateAlive && state(w2, "s1.dc1") == StateAlive
	})
	if m, _ := w1.Table().Lookup("s2.dc2"); m.Datacenter != "dc2" || m.Role != RoleServer || m.DNSAddr.String() != "127.0.1.202:8600" {
		t.Errorf("s2 in the WAN pool = %+v; want a dc2 server with its DNS address", m)
	}
	if _, ok := w1.Table().Lookup("c1"); ok {
		t.Error("the client is in the WAN pool")
	}
	testproc.WaitFor(t, 10*time.Second, "c1 to learn dc2 from s1", func() bool {
		return reflect.DeepEqual(c1.Datacenters(), []string{"dc1", "dc2"})
	})
	if got := s2.Datacenters(); !reflect.DeepEqual(got, []string{"dc2", "dc1"}) {
		t.Errorf("s2 Datacenters = %v; want [dc2 dc1]", got)
	}

	r, err := c1.Federation().Route("dc2", HopClient, hasDNS)
	if err != nil || r.Hop != HopLAN || names(r.Servers) != "s1" {
		t.Errorf("client route to dc2 = %+v, %v; want HopLAN to s1", r, err)
	}
	r, err = s1.Federation().Route("dc2", HopLAN, hasDNS)
	if err != nil || r.Hop != HopWAN || names(r.Servers) != "s2.dc2" {
		t.Errorf("server route to dc2 = %+v, %v; want HopWAN to s2.dc2", r, err)
	}

	// dc2's server dies: dc2 stays known, but there is no path to it.
	_ = w2.Shutdown()
	_ = s2.Shutdown()
	testproc.WaitFor(t, 20*time.Second, "s2.dc2 failed in the WAN pool", func() bool { return state(w1, "s2.dc2") == StateFailed })
	if _, err := s1.Federation().Route("dc2", HopClient, hasDNS); !errors.Is(err, ErrNoPath) {
		t.Errorf("server route to a dead dc2: %v; want ErrNoPath", err)
	}
	if k := c1.Federation().Known("dc2"); k != Known {
		t.Errorf("client Known(dc2) after the failure = %d; want Known", k)
	}
}

// TestWANLabelKeepsPoolsApart: a LAN agent pointed at a WAN port cannot
// join it, so the two pools never merge by mistake.
func TestWANLabelKeepsPoolsApart(t *testing.T) {
	_, w := wanServer(t, "s1", "dc1", "127.0.1.210")
	lan := newAgent(t, testConfig(t, "c1", "127.0.1.211"))
	if n, err := lan.Join([]string{joinAddr(w)}); n != 0 || err == nil {
		t.Fatalf("LAN agent joined the WAN pool: %d, %v", n, err)
	}
	if _, ok := w.Table().Lookup("c1"); ok {
		t.Error("the LAN agent is in the WAN table")
	}
}
