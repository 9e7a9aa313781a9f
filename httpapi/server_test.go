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
	"strings"
	"testing"

	"github.com/discod/discod/membership"
)

// This package's tests use 127.0.4.0/24.

// testAgent starts a gossip agent on 127.0.4.1 whose table also holds a
// failed and a left member, written through the table's one write path.
func testAgent(t *testing.T) *membership.Agent {
	t.Helper()
	c := membership.DefaultConfig()
	c.NodeName = "agent-one"
	c.Role = membership.RoleServer
	c.BootstrapExpect = 2
	c.BindAddr = netip.MustParseAddr("127.0.4.1")
	c.BindPort = 0
	c.Profile = "local"
	c.Meta = map[string]string{"rack": "r1"}
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := membership.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })
	a.Table().Upsert(membership.Member{Name: "dead", Addr: netip.MustParseAddr("127.0.4.2"), Port: 8301, Datacenter: "dc1", State: membership.StateFailed})
	a.Table().Upsert(membership.Member{Name: "gone", Addr: netip.MustParseAddr("127.0.4.3"), Port: 8301, Datacenter: "dc1", State: membership.StateLeft})
	return a
}

// serve runs h on 127.0.4.1 (this package's range) until the test ends.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.4.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

// newTestServer serves the API of testAgent on loopback without a token.
func newTestServer(t *testing.T) (*httptest.Server, *membership.Agent) {
	t.Helper()
	a := testAgent(t)
	done := make(chan struct{}) // ends the requests still parked when the test ends
	t.Cleanup(func() { close(done) })
	s := &Server{Agent: a, Version: "test", Domain: "consul.", Leave: func() error { return nil },
		ListenAddr: netip.MustParseAddr("127.0.4.1"), Done: done}
	return serve(t, s.Handler()), a
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestEndpoints(t *testing.T) {
	ts, _ := newTestServer(t)
	tests := []struct {
		name, method, path string
		code               int
		contains           string
	}{
		{"members", "GET", "/v1/agent/members", 200, `"Name": "agent-one"`},
		{"self", "GET", "/v1/agent/self", 200, `"NodeName": "agent-one"`},
		{"not ready", "GET", "/v1/agent/ready", 503, "1 of 2 expected servers"},
		{"health", "GET", "/v1/agent/health", 200, "ok"},
		{"catalog lists failed", "GET", "/v1/catalog/nodes", 200, `"Node": "dead"`},
		{"catalog node", "GET", "/v1/catalog/node/Agent-One", 200, `"rack": "r1"`},
		{"catalog unknown node is null", "GET", "/v1/catalog/node/nope", 200, "null"},
		{"catalog left node is null", "GET", "/v1/catalog/node/gone", 200, "null"},
		{"datacenters", "GET", "/v1/catalog/datacenters", 200, `"dc1"`},
		{"other dc", "GET", "/v1/catalog/nodes?dc=dc9", 500, "No path to datacenter"},
		{"unknown endpoint", "GET", "/v1/nope", 404, "not found"},
		{"join needs PUT", "GET", "/v1/agent/join/127.0.0.1", 405, ""},
		{"join unreachable", "PUT", "/v1/agent/join/127.0.4.99:1", 500, "127.0.4.99:1"},
		{"join wan refused", "PUT", "/v1/agent/join/127.0.4.99?wan=1", 400, "WAN"},
		{"force-leave unknown", "PUT", "/v1/agent/force-leave/nobody", 404, "nobody"},
		{"force-leave alive", "PUT", "/v1/agent/force-leave/agent-one", 409, "failed members"},
		{"force-leave failed", "PUT", "/v1/agent/force-leave/dead?prune", 200, ""},
		{"force-leave needs PUT", "GET", "/v1/agent/force-leave/dead", 405, ""},
		{"maintenance without enable", "PUT", "/v1/agent/maintenance", 400, "missing enable"},
		{"maintenance enable not a bool", "PUT", "/v1/agent/maintenance?enable=maybe", 400, `"maybe" is not true or false`},
		{"maintenance reason too long", "PUT", "/v1/agent/maintenance?enable=true&reason=" + strings.Repeat("x", 200), 400, "limit is 128"},
		{"maintenance needs PUT", "GET", "/v1/agent/maintenance?enable=true", 405, ""},
		{"maintenance on", "PUT", "/v1/agent/maintenance?enable=true&reason=disk+swap", 200, ""},
		{"maintenance shown in members", "GET", "/v1/agent/members", 200, `"maintenance": "disk swap"`},
		{"maintenance off", "PUT", "/v1/agent/maintenance?enable=false", 200, ""},
		{"leave", "PUT", "/v1/agent/leave", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, ts.URL+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.code || !strings.Contains(string(b), tt.contains) {
				t.Errorf("%s %s = %d %q; want %d containing %q", tt.method, tt.path, resp.StatusCode, b, tt.code, tt.contains)
			}
		})
	}
}

func TestCatalogShape(t *testing.T) {
	ts, _ := newTestServer(t)
	resp, body := get(t, ts.URL+"/v1/catalog/nodes")
	if resp.Header.Get("X-Consul-Index") == "" || resp.Header.Get("X-Consul-KnownLeader") != "true" {
		t.Errorf("missing Consul query headers: %v", resp.Header)
	}
	var nodes []Node
	if err := json.Unmarshal([]byte(body), &nodes); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range nodes {
		names = append(names, n.Node)
	}
	if got := strings.Join(names, ","); got != "agent-one,dead" {
		t.Errorf("catalog nodes = %s; want agent-one,dead (left nodes dropped)", got)
	}
	if nodes[0].Address != "127.0.4.1" || nodes[0].TaggedAddresses["lan_ipv4"] != "127.0.4.1" || nodes[0].ID == "" {
		t.Errorf("node = %+v", nodes[0])
	}
}

func TestClient(t *testing.T) {
	ts, _ := newTestServer(t)
	c, err := NewClient(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := c.Members(context.Background())
	if err != nil || len(ms) != 3 {
		t.Fatalf("Members = %d, %v; want 3 entries", len(ms), err)
	}
	if err := c.Join(context.Background(), "127.0.4.99:1"); err == nil || !strings.Contains(err.Error(), "127.0.4.99:1") {
		t.Errorf("Join error = %v; want one naming the address", err)
	}
	dead, _ := NewClient("127.0.4.250:1")
	if _, err := dead.Members(context.Background()); err == nil || !strings.Contains(err.Error(), "127.0.4.250:1") || strings.Contains(err.Error(), "\n") {
		t.Errorf("unreachable agent error = %v; want one line naming the address", err)
	}
	if _, err := NewClient("http://"); err == nil {
		t.Error("NewClient accepted an address without a host")
	}
}
