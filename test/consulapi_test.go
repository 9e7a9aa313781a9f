package test

import (
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/consul/api/watch"
)

// These tests drive real discod processes with HashiCorp's own Go client
// (github.com/hashicorp/consul/api) and its api/watch package, the library
// under Prometheus, Traefik, Fabio, consul-template and the Consul CLI.
// Agents run on 127.0.0.64–127.0.0.67.

func apiClient(t *testing.T, addr string) *api.Client {
	t.Helper()
	c, err := api.NewClient(&api.Config{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConsulClientNodes: Self, NodeName, indexes on found and not-found
// reads, a blocking Catalog().Nodes that stays blocked while nothing
// changes and returns on a join, a leave and a failure, a nodes watch plan
// whose handler fires on each, and the index after a restart.
func TestConsulClientNodes(t *testing.T) {
	const ip1, ip2 = "127.0.0.64", "127.0.0.65"
	d1 := t.TempDir()
	oneArgs := []string{"-server", "-bootstrap-expect", "1", "-node=api-one", "-bind=" + ip1, "-client=" + ip1, "-data-dir", d1}
	one := startAgent(t, "api-one", ip1, oneArgs...)
	c := apiClient(t, ip1+":8500")

	self, err := c.Agent().Self()
	if err != nil {
		t.Fatalf("Agent().Self(): %v", err)
	}
	if dc, _ := self["Config"]["Datacenter"].(string); dc != "dc1" {
		t.Errorf("Self Config.Datacenter = %v", self["Config"]["Datacenter"])
	}
	if name, err := c.Agent().NodeName(); err != nil || name != "api-one" {
		t.Errorf("NodeName() = %q, %v", name, err)
	}
	nodes, meta, err := c.Catalog().Nodes(nil)
	if err != nil || len(nodes) != 1 || meta.LastIndex < 1 {
		t.Fatalf("Catalog().Nodes = %v, %+v, %v", nodes, meta, err)
	}
	if n, meta2, err := c.Catalog().Node("nope", nil); err != nil || n != nil || meta2.LastIndex < 1 {
		t.Errorf("Catalog().Node(nope) = %v, %+v, %v; want nil with an index ≥ 1", n, meta2, err)
	}
	if svcs, meta3, err := c.Health().Service("nope", "", false, nil); err != nil || len(svcs) != 0 || meta3.LastIndex < 1 {
		t.Errorf("Health().Service(nope) = %v, %+v, %v", svcs, meta3, err)
	}

	// A nodes watch plan, counting its handler's calls and the requests.
	var mu sync.Mutex
	var seen [][]*api.Node
	plan, err := watch.Parse(map[string]any{"type": "nodes"})
	if err != nil {
		t.Fatal(err)
	}
	plan.Handler = func(_ uint64, raw any) {
		mu.Lock()
		seen = append(seen, raw.([]*api.Node))
		mu.Unlock()
	}
	go func() { _ = plan.Run(ip1 + ":8500") }()
	defer plan.Stop()
	handled := func() int { mu.Lock(); defer mu.Unlock(); return len(seen) }
	waitFor(t, 10*time.Second, "the watch's first result", func() bool { return handled() >= 1 })

	// A blocking read with a 60 s wait: blocked while nothing changes ...
	type result struct {
		n    int
		idx  uint64
		err  error
		took time.Duration
	}
	block := func(idx uint64) <-chan result {
		ch := make(chan result, 1)
		go func() {
			start := time.Now()
			ns, m, err := c.Catalog().Nodes(&api.QueryOptions{WaitIndex: idx, WaitTime: 60 * time.Second})
			r := result{n: len(ns), err: err, took: time.Since(start)}
			if m != nil {
				r.idx = m.LastIndex
			}
			ch <- r
		}()
		return ch
	}
	// waitChange follows blocking reads from ch until one lists want nodes
	// (a leave shows the node leaving first, then gone), for at most 30 s.
	waitChange := func(what string, ch <-chan result, want int) uint64 {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case r := <-ch:
				if r.err != nil {
					t.Fatalf("%s: blocking read: %v", what, r.err)
				}
				if r.n == want {
					return r.idx
				}
				ch = block(r.idx)
			case <-deadline:
				t.Fatalf("%s: no blocking read returned %d nodes within 30s of the change", what, want)
			}
		}
	}
	ch := block(meta.LastIndex)
	// Nothing changes: still blocked after a bounded look.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case r := <-ch:
			t.Fatalf("blocking read returned while nothing changed: %+v", r)
		case <-time.After(100 * time.Millisecond):
		}
	}
	// ... and returns on a join.
	twoArgs := []string{"-node=api-two", "-bind=" + ip2, "-client=" + ip2, "-join", ip1}
	two := startAgent(t, "api-two", ip2, twoArgs...)
	idx := waitChange("join", ch, 2)
	waitFor(t, 10*time.Second, "the watch handler on the join", func() bool { return handled() >= 2 })

	// A leave, then a failure.
	ch = block(idx)
	if code := two.signal(syscall.SIGTERM); code != 0 {
		t.Fatalf("api-two exit %d", code)
	}
	waitChange("leave", ch, 1)
	waitFor(t, 10*time.Second, "the watch handler on the leave", func() bool { return handled() >= 3 })
	two = startAgent(t, "api-two", ip2, twoArgs...)
	waitFor(t, 15*time.Second, "api-two back", func() bool { return memberStatus(t, ip1+":8500", "api-two") == "alive" })
	_, m, _ := c.Catalog().Nodes(nil)
	ch = block(m.LastIndex)
	two.p.Kill()
	for {
		// A failure changes the node's health, not the list: wait for the
		// read that shows it failed.
		r := <-ch
		if r.err != nil {
			t.Fatal(r.err)
		}
		if memberStatus(t, ip1+":8500", "api-two") == "failed" {
			break
		}
		ch = block(r.idx)
	}

	// The index after a restart is at least the index before it.
	_, before, _ := c.Catalog().Nodes(nil)
	if code := one.signal(syscall.SIGTERM); code != 0 {
		t.Fatalf("api-one exit %d", code)
	}
	startAgent(t, "api-one", ip1, oneArgs...)
	_, after, err := c.Catalog().Nodes(nil)
	if err != nil || after.LastIndex < before.LastIndex {
		t.Errorf("index after restart %d < before %d (%v)", after.LastIndex, before.LastIndex, err)
	}
}

