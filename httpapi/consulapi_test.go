package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/membership"
	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/consul/api/watch"
	"github.com/hashicorp/go-hclog"
)

// These tests drive the read API with HashiCorp's own Go client
// (github.com/hashicorp/consul/api) and its api/watch package. They use
// 127.0.0.176–127.0.0.190.

// conformanceAgent starts a gossip agent named name on addr.
func conformanceAgent(t testing.TB, name, addr string) *membership.Agent {
	t.Helper()
	c := membership.DefaultConfig()
	c.NodeName = name
	c.Role = membership.RoleServer
	c.BindAddr = netip.MustParseAddr(addr)
	c.BindPort = 0
	c.Profile = "local"
	c.Meta = map[string]string{"rack": "r1"}
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := membership.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })
	return a
}

// conformanceServer serves the API of a fresh agent on 127.0.0.176 whose
// catalog also holds web-1 (alive, service web with a passing and web-2's
// critical instance) and a failed node, written into the store directly.
// requests counts the requests served.
func conformanceServer(t *testing.T) (*api.Client, *membership.Agent, *httptest.Server, *atomic.Int64) {
	t.Helper()
	a := conformanceAgent(t, "agent-one", "127.0.0.176")
	st := a.Table()
	st.Upsert(catalog.Node{Name: "web-1", ID: "11111111-1111-1111-1111-111111111111", Addr: netip.MustParseAddr("127.0.0.180"),
		Datacenter: "dc1", State: catalog.StateAlive, Meta: map[string]string{"rack": "r2"}})
	st.Upsert(catalog.Node{Name: "web-2", Addr: netip.MustParseAddr("127.0.0.181"), Datacenter: "dc1", State: catalog.StateAlive})
	st.Upsert(catalog.Node{Name: "dead", Addr: netip.MustParseAddr("127.0.0.182"), Datacenter: "dc1", State: catalog.StateFailed})
	v := catalog.Version{Epoch: 1, Seq: 1}
	st.ReplaceRecords("web-1", v, []catalog.Service{{ID: "web", Name: "web", Tags: []string{"rails", "v1"}, Port: 80,
		Meta: map[string]string{"team": "a"}, Weights: catalog.DefaultWeights}},
		[]catalog.Check{{CheckID: "web-http", Name: "web HTTP", Status: catalog.StatusPassing, ServiceID: "web", Type: "http",
			Definition: catalog.CheckDefinition{HTTP: "http://127.0.0.180/health", Interval: 10 * time.Second}}})
	st.ReplaceRecords("web-2", v, []catalog.Service{{ID: "web", Name: "web", Tags: []string{"v2"}, Port: 80, Weights: catalog.DefaultWeights}},
		[]catalog.Check{{CheckID: "web-ttl", Name: "web TTL", Status: catalog.StatusCritical, ServiceID: "web", Type: "ttl"}})

	done := make(chan struct{}) // ends the requests still parked when the test ends
	s := &Server{Agent: a, Version: "test", Domain: "consul.", ListenAddr: netip.MustParseAddr("127.0.0.176"), Done: done}
	var n atomic.Int64
	h := s.Handler()
	ln, err := net.Listen("tcp", "127.0.0.176:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	})}}
	ts.Start()
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(done) })
	c, err := api.NewClient(&api.Config{Address: ts.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	return c, a, ts, &n
}

func TestConsulAPISelf(t *testing.T) {
	c, _, ts, _ := conformanceServer(t)
	self, err := c.Agent().Self()
	if err != nil {
		t.Fatalf("Agent().Self(): %v", err)
	}
	if dc, ok := self["Config"]["Datacenter"].(string); !ok || dc != "dc1" {
		t.Errorf(`Self()["Config"]["Datacenter"] = %#v; want "dc1"`, self["Config"]["Datacenter"])
	}
	name, err := c.Agent().NodeName()
	if err != nil || name != "agent-one" {
		t.Errorf("NodeName() = %q, %v; want agent-one", name, err)
	}
	_, body := get(t, ts.URL+"/v1/agent/self")
	var raw map[string]map[string]interface{}
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Errorf("/v1/agent/self does not decode into map[string]map[string]interface{}: %v", err)
	}
	if raw["Stats"]["agent"] == nil {
		t.Errorf("Stats.agent missing: %v", raw["Stats"])
	}
}

