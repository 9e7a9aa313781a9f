package test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/miekg/dns"

	"github.com/discod/discod/internal/testproc"
)

// TestExternalServices registers a node without an agent (a managed
// database) with HashiCorp's client on agent-one (127.0.0.30) and follows
// it on agent-two (127.0.0.31): the catalog, health and DNS (node A,
// service A and SRV) on both; refusals of a name owned elsewhere or taken
// by an agent; gone while its owner is away after a leave, back after the
// owner's restart (its data dir keeps it); out of DNS and critical while
// its owner is failed; and the deregistration of its service, then of the
// node, on both. Agents run on 127.0.0.30–127.0.0.39.
func TestExternalServices(t *testing.T) {
	const ip1, ip2 = "127.0.0.30", "127.0.0.31"
	const http1, http2 = ip1 + ":8500", ip2 + ":8500"
	dnsAddrs := []string{ip1 + ":8600", ip2 + ":8600"}
	oneArgs := []string{"-server", "-bootstrap-expect", "1", "-data-dir", t.TempDir(),
		"-node=ext-one", "-bind=" + ip1, "-client=" + ip1}
	one := startAgent(t, "ext-one", ip1, oneArgs...)
	startAgent(t, "ext-two", ip2, "-data-dir", t.TempDir(), "-node=ext-two", "-bind="+ip2, "-client="+ip2, "-join", ip1)
	for _, h := range []string{http1, http2} {
		testproc.WaitFor(t, 15*time.Second, "two alive members on "+h, func() bool {
			return memberStatus(t, h, "ext-one") == "alive" && memberStatus(t, h, "ext-two") == "alive"
		})
	}
	c1, c2 := apiClient(t, http1), apiClient(t, http2)
	clients := map[string]*api.Client{"ext-one": c1, "ext-two": c2}

	reg := &api.CatalogRegistration{
		Node: "rds-1", Address: "10.0.0.5", NodeMeta: map[string]string{"external-node": "true"},
		Service: &api.AgentService{ID: "pg", Service: "postgres", Tags: []string{"primary"}, Port: 5432},
		Check:   &api.AgentCheck{CheckID: "pg-up", Name: "postgres up", Status: api.HealthPassing, ServiceID: "pg"},
	}
	if _, err := c1.Catalog().Register(reg, nil); err != nil {
		t.Fatalf("Catalog().Register on ext-one: %v", err)
	}

	// seen reports whether the agent of c lists rds-1 with its service.
	seen := func(c *api.Client) bool {
		svcs, _, err := c.Catalog().Service("postgres", "", nil)
		return err == nil && len(svcs) == 1 && svcs[0].Node == "rds-1" && svcs[0].Address == "10.0.0.5" && svcs[0].ServicePort == 5432
	}
	answered := func(server string) bool {
		return answerA(query(t, "udp", server, "postgres.service.consul.", dns.TypeA)) == "10.0.0.5"
	}
	everywhere := func(what string) {
		t.Helper()
		for name, c := range clients {
			testproc.WaitFor(t, 15*time.Second, what+": rds-1's service in the catalog of "+name, func() bool { return seen(c) })
		}
		for _, server := range dnsAddrs {
			testproc.WaitFor(t, 10*time.Second, what+": postgres.service.consul on "+server, func() bool { return answered(server) })
		}
	}
	everywhere("registered")

	// DNS on agent-two: the node's A, the service's SRV with the node's
	// name as target.
	if r := query(t, "udp", dnsAddrs[1], "rds-1.node.consul.", dns.TypeA); answerA(r) != "10.0.0.5" {
		t.Errorf("rds-1.node.consul A on ext-two: %v", r)
	}
	r := query(t, "udp", dnsAddrs[1], "primary.postgres.service.consul.", dns.TypeSRV)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Fatalf("primary.postgres.service.consul SRV on ext-two: %v", r)
	}
	if srv := r.Answer[0].(*dns.SRV); srv.Port != 5432 || srv.Target != "rds-1.node.dc1.consul." {
		t.Errorf("SRV = %v; want port 5432, target rds-1.node.dc1.consul.", srv)
	}
	// Health on agent-two: the registered check, no serfHealth.
	hc, _, err := c2.Health().Node("rds-1", nil)
	if err != nil || len(hc) != 1 || hc[0].CheckID != "pg-up" || hc[0].Status != api.HealthPassing {
		t.Errorf("Health().Node(rds-1) on ext-two = %+v, %v", hc, err)
	}
	if n, _, err := c2.Catalog().Node("rds-1", nil); err != nil || n == nil || n.Node.Meta["external-node"] != "true" {
		t.Errorf("Catalog().Node(rds-1) on ext-two = %+v, %v", n, err)
	}

	// Refusals: the name is owned by ext-one; an agent's name is not free.
	if _, err := c2.Catalog().Register(reg, nil); err == nil || !strings.Contains(err.Error(), "ext-one") {
		t.Errorf("Register of rds-1 on ext-two: %v; want a refusal naming ext-one", err)
	}
	clash := *reg
	clash.Node = "ext-two"
	if _, err := c1.Catalog().Register(&clash, nil); err == nil || !strings.Contains(err.Error(), "ext-two") {
		t.Errorf("Register of ext-two on ext-one: %v; want a refusal naming the agent", err)
	}

	// The owner leaves: its external node goes with its records; its
	// restart brings it back from its data dir.
	if code := one.signal(syscall.SIGTERM); code != 0 {
		t.Fatalf("ext-one exit %d on SIGTERM\n%s", code, one.out.String())
	}
	testproc.WaitFor(t, 15*time.Second, "rds-1 gone from ext-two after ext-one left", func() bool {
		svcs, _, err := c2.Catalog().Service("postgres", "", nil)
		return err == nil && len(svcs) == 0
	})
	one = startAgent(t, "ext-one", ip1, append(oneArgs, "-join", ip2)...)
	everywhere("after ext-one's restart")

	// The owner fails: the node stays listed, critical, and out of DNS.
	one.p.Kill()
	testproc.WaitFor(t, 40*time.Second, "ext-one failed on ext-two", func() bool { return memberStatus(t, http2, "ext-one") == "failed" })
	testproc.WaitFor(t, 5*time.Second, "rds-1's service out of DNS on ext-two", func() bool {
		return query(t, "udp", dnsAddrs[1], "postgres.service.consul.", dns.TypeA).Rcode == dns.RcodeNameError
	})
	hs, _, err := c2.Health().Service("postgres", "", false, nil)
	if err != nil || len(hs) != 1 || hs[0].Checks.AggregatedStatus() != api.HealthCritical {
		t.Errorf("Health().Service(postgres) on ext-two with its owner failed = %+v, %v; want one critical instance", hs, err)
	}
	startAgent(t, "ext-one", ip1, append(oneArgs, "-join", ip2)...)
	everywhere("after ext-one's return")

	// Deregister the service, then the node.
	if _, err := c1.Catalog().Deregister(&api.CatalogDeregistration{Node: "rds-1", ServiceID: "pg"}, nil); err != nil {
		t.Fatalf("Catalog().Deregister(service): %v", err)
	}
	for name, c := range clients {
		testproc.WaitFor(t, 10*time.Second, "rds-1's service gone from "+name, func() bool {
			svcs, _, err := c.Catalog().Service("postgres", "", nil)
			n, _, err2 := c.Catalog().Node("rds-1", nil)
			return err == nil && err2 == nil && len(svcs) == 0 && n != nil && len(n.Services) == 0
		})
	}
	for _, server := range dnsAddrs {
		if r := query(t, "udp", server, "postgres.service.consul.", dns.TypeA); r.Rcode != dns.RcodeNameError {
			t.Errorf("postgres.service.consul on %s after the deregistration: %s", server, dns.RcodeToString[r.Rcode])
		}
	}
	if _, err := c1.Catalog().Deregister(&api.CatalogDeregistration{Node: "rds-1"}, nil); err != nil {
		t.Fatalf("Catalog().Deregister(node): %v", err)
	}
	for name, c := range clients {
		testproc.WaitFor(t, 10*time.Second, "rds-1 gone from "+name, func() bool {
			n, _, err := c.Catalog().Node("rds-1", nil)
			return err == nil && n == nil
		})
	}
	for _, server := range dnsAddrs {
		if r := query(t, "udp", server, "rds-1.node.consul.", dns.TypeA); r.Rcode != dns.RcodeNameError {
			t.Errorf("rds-1.node.consul on %s after the deregistration: %s", server, dns.RcodeToString[r.Rcode])
		}
	}
}