// TestConsulClientServices: service registration, the catalog and health
// reads, a services watch, TTL checks, service maintenance and a script
// check refused over the API, all through consul/api.
func TestConsulClientServices(t *testing.T) {
	const ip = "127.0.0.66"
	startAgent(t, "svc-one", ip, "-dev", "-node=svc-one", "-bind="+ip, "-client="+ip)
	c := apiClient(t, ip+":8500")
	ag := c.Agent()

	var mu sync.Mutex
	var fired []map[string][]string
	plan, _ := watch.Parse(map[string]any{"type": "services"})
	plan.Handler = func(_ uint64, raw any) {
		mu.Lock()
		fired = append(fired, raw.(map[string][]string))
		mu.Unlock()
	}
	go func() { _ = plan.Run(ip + ":8500") }()
	defer plan.Stop()

	reg := &api.AgentServiceRegistration{ID: "redis-1", Name: "redis", Tags: []string{"primary"}, Port: 6379,
		Meta:  map[string]string{"version": "7"},
		Check: &api.AgentServiceCheck{CheckID: "redis-ttl", TTL: "30s", Status: api.HealthPassing}}
	if err := ag.ServiceRegister(reg); err != nil {
		t.Fatalf("ServiceRegister: %v", err)
	}
	waitFor(t, 10*time.Second, "the services watch to see redis", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range fired {
			if _, ok := f["redis"]; ok {
				return true
			}
		}
		return false
	})
	svcs, err := ag.Services()
	if err != nil || svcs["redis-1"] == nil || svcs["redis-1"].Port != 6379 {
		t.Fatalf("Agent().Services() = %v, %v", svcs, err)
	}
	names, _, err := c.Catalog().Services(nil)
	if err != nil || len(names["redis"]) != 1 || names["redis"][0] != "primary" {
		t.Errorf("Catalog().Services() = %v, %v", names, err)
	}
	cs, _, err := c.Catalog().Service("redis", "primary", nil)
	if err != nil || len(cs) != 1 || cs[0].ServicePort != 6379 || cs[0].Node != "svc-one" || cs[0].ServiceMeta["version"] != "7" {
		t.Errorf("Catalog().Service(redis, primary) = %+v, %v", cs, err)
	}
	cn, _, err := c.Catalog().Node("svc-one", nil)
	if err != nil || cn == nil || cn.Services["redis-1"] == nil {
		t.Errorf("Catalog().Node(svc-one) = %+v, %v", cn, err)
	}
	entries, _, err := c.Health().Service("redis", "", true, nil)
	if err != nil || len(entries) != 1 || entries[0].Checks.AggregatedStatus() != api.HealthPassing {
		t.Fatalf("Health().Service(redis, passing) = %+v, %v", entries, err)
	}

	// TTL: fail, pass, update, then expiry.
	if err := ag.FailTTL("redis-ttl", "down"); err != nil {
		t.Fatalf("FailTTL: %v", err)
	}
	if e, _, _ := c.Health().Service("redis", "", true, nil); len(e) != 0 {
		t.Error("a failed TTL check still passes")
	}
	if err := ag.PassTTL("redis-ttl", "up"); err != nil {
		t.Fatalf("PassTTL: %v", err)
	}
	if err := ag.UpdateTTL("redis-ttl", "busy", api.HealthWarning); err != nil {
		t.Fatalf("UpdateTTL: %v", err)
	}
	checks, err := ag.Checks()
	if err != nil || checks["redis-ttl"] == nil || checks["redis-ttl"].Status != api.HealthWarning || checks["redis-ttl"].Output != "busy" {
		t.Errorf("Agent().Checks() after UpdateTTL = %+v, %v", checks["redis-ttl"], err)
	}
	short := &api.AgentCheckRegistration{ID: "short", Name: "short", ServiceID: "redis-1",
		AgentServiceCheck: api.AgentServiceCheck{TTL: "1s", Status: api.HealthPassing}}
	if err := ag.CheckRegister(short); err != nil {
		t.Fatalf("CheckRegister: %v", err)
	}
	waitFor(t, 15*time.Second, "the 1 s TTL check to expire", func() bool {
		cs, _ := ag.Checks()
		return cs["short"] != nil && cs["short"].Status == api.HealthCritical
	})

	// Service maintenance, through consul/api and through the CLI.
	inMaint := func() bool {
		e, _, _ := c.Health().Service("redis", "", false, nil)
		return len(e) == 1 && e[0].Checks.AggregatedStatus() == api.HealthMaint
	}
	if err := ag.EnableServiceMaintenance("redis-1", "upgrade"); err != nil {
		t.Fatalf("EnableServiceMaintenance: %v", err)
	}
	if !inMaint() {
		t.Error("AggregatedStatus after EnableServiceMaintenance is not maintenance")
	}
	if err := ag.DisableServiceMaintenance("redis-1"); err != nil {
		t.Fatalf("DisableServiceMaintenance: %v", err)
	}
	if inMaint() {
		t.Error("still in maintenance after DisableServiceMaintenance")
	}
	if out, errOut, code := cli(t, "maint", "-enable", "-service", "redis-1", "-reason", "disk swap", "-http-addr", ip+":8500"); code != 0 || !strings.Contains(out, "Service entered maintenance mode: redis-1") {
		t.Fatalf("discod maint -enable -service = %d %q %q", code, out, errOut)
	}
	if !inMaint() {
		t.Error("AggregatedStatus after discod maint -enable -service is not maintenance")
	}
	if out, _, _ := cli(t, "maint", "-http-addr", ip+":8500"); !strings.Contains(out, "redis-1") || !strings.Contains(out, "disk swap") {
		t.Errorf("discod maint lists %q; want redis-1 and its reason", out)
	}
	if _, errOut, code := cli(t, "maint", "-disable", "-service", "redis-1", "-http-addr", ip+":8500"); code != 0 || inMaint() {
		t.Fatalf("discod maint -disable -service = %d %q", code, errOut)
	}

	// A script check over the API is refused, and nothing runs.
	marker := t.TempDir() + "/ran"
	err = ag.CheckRegister(&api.AgentCheckRegistration{Name: "evil",
		AgentServiceCheck: api.AgentServiceCheck{Args: []string{"touch", marker}, Interval: "1s"}})
	if err == nil || !strings.Contains(err.Error(), "enable_script_checks") {
		t.Errorf("script check over the API: %v; want a refusal naming enable_script_checks", err)
	}
	if _, err := ag.Checks(); err != nil {
		t.Fatal(err)
	}
	if fileExists(marker) {
		t.Error("the refused script check ran")
	}

	if err := ag.ServiceDeregister("redis-1"); err != nil {
		t.Fatalf("ServiceDeregister: %v", err)
	}
	if s, _ := ag.Services(); len(s) != 0 {
		t.Errorf("services after deregister: %v", s)
	}
	if cs, _ := ag.Checks(); cs["redis-ttl"] != nil {
		t.Error("the service's checks outlived it")
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