func TestConsulAPIReads(t *testing.T) {
	c, a, ts, _ := conformanceServer(t)
	indexOK := func(t *testing.T, what string, meta *api.QueryMeta, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if meta.LastIndex < 1 || !meta.KnownLeader {
			t.Errorf("%s: LastIndex %d KnownLeader %v; want ≥1 and true", what, meta.LastIndex, meta.KnownLeader)
		}
	}
	t.Run("catalog nodes", func(t *testing.T) {
		nodes, meta, err := c.Catalog().Nodes(nil)
		indexOK(t, "Nodes", meta, err)
		var names []string
		for _, n := range nodes {
			names = append(names, n.Node)
		}
		if got := strings.Join(names, ","); got != "agent-one,dead,web-1,web-2" {
			t.Errorf("nodes %s", got)
		}
		for _, n := range nodes {
			if n.CreateIndex < 1 || n.ModifyIndex < n.CreateIndex {
				t.Errorf("node %s: CreateIndex %d ModifyIndex %d", n.Node, n.CreateIndex, n.ModifyIndex)
			}
		}
	})
	t.Run("catalog nodes node-meta and filter", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			q    *api.QueryOptions
			want string
		}{
			{"node-meta", &api.QueryOptions{NodeMeta: map[string]string{"rack": "r2"}}, "web-1"},
			{"node-meta AND", &api.QueryOptions{NodeMeta: map[string]string{"rack": "r2", "x": "y"}}, ""},
			{"filter meta", &api.QueryOptions{Filter: `Meta.rack == "r1"`}, "agent-one"},
			{"filter name", &api.QueryOptions{Filter: `Node matches "^web"`}, "web-1,web-2"},
			{"filter tagged address", &api.QueryOptions{Filter: `TaggedAddresses.lan == "127.0.0.182"`}, "dead"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				nodes, meta, err := c.Catalog().Nodes(tt.q)
				indexOK(t, "Nodes", meta, err)
				var names []string
				for _, n := range nodes {
					names = append(names, n.Node)
				}
				if got := strings.Join(names, ","); got != tt.want {
					t.Errorf("nodes %q; want %q", got, tt.want)
				}
			})
		}
	})
	t.Run("filter errors are 400", func(t *testing.T) {
		for _, f := range []string{`Meta.rack ==`, `Nope == "x"`, `((`} {
			_, _, err := c.Catalog().Nodes(&api.QueryOptions{Filter: f})
			if err == nil || !strings.Contains(err.Error(), "400") {
				t.Errorf("filter %q: err %v; want a 400", f, err)
			}
		}
		_, _, err := c.Health().State("any", &api.QueryOptions{Filter: `Status ==`})
		if err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("health filter: err %v; want a 400", err)
		}
	})
	t.Run("catalog services", func(t *testing.T) {
		svcs, meta, err := c.Catalog().Services(nil)
		indexOK(t, "Services", meta, err)
		if got := strings.Join(svcs["web"], ","); len(svcs) != 1 || got != "rails,v1,v2" {
			t.Errorf("services %v; want web: rails,v1,v2", svcs)
		}
		svcs, _, err = c.Catalog().Services(&api.QueryOptions{NodeMeta: map[string]string{"rack": "r2"}})
		if err != nil || strings.Join(svcs["web"], ",") != "rails,v1" {
			t.Errorf("services on rack r2 %v, %v; want web: rails,v1", svcs, err)
		}
	})
	t.Run("catalog service", func(t *testing.T) {
		entries, meta, err := c.Catalog().Service("web", "rails", nil)
		indexOK(t, "Service", meta, err)
		if len(entries) != 1 || entries[0].Node != "web-1" || entries[0].ServicePort != 80 || entries[0].Address != "127.0.0.180" ||
			entries[0].ServiceMeta["team"] != "a" || entries[0].ServiceWeights.Passing != 1 || entries[0].NodeMeta["rack"] != "r2" {
			t.Errorf("Service(web, rails) = %+v", entries)
		}
		entries, _, err = c.Catalog().ServiceMultipleTags("web", []string{"rails", "v2"}, nil)
		if err != nil || len(entries) != 0 {
			t.Errorf("tags rails AND v2 = %d entries, %v; want none", len(entries), err)
		}
		entries, _, err = c.Catalog().Service("web", "", &api.QueryOptions{Filter: `ServiceTags contains "v2"`})
		if err != nil || len(entries) != 1 || entries[0].Node != "web-2" {
			t.Errorf("filtered = %+v, %v; want web-2", entries, err)
		}
		entries, meta, err = c.Catalog().Service("nope", "", nil)
		indexOK(t, "Service(nope)", meta, err)
		if entries == nil || len(entries) != 0 {
			t.Errorf("unknown service = %#v; want []", entries)
		}
	})
	t.Run("catalog node", func(t *testing.T) {
		n, meta, err := c.Catalog().Node("WEB-1", nil)
		indexOK(t, "Node", meta, err)
		if n == nil || n.Node.Node != "web-1" || n.Services["web"] == nil || n.Services["web"].Port != 80 {
			t.Fatalf("Node(web-1) = %+v", n)
		}
		n, meta, err = c.Catalog().Node("nope", nil)
		indexOK(t, "Node(nope)", meta, err)
		if n != nil {
			t.Errorf("unknown node = %+v; want nil", n)
		}
	})
	t.Run("health service", func(t *testing.T) {
		entries, meta, err := c.Health().Service("web", "", false, nil)
		indexOK(t, "Health().Service", meta, err)
		if len(entries) != 2 {
			t.Fatalf("entries %d; want 2", len(entries))
		}
		if got := entries[0].Checks.AggregatedStatus(); got != api.HealthPassing {
			t.Errorf("web-1 status %s", got)
		}
		if got := entries[1].Checks.AggregatedStatus(); got != api.HealthCritical {
			t.Errorf("web-2 status %s", got)
		}
		if ids := entries[0].Checks; len(ids) != 2 || ids[0].CheckID != "serfHealth" || ids[1].CheckID != "web-http" ||
			ids[1].Definition.Interval != api.ReadableDuration(10*time.Second) {
			t.Errorf("web-1 checks %+v", ids)
		}
		entries, _, err = c.Health().Service("web", "", true, nil)
		if err != nil || len(entries) != 1 || entries[0].Node.Node != "web-1" {
			t.Errorf("passing = %+v, %v; want web-1 only", entries, err)
		}
		entries, _, err = c.Health().Service("web", "", false, &api.QueryOptions{Filter: `Service.Tags contains "v2"`})
		if err != nil || len(entries) != 1 || entries[0].Node.Node != "web-2" {
			t.Errorf("filtered = %+v, %v; want web-2", entries, err)
		}
		entries, _, err = c.Health().Service("web", "", false, &api.QueryOptions{Filter: `any Checks as c { c.Status == "critical" }`})
		if err != nil || len(entries) != 1 || entries[0].Node.Node != "web-2" {
			t.Errorf("filtered on checks = %+v, %v; want web-2", entries, err)
		}
		entries, meta, err = c.Health().Service("nope", "", false, nil)
		indexOK(t, "Health().Service(nope)", meta, err)
		if entries == nil || len(entries) != 0 {
			t.Errorf("unknown service = %#v; want []", entries)
		}
	})
	t.Run("health state", func(t *testing.T) {
		checks, meta, err := c.Health().State("critical", nil)
		indexOK(t, "State", meta, err)
		var got []string
		for _, ch := range checks {
			got = append(got, ch.Node+"/"+ch.CheckID)
		}
		if strings.Join(got, ",") != "dead/serfHealth,web-2/web-ttl" {
			t.Errorf("critical checks %v", got)
		}
		all, _, err := c.Health().State("any", nil)
		if err != nil || len(all) != 6 {
			t.Errorf("any = %d checks, %v; want 6", len(all), err)
		}
		resp, err := http.Get(ts.URL + "/v1/health/state/bogus")
		if err == nil {
			resp.Body.Close()
		}
		if err != nil || resp.StatusCode != 400 || resp.Header.Get("X-Consul-Index") == "" {
			t.Errorf("bogus state: %v %v; want 400 with X-Consul-Index", resp, err)
		}
	})
	t.Run("health node and checks", func(t *testing.T) {
		checks, meta, err := c.Health().Node("dead", nil)
		indexOK(t, "Health().Node", meta, err)
		if len(checks) != 1 || checks[0].Status != api.HealthCritical || checks[0].Output != catalog.SerfFailedOutput {
			t.Errorf("dead's checks %+v", checks)
		}
		checks, _, err = c.Health().Checks("web", nil)
		if err != nil || len(checks) != 2 || checks[0].ServiceTags[0] != "rails" {
			t.Errorf("web's checks %+v, %v", checks, err)
		}
		checks, meta, err = c.Health().Node("nope", nil)
		indexOK(t, "Health().Node(nope)", meta, err)
		if len(checks) != 0 {
			t.Errorf("unknown node's checks %+v", checks)
		}
	})
	t.Run("node maintenance", func(t *testing.T) {
		if err := a.SetMaintenance(true, ""); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = a.SetMaintenance(false, "") })
		checks, _, err := c.Health().Node("agent-one", nil)
		if err != nil || checks.AggregatedStatus() != api.HealthMaint || len(checks) != 2 ||
			checks[1].CheckID != "_node_maintenance" || checks[1].Notes != catalog.DefaultNodeMaintReason {
			t.Errorf("checks in maintenance %+v, %v", checks, err)
		}
	})
	t.Run("agent members filter", func(t *testing.T) {
		ms, err := c.Agent().MembersOpts(api.MembersOpts{Filter: `Tags.role == "consul"`})
		if err != nil || len(ms) != 1 || ms[0].Name != "agent-one" {
			t.Errorf("members filtered on role = %+v, %v; want agent-one", ms, err)
		}
		if _, err := c.Agent().MembersOpts(api.MembersOpts{Filter: `Name ==`}); err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("bad members filter: err %v; want a 400", err)
		}
	})
	t.Run("kv", func(t *testing.T) {
		pair, meta, err := c.KV().Get("fabio/config", nil)
		indexOK(t, "KV().Get", meta, err)
		if pair != nil {
			t.Errorf("KV().Get = %+v; want nil", pair)
		}
	})
}

