package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
	"github.com/discod/discod/membership"
)

// The federation tests use 127.0.4.200–127.0.4.220.

// fedAgent is one agent of the federation tests: its LAN agent, its WAN
// agent (servers only) and its HTTP API.
type fedAgent struct {
	lan, wan *membership.Agent
	http     *httptest.Server
}

// startFedAgent starts an agent on ip in dc, a server with a WAN pool when
// server is true, whose HTTP API is gossiped for forwarding.
func startFedAgent(t *testing.T, name, dc, ip string, server bool) *fedAgent {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	c := membership.DefaultConfig()
	c.NodeName = name
	c.Datacenter = dc
	c.BindAddr = netip.MustParseAddr(ip)
	c.BindPort = 0
	c.Profile = "local"
	c.HTTPAddr = netip.MustParseAddrPort(ln.Addr().String())
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if server {
		c.Role = membership.RoleServer
	}
	f := &fedAgent{}
	if f.lan, err = membership.New(c); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.lan.Shutdown() })
	if server {
		w := membership.WANConfig(c)
		w.BindPort = 0
		w.Profile = "local"
		if f.wan, err = membership.New(w); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.wan.Shutdown() })
		f.lan.SetWAN(f.wan)
	}
	s := &Server{Agent: f.lan, Version: "test", Domain: "consul.", ListenAddr: netip.MustParseAddr(ip)}
	f.http = &httptest.Server{Listener: ln, Config: &http.Server{Handler: s.Handler()}}
	f.http.Start()
	t.Cleanup(f.http.Close)
	return f
}

func gossipAddr(a *membership.Agent) string {
	l := a.Local()
	return netip.AddrPortFrom(l.Addr, l.Port).String()
}