// nodesBlocked starts a blocking Catalog().Nodes at index with a 60 s wait
// and returns a channel that yields its index once it returns.
func nodesBlocked(t *testing.T, c *api.Client, index uint64) <-chan uint64 {
	t.Helper()
	ch := make(chan uint64, 1)
	go func() {
		_, meta, err := c.Catalog().Nodes(&api.QueryOptions{WaitIndex: index, WaitTime: 60 * time.Second})
		if err != nil {
			t.Errorf("blocking Nodes: %v", err)
			ch <- 0
			return
		}
		ch <- meta.LastIndex
	}()
	return ch
}

// stillWaiting reports whether nothing arrived on ch over a short bounded
// poll.
func stillWaiting(ch <-chan uint64) bool {
	for range 20 {
		select {
		case <-ch:
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
	return true
}

func TestConsulAPIBlockingNodes(t *testing.T) {
	c, a, _, _ := conformanceServer(t)
	two := conformanceAgent(t, "agent-two", "127.0.0.177")
	_, meta, err := c.Catalog().Nodes(nil)
	if err != nil {
		t.Fatal(err)
	}
	idx := meta.LastIndex
	step := func(what string, change func()) {
		t.Helper()
		ch := nodesBlocked(t, c, idx)
		if !stillWaiting(ch) {
			t.Fatalf("before %s: a blocking Nodes returned while nothing changed", what)
		}
		change()
		select {
		case got := <-ch:
			if got <= idx {
				t.Fatalf("after %s: index %d; want > %d", what, got, idx)
			}
			idx = got
		case <-time.After(20 * time.Second):
			t.Fatalf("after %s: blocking Nodes still blocked after 20 s", what)
		}
	}
	step("an unrelated service change", func() {
		// Not a node-list change: it must not wake the query; the join
		// below must.
		a.Table().ReplaceRecords("web-2", catalog.Version{Epoch: 2}, nil, nil)
		if _, err := a.Join([]string{netip.AddrPortFrom(two.Local().Addr, two.Local().Port).String()}); err != nil {
			t.Fatal(err)
		}
	})
	step("a failure", func() { a.Table().SetState("web-1", catalog.StateFailed) })
	step("a leave", func() {
		if err := two.Leave(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestConsulAPIWatchNodes(t *testing.T) {
	c, a, _, requests := conformanceServer(t)
	plan, err := watch.Parse(map[string]interface{}{"type": "nodes"})
	if err != nil {
		t.Fatal(err)
	}
	fired := make(chan int, 16)
	plan.Handler = func(_ uint64, raw interface{}) {
		nodes, _ := raw.([]*api.Node)
		fired <- len(nodes)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = plan.RunWithClientAndHclog(c, hclog.NewNullLogger())
	}()
	t.Cleanup(func() { plan.Stop(); <-done })
	wait := func(want int) {
		t.Helper()
		select {
		case n := <-fired:
			if n != want {
				t.Errorf("handler saw %d nodes; want %d", n, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("handler did not fire for %d nodes", want)
		}
	}
	wait(4)
	before := requests.Load()
	a.Table().Upsert(catalog.Node{Name: "web-3", Addr: netip.MustParseAddr("127.0.0.183"), Datacenter: "dc1", State: catalog.StateAlive})
	wait(5)
	if n := requests.Load() - before; n > 5 {
		t.Errorf("the plan made %d requests for one change; want a blocking loop, not a busy one", n)
	}
}