// TestFederationEndpoints runs dc1 (server s1, client c1) and dc2 (server
// s2, whose table also holds a node with a WAN address) and checks ?dc=,
// ?wan=1 and the datacenter list from every side.
func TestFederationEndpoints(t *testing.T) {
	s1 := startFedAgent(t, "s1", "dc1", "127.0.4.201", true)
	c1 := startFedAgent(t, "c1", "dc1", "127.0.4.202", false)
	s2 := startFedAgent(t, "s2", "dc2", "127.0.4.203", true)
	s2.lan.Table().Upsert(membership.Member{Name: "far", Addr: netip.MustParseAddr("10.2.0.5"), WANAddr: netip.MustParseAddr("203.0.113.5"),
		Datacenter: "dc2", State: membership.StateAlive})
	if _, err := c1.lan.Join([]string{gossipAddr(s1.lan)}); err != nil {
		t.Fatal(err)
	}
	// The WAN join goes through the API, as `discod join -wan` does.
	cs2, _ := NewClient(s2.http.URL)
	if err := cs2.JoinWAN(context.Background(), gossipAddr(s1.wan)); err != nil {
		t.Fatal(err)
	}
	cc1, _ := NewClient(c1.http.URL)
	testproc.WaitFor(t, 20*time.Second, "c1 to know dc2", func() bool {
		dcs, err := cc1.Datacenters(context.Background())
		return err == nil && slices.Equal(dcs, []string{"dc1", "dc2"})
	})
	if dcs, err := cs2.Datacenters(context.Background()); err != nil || !slices.Equal(dcs, []string{"dc2", "dc1"}) {
		t.Errorf("dc2's datacenters = %v, %v; want [dc2 dc1]", dcs, err)
	}
	wan, err := cs2.MembersWAN(context.Background())
	if err != nil || len(wan) != 2 || wan[0].Name != "s1.dc1" || wan[1].Name != "s2.dc2" {
		t.Errorf("WAN members = %+v, %v; want s1.dc1 and s2.dc2", wan, err)
	}
	if _, err := cc1.MembersWAN(context.Background()); err == nil || !strings.Contains(err.Error(), "WAN pool") {
		t.Errorf("WAN members on a client: %v; want a refusal", err)
	}

	tests := []struct {
		name     string
		url      string
		header   string // ForwardedHeader value
		code     int
		contains []string
		absent   []string
	}{
		{name: "client asks for dc2", url: c1.http.URL + "/v1/catalog/nodes?dc=dc2", code: 200,
			contains: []string{`"Node": "s2"`, `"Node": "far"`, `"Address": "203.0.113.5"`, `"lan": "10.2.0.5"`, `"Datacenter": "dc2"`},
			absent:   []string{`"Node": "c1"`}},
		{name: "server asks for dc2", url: s1.http.URL + "/v1/catalog/nodes?dc=DC2", code: 200,
			contains: []string{`"Node": "far"`, `"Address": "203.0.113.5"`}},
		{name: "one node of dc2", url: c1.http.URL + "/v1/catalog/node/far?dc=dc2", code: 200,
			contains: []string{`"Node": "far"`, `"wan_ipv4": "203.0.113.5"`}},
		{name: "dc2 asks for dc1", url: s2.http.URL + "/v1/catalog/nodes?dc=dc1", code: 200,
			contains: []string{`"Node": "c1"`, `"Node": "s1"`}},
		{name: "own dc answered locally, LAN address", url: s2.http.URL + "/v1/catalog/node/far?dc=dc2", code: 200,
			contains: []string{`"Address": "10.2.0.5"`}},
		{name: "unknown dc", url: c1.http.URL + "/v1/catalog/nodes?dc=dc9", code: 500,
			contains: []string{"No path to datacenter", "dc9", "known: dc1, dc2"}},
		{name: "from the WAN: never forwarded again", url: s1.http.URL + "/v1/catalog/nodes?dc=dc2", header: "wan", code: 500,
			contains: []string{"No path to datacenter", "not forwarded again"}},
		{name: "join wan on a client", url: c1.http.URL + "/v1/agent/join/127.0.4.203?wan=1", code: 400,
			contains: []string{"WAN pool"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := http.MethodGet
			if strings.Contains(tt.url, "/join/") {
				method = http.MethodPut
			}
			req, _ := http.NewRequest(method, tt.url, nil)
			if tt.header != "" {
				req.Header.Set(ForwardedHeader, tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.code {
				t.Fatalf("%s = %d %s; want %d", tt.url, resp.StatusCode, b, tt.code)
			}
			for _, want := range tt.contains {
				if !strings.Contains(string(b), want) {
					t.Errorf("%s: %s\nwant it to contain %s", tt.url, b, want)
				}
			}
			for _, bad := range tt.absent {
				if strings.Contains(string(b), bad) {
					t.Errorf("%s: %s\nwant no %s", tt.url, b, bad)
				}
			}
			if tt.code == 200 && (resp.Header.Get("X-Consul-Index") == "" || resp.Header.Get("X-Consul-KnownLeader") != "true") {
				t.Errorf("%s: Consul query headers not relayed: %v", tt.url, resp.Header)
			}
		})
	}

	// dc2's server goes away: dc2 stays known but has no path.
	s2.http.Close()
	_ = s2.wan.Shutdown()
	testproc.WaitFor(t, 20*time.Second, "s2.dc2 failed in s1's WAN pool", func() bool {
		m, ok := s1.wan.Table().Lookup("s2.dc2")
		return ok && m.State == membership.StateFailed
	})
	resp, body := get(t, c1.http.URL+"/v1/catalog/nodes?dc=dc2")
	if resp.StatusCode != 500 || !strings.Contains(body, `No path to datacenter "dc2"`) || !strings.Contains(body, "alive") {
		t.Errorf("dc2 down: %d %s; want 500 naming dc2 and why", resp.StatusCode, body)
	}
	var dcs []string
	_, body = get(t, c1.http.URL+"/v1/catalog/datacenters")
	if err := json.Unmarshal([]byte(body), &dcs); err != nil || !slices.Equal(dcs, []string{"dc1", "dc2"}) {
		t.Errorf("datacenters with dc2 down = %s; want dc2 still known", body)
	}
}
