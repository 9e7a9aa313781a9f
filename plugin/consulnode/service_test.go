package consulnode

import (
	"context"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"
	"github.com/discod/discod/catalog"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"
)

// serviceNodes are the nodes the service fixture adds to fixtureMembers.
var serviceNodes = []membership.Member{
	{Name: "s1", Addr: netip.MustParseAddr("10.1.0.1"), Datacenter: "dc1", State: membership.StateAlive},
	{Name: "s2", Addr: netip.MustParseAddr("10.1.0.2"), Datacenter: "dc1", State: membership.StateAlive},
	{Name: "s3", Addr: netip.MustParseAddr("10.1.0.3"), Datacenter: "dc1", State: membership.StateAlive},
	{Name: "s6", Addr: netip.MustParseAddr("fd00::6"), Datacenter: "dc1", State: membership.StateAlive},
	{Name: "sfail", Addr: netip.MustParseAddr("10.1.0.8"), Datacenter: "dc1", State: membership.StateFailed},
	{Name: "maint", Addr: netip.MustParseAddr("10.1.0.9"), Datacenter: "dc1", State: membership.StateAlive, Maintenance: "upgrade"},
	{Name: "swan", Addr: netip.MustParseAddr("10.1.0.7"), WANAddr: netip.MustParseAddr("192.0.2.7"), Datacenter: "dc1", State: membership.StateAlive},
}

// fixtureServices are the instances of the service fixture, by node.
var fixtureServices = map[string][]catalog.Service{
	"s1": {
		{ID: "api", Name: "api", Tags: []string{"v1", "Primary"}, Port: 8080},
		{ID: "dup1", Name: "dup", Port: 1}, {ID: "dup2", Name: "dup", Port: 2}, {ID: "dup3", Name: "dup", Port: 3},
		{ID: "ext", Name: "ext", Address: "db.example.com", Port: 5432},
		{ID: "exts", Name: "exts", Address: "one.example.com", Port: 1},
		{ID: "mixed", Name: "mixed", Address: "host.example.com", Port: 1},
		{ID: "loop", Name: "loop", Address: "api.service.consul", Port: 2},
		{ID: "v6svc", Name: "v6svc", Address: "2001:db8::5", Port: 80},
		{ID: "warn", Name: "warn", Port: 1},
		{ID: "crit", Name: "crit", Port: 1},
		{ID: "meta one", Name: "meta", Port: 7, Meta: map[string]string{"a": "1", "b": "2"}},
		{ID: "weighted", Name: "weighted", Port: 1, Weights: catalog.Weights{Passing: 10, Warning: 3}},
	},
	"s2": {
		{ID: "api", Name: "api", Tags: []string{"v2"}, Port: 8080},
		{ID: "ext", Name: "ext", Address: "db.example.com", Port: 5433},
		{ID: "exts", Name: "exts", Address: "two.example.com", Port: 1},
		{ID: "mixed", Name: "mixed", Port: 1},
		{ID: "warn", Name: "warn", Port: 2},
		{ID: "m.2", Name: "meta", Port: 8},
		{ID: "weighted", Name: "weighted", Port: 2, Weights: catalog.Weights{Passing: 10, Warning: 3}},
	},
	"s3":    {{ID: "api-3", Name: "api", Tags: []string{"v1"}, Address: "10.2.0.3", Port: 9090}},
	"s6":    {{ID: "v6node", Name: "v6node", Port: 80}},
	"sfail": {{ID: "api", Name: "api", Port: 8080}},
	"maint": {{ID: "api", Name: "api", Port: 8080}},
	"swan": {
		{ID: "wan", Name: "wan", Address: "10.3.0.7", Port: 443,
			TaggedAddresses: map[string]catalog.ServiceAddress{"wan": {Address: "198.51.100.7", Port: 8443}}},
		{ID: "wan2", Name: "wan2", Port: 80},
	},
}

// fixtureChecks are the checks of the service fixture, by node.
var fixtureChecks = map[string][]catalog.Check{
	"s1": {{CheckID: "crit", Name: "crit", Status: catalog.StatusCritical, ServiceID: "crit"}},
	"s2": {
		{CheckID: "warn", Name: "warn", Status: catalog.StatusWarning, ServiceID: "warn"},
		{CheckID: "weighted", Name: "weighted", Status: catalog.StatusWarning, ServiceID: "weighted"},
	},
}

// newServicePlugin is newTestPlugin with the service fixture added.
func newServicePlugin(t testing.TB) (*ConsulNode, *membership.Table) {
	t.Helper()
	cn, tbl := newTestPlugin(t)
	for _, m := range serviceNodes {
		tbl.Upsert(m)
	}
	for node, svcs := range fixtureServices {
		tbl.ReplaceRecords(node, catalog.Version{Epoch: 1, Seq: 1}, svcs, fixtureChecks[node])
	}
	return cn, tbl
}

func a(s string) dns.RR     { return test.A(s) }
func srv(s string) dns.RR   { return test.SRV(s) }
func ptr(s string) dns.RR   { return test.PTR(s) }
func txt(s string) dns.RR   { return test.TXT(s) }
func aaaa(s string) dns.RR  { return test.AAAA(s) }
func cname(s string) dns.RR { return test.CNAME(s) }

// apiA and apiSRV are the healthy api instances: s1, s2 and s3 with its
// own address (maint is in maintenance, sfail failed).
var (
	apiA = []dns.RR{a("api.service.consul. 5 IN A 10.1.0.1"), a("api.service.consul. 5 IN A 10.1.0.2"), a("api.service.consul. 5 IN A 10.2.0.3")}
)

func apiSRV(owner string) (answer, extra []dns.RR) {
	return []dns.RR{
			srv(owner + " 5 IN SRV 1 1 8080 s1.node.dc1.consul."),
			srv(owner + " 5 IN SRV 1 1 8080 s2.node.dc1.consul."),
			srv(owner + " 5 IN SRV 1 1 9090 0a020003.addr.dc1.consul."),
		}, []dns.RR{
			a("s1.node.dc1.consul. 5 IN A 10.1.0.1"),
			a("s2.node.dc1.consul. 5 IN A 10.1.0.2"),
			a("0a020003.addr.dc1.consul. 5 IN A 10.2.0.3"),
		}
}

func srvCase(qname string) test.Case {
	ans, ext := apiSRV(qname)
	return test.Case{Qname: qname, Qtype: dns.TypeSRV, Authoritative: true, Answer: ans, Extra: ext}
}

func v1SRVCase(qname string) test.Case {
	return test.Case{Qname: qname, Qtype: dns.TypeSRV, Authoritative: true,
		Answer: []dns.RR{srv(qname + " 5 IN SRV 1 1 8080 s1.node.dc1.consul."), srv(qname + " 5 IN SRV 1 1 9090 0a020003.addr.dc1.consul.")},
		Extra:  []dns.RR{a("s1.node.dc1.consul. 5 IN A 10.1.0.1"), a("0a020003.addr.dc1.consul. 5 IN A 10.2.0.3")}}
}

func nx(qname string, qtype uint16) test.Case {
	return test.Case{Qname: qname, Qtype: qtype, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain}
}

func nod(qname string, qtype uint16) test.Case {
	return test.Case{Qname: qname, Qtype: qtype, Authoritative: true, Ns: nodata}
}

// serviceTests are Consul's service rules (tests of
// hashicorp/consul agent/dns_service_lookup_test.go named where they
// mirror one) over the service fixture.
var serviceTests = []test.Case{
	// A with the instances' addresses: the service's own, else the node's.
	{Qname: "api.service.consul.", Qtype: dns.TypeA, Authoritative: true, Answer: apiA},
	{Qname: "api.service.dc1.consul.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
		a("api.service.dc1.consul. 5 IN A 10.1.0.1"), a("api.service.dc1.consul. 5 IN A 10.1.0.2"), a("api.service.dc1.consul. 5 IN A 10.2.0.3")}},
	// ANY answers the addresses, not SRV.
	{Qname: "api.service.consul.", Qtype: dns.TypeANY, Authoritative: true, Answer: apiA},
	// Case-insensitive names and tags (TestDNS_ServiceLookup_CaseInsensitive).
	{Qname: "API.Service.CONSUL.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
		a("API.Service.CONSUL. 5 IN A 10.1.0.1"), a("API.Service.CONSUL. 5 IN A 10.1.0.2"), a("API.Service.CONSUL. 5 IN A 10.2.0.3")}},
	{Qname: "v1.api.service.consul.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
		a("v1.api.service.consul. 5 IN A 10.1.0.1"), a("v1.api.service.consul. 5 IN A 10.2.0.3")}},
	{Qname: "primary.api.service.consul.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
		a("primary.api.service.consul. 5 IN A 10.1.0.1")}},
	// Unknown service or tag, one tag only (TestDNS_ServiceLookup_ExtraTags), the other datacenter unknown.
	nx("nosvc.service.consul.", dns.TypeA),
	nx("nosvc.service.consul.", dns.TypeSRV),
	nx("nope.api.service.consul.", dns.TypeA),
	nx("x.v1.api.service.consul.", dns.TypeA),
	nx("api.service.dc9.consul.", dns.TypeA),
	// Known name, type without records: NODATA.
	nod("api.service.consul.", dns.TypeAAAA),
	nod("api.service.consul.", dns.TypeTXT),
	nod("api.service.consul.", dns.TypeMX),
	nod("api.service.consul.", dns.TypePTR),
	// SRV: priority 1, weight, port, node or .addr target, its address in Additional.
	srvCase("api.service.consul."),
	v1SRVCase("v1.api.service.consul."),
	// De-duplication: one A for three instances on one node
	// (TestDNS_ServiceLookup_Dedup), one SRV per port (…_Dedup_SRV).
	{Qname: "dup.service.consul.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{a("dup.service.consul. 5 IN A 10.1.0.1")}},
	{Qname: "dup.service.consul.", Qtype: dns.TypeSRV, Authoritative: true,
		Answer: []dns.RR{
			srv("dup.service.consul. 5 IN SRV 1 1 1 s1.node.dc1.consul."),
			srv("dup.service.consul. 5 IN SRV 1 1 2 s1.node.dc1.consul."),
			srv("dup.service.consul. 5 IN SRV 1 1 3 s1.node.dc1.consul."),
		},
		Extra: []dns.RR{a("s1.node.dc1.consul. 5 IN A 10.1.0.1")}},
	// Weights by status: passing on s1, warning on s2.
	{Qname: "weighted.service.consul.", Qtype: dns.TypeSRV, Authoritative: true,
		Answer: []dns.RR{
			srv("weighted.service.consul. 5 IN SRV 1 10 1 s1.node.dc1.consul."),
			srv("weighted.service.consul. 5 IN SRV 1 3 2 s2.node.dc1.consul."),
		},
		Extra: []dns.RR{a("s1.node.dc1.consul. 5 IN A 10.1.0.1"), a("s2.node.dc1.consul. 5 IN A 10.1.0.2")}},
	// IPv6: a service address (TestDNS_ServiceLookup_ServiceAddressIPV6) and a node address.
	{Qname: "v6svc.service.consul.", Qtype: dns.TypeAAAA, Authoritative: true, Answer: []dns.RR{aaaa("v6svc.service.consul. 5 IN AAAA 2001:db8::5")}},
	nod("v6svc.service.consul.", dns.TypeA),
	{Qname: "v6svc.service.consul.", Qtype: dns.TypeSRV, Authoritative: true,
		Answer: []dns.RR{srv("v6svc.service.consul. 5 IN SRV 1 1 80 20010db8000000000000000000000005.addr.dc1.consul.")},
		Extra:  []dns.RR{aaaa("20010db8000000000000000000000005.addr.dc1.consul. 5 IN AAAA 2001:db8::5")}},
	{Qname: "v6node.service.consul.", Qtype: dns.TypeAAAA, Authoritative: true, Answer: []dns.RR{aaaa("v6node.service.consul. 5 IN AAAA fd00::6")}},
	// Health: warning answered, critical not; all critical is NXDOMAIN (…_OnlyFailing).
	{Qname: "warn.service.consul.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
		a("warn.service.consul. 5 IN A 10.1.0.1"), a("warn.service.consul. 5 IN A 10.1.0.2")}},
	nx("crit.service.consul.", dns.TypeA),
	// Host names: one CNAME at most, IP instances preferred, SRV targets the host.
	{Qname: "ext.service.consul.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{cname("ext.service.consul. 5 IN CNAME db.example.com.")}},
	{Qname: "ext.service.consul.", Qtype: dns.TypeAAAA, Authoritative: true, Answer: []dns.RR{cname("ext.service.consul. 5 IN CNAME db.example.com.")}},
	{Qname: "ext.service.consul.", Qtype: dns.TypeSRV, Authoritative: true, Answer: []dns.RR{
		srv("ext.service.consul. 5 IN SRV 1 1 5432 db.example.com."), srv("ext.service.consul. 5 IN SRV 1 1 5433 db.example.com.")}},
	{Qname: "mixed.service.consul.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{a("mixed.service.consul. 5 IN A 10.1.0.2")}},
	// A service address inside the zone is not followed (…WithInternalServiceAddress).
	{Qname: "loop.service.consul.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{a("loop.service.consul. 5 IN A 10.1.0.1")}},
	{Qname: "loop.service.consul.", Qtype: dns.TypeSRV, Authoritative: true,
		Answer: []dns.RR{srv("loop.service.consul. 5 IN SRV 1 1 2 s1.node.dc1.consul.")},
		Extra:  []dns.RR{a("s1.node.dc1.consul. 5 IN A 10.1.0.1")}},
	// RFC 2782, .service and the datacenter optional (…_SRV_RFC), _tcp any tag (…_RFC_TCP_Default).
	v1SRVCase("_api._v1.service.consul."),
	v1SRVCase("_api._v1.service.dc1.consul."),
	v1SRVCase("_api._v1.dc1.consul."),
	v1SRVCase("_api._v1.consul."),
	v1SRVCase("_API._V1.consul."),
	srvCase("_api._tcp.service.consul."),
	srvCase("_api._tcp.consul."),
	srvCase("_api._tcp.dc1.consul."),
	nx("_api._nope.consul.", dns.TypeSRV),
	nx("_api._udp.consul.", dns.TypeSRV), // _udp is an ordinary tag
	nx("banana._api._v1.service.consul.", dns.TypeSRV),
	nx("_nosvc._tcp.consul.", dns.TypeSRV),
	// Empty non-terminals.
	nod("service.consul.", dns.TypeA),
	nod("service.dc1.consul.", dns.TypeSRV),
	nod("_tcp.consul.", dns.TypeA),
	nod("_udp.consul.", dns.TypePTR),
	nod("_dns-sd._udp.consul.", dns.TypePTR),
	nx("service.dc9.consul.", dns.TypeA),
	// Not provided: prepared queries, service mesh.
	nx("api.query.consul.", dns.TypeA),
	nx("api.query.consul.", dns.TypeSRV),
	nx("_api._tcp.query.consul.", dns.TypeSRV),
	nx("api.connect.consul.", dns.TypeA),
	nx("api.ingress.consul.", dns.TypeA),
	nx("api.virtual.consul.", dns.TypeA),
	nx("query.consul.", dns.TypeA),
	// A node in maintenance is gone from every answer: A, TXT, PTR, services.
	nx("maint.node.consul.", dns.TypeA),
	nx("maint.node.consul.", dns.TypeTXT),
	{Qname: "9.0.1.10.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: passedRcode},
	{Qname: "1.0.1.10.in-addr.arpa.", Qtype: dns.TypePTR, Authoritative: true,
		Answer: []dns.RR{ptr("1.0.1.10.in-addr.arpa. 5 IN PTR s1.node.dc1.consul.")}},
	// DNS-SD browsing (RFC 6763).
	{Qname: "b._dns-sd._udp.consul.", Qtype: dns.TypePTR, Authoritative: true, Answer: []dns.RR{ptr("b._dns-sd._udp.consul. 5 IN PTR consul.")}},
	{Qname: "lb._dns-sd._udp.alt.example.", Qtype: dns.TypePTR, Authoritative: true,
		Answer: []dns.RR{ptr("lb._dns-sd._udp.alt.example. 5 IN PTR alt.example.")}},
	nod("b._dns-sd._udp.consul.", dns.TypeA),
	nx("r._dns-sd._udp.consul.", dns.TypePTR),
	{Qname: "_services._dns-sd._udp.consul.", Qtype: dns.TypePTR, Authoritative: true, Answer: []dns.RR{
		ptr("_services._dns-sd._udp.consul. 5 IN PTR _api._tcp.consul."),
		ptr("_services._dns-sd._udp.consul. 5 IN PTR _dup._tcp.consul."),
		ptr("_services._dns-sd._udp.consul. 5 IN PTR _ext._tcp.consul."),
		ptr("_services._dns-sd._udp.consul. 5 IN PTR _exts._tcp.consul."),
		ptr("_services._dns-sd._udp.consul. 5 IN PTR _loop._tcp.consul."),
		ptr("_services._dns-sd._udp.consul. 5 IN PTR _meta._tcp.consul."),
		ptr("_services._dns-sd._udp.consul. 5 IN PTR _mixed._tcp.consul."),
		ptr("_services._dns-sd._udp.consul. 5 IN PTR _v6node._tcp.consul."),
		ptr("_services._dns-sd._udp.consul. 5 IN PTR _v6svc._tcp.consul."),
		ptr("_services._dns-sd._udp.consul. 5 IN PTR _wan._tcp.consul."),
		ptr("_services._dns-sd._udp.consul. 5 IN PTR _wan2._tcp.consul."),
		ptr("_services._dns-sd._udp.consul. 5 IN PTR _warn._tcp.consul."),
		ptr("_services._dns-sd._udp.consul. 5 IN PTR _weighted._tcp.consul."),
	}},
	{Qname: "_meta._tcp.consul.", Qtype: dns.TypePTR, Authoritative: true,
		Answer: []dns.RR{
			ptr(`_meta._tcp.consul. 5 IN PTR meta\ one._meta._tcp.consul.`),
			ptr(`_meta._tcp.consul. 5 IN PTR m\.2._meta._tcp.consul.`),
		},
		Extra: []dns.RR{
			srv(`meta\ one._meta._tcp.consul. 5 IN SRV 1 1 7 s1.node.dc1.consul.`),
			txt(`meta\ one._meta._tcp.consul. 5 IN TXT "a=1" "b=2"`),
			a("s1.node.dc1.consul. 5 IN A 10.1.0.1"),
			srv(`m\.2._meta._tcp.consul. 5 IN SRV 1 1 8 s2.node.dc1.consul.`),
			txt(`m\.2._meta._tcp.consul. 5 IN TXT ""`),
			a("s2.node.dc1.consul. 5 IN A 10.1.0.2"),
		}},
	// Shared IDs are told apart by node.
	{Qname: "_api._tcp.consul.", Qtype: dns.TypePTR, Authoritative: true,
		Answer: []dns.RR{
			ptr("_api._tcp.consul. 5 IN PTR api:s1._api._tcp.consul."),
			ptr("_api._tcp.consul. 5 IN PTR api:s2._api._tcp.consul."),
			ptr("_api._tcp.consul. 5 IN PTR api-3._api._tcp.consul."),
		},
		Extra: []dns.RR{
			srv("api:s1._api._tcp.consul. 5 IN SRV 1 1 8080 s1.node.dc1.consul."),
			txt(`api:s1._api._tcp.consul. 5 IN TXT ""`),
			a("s1.node.dc1.consul. 5 IN A 10.1.0.1"),
			srv("api:s2._api._tcp.consul. 5 IN SRV 1 1 8080 s2.node.dc1.consul."),
			txt(`api:s2._api._tcp.consul. 5 IN TXT ""`),
			a("s2.node.dc1.consul. 5 IN A 10.1.0.2"),
			srv("api-3._api._tcp.consul. 5 IN SRV 1 1 9090 0a020003.addr.dc1.consul."),
			txt(`api-3._api._tcp.consul. 5 IN TXT ""`),
			a("0a020003.addr.dc1.consul. 5 IN A 10.2.0.3"),
		}},
	nx("_nosvc._tcp.consul.", dns.TypePTR),
	{Qname: `meta\ one._meta._tcp.consul.`, Qtype: dns.TypeSRV, Authoritative: true,
		Answer: []dns.RR{srv(`meta\ one._meta._tcp.consul. 5 IN SRV 1 1 7 s1.node.dc1.consul.`)},
		Extra:  []dns.RR{a("s1.node.dc1.consul. 5 IN A 10.1.0.1")}},
	{Qname: `META\ ONE._meta._tcp.consul.`, Qtype: dns.TypeTXT, Authoritative: true,
		Answer: []dns.RR{txt(`META\ ONE._meta._tcp.consul. 5 IN TXT "a=1" "b=2"`)}},
	{Qname: `m\.2._meta._tcp.consul.`, Qtype: dns.TypeANY, Authoritative: true,
		Answer: []dns.RR{srv(`m\.2._meta._tcp.consul. 5 IN SRV 1 1 8 s2.node.dc1.consul.`), txt(`m\.2._meta._tcp.consul. 5 IN TXT ""`)},
		Extra:  []dns.RR{a("s2.node.dc1.consul. 5 IN A 10.1.0.2")}},
	nod(`m\.2._meta._tcp.consul.`, dns.TypeA),
	nx("nope._meta._tcp.consul.", dns.TypeSRV),
	nx(`we\.b.node.consul.`, dns.TypeA),
}

func TestServeDNSServices(t *testing.T) {
	cn, _ := newServicePlugin(t)
	var calls int
	cn.Next = nextHandler(&calls)
	runDNSTests(t, cn, sorted(serviceTests))
}

// sorted sorts the sections of each case as test.SortAndCheck sorts the
// reply's, so that cases can list records in a readable order.
func sorted(cases []test.Case) []test.Case {
	for _, tc := range cases {
		sort.Sort(test.RRSet(tc.Answer))
		sort.Sort(test.RRSet(tc.Ns))
		sort.Sort(test.RRSet(tc.Extra))
	}
	return cases
}

// TestServiceCNAMEOnlyOne: two instances with different host names give
// one CNAME, to either (TestDNS_ServiceLookupNoMultiCNAME).
func TestServiceCNAMEOnlyOne(t *testing.T) {
	cn, _ := newServicePlugin(t)
	for range 20 {
		w := dnstest.NewRecorder(&test.ResponseWriter{})
		_, _ = cn.ServeDNS(context.Background(), w, test.Case{Qname: "exts.service.consul.", Qtype: dns.TypeA}.Msg())
		if len(w.Msg.Answer) != 1 {
			t.Fatalf("answer = %v; want one CNAME", w.Msg.Answer)
		}
		c, ok := w.Msg.Answer[0].(*dns.CNAME)
		if !ok || (c.Target != "one.example.com." && c.Target != "two.example.com.") {
			t.Fatalf("answer = %v; want one CNAME to one. or two.example.com.", w.Msg.Answer)
		}
	}
}

// TestServiceOptions covers the Corefile's service options.
func TestServiceOptions(t *testing.T) {
	tests := []struct {
		name  string
		set   func(*ConsulNode)
		cases []test.Case
	}{
		{
			name: "only_passing", // TestDNS_ServiceLookup_OnlyPassing
			set:  func(cn *ConsulNode) { cn.onlyPassing = true },
			cases: []test.Case{
				{Qname: "warn.service.consul.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{a("warn.service.consul. 5 IN A 10.1.0.1")}},
				{Qname: "weighted.service.consul.", Qtype: dns.TypeSRV, Authoritative: true,
					Answer: []dns.RR{srv("weighted.service.consul. 5 IN SRV 1 10 1 s1.node.dc1.consul.")},
					Extra:  []dns.RR{a("s1.node.dc1.consul. 5 IN A 10.1.0.1")}},
			},
		},
		{
			name: "service_ttl", // TestDNS_ServiceLookup_TTL: the Additional records too
			set: func(cn *ConsulNode) {
				for p, v := range map[string]uint32{"d*": 42, "dup": 10, "a*": 66, "*": 7} {
					if err := cn.serviceTTL.set(p, v); err != nil {
						panic(err)
					}
				}
			},
			cases: []test.Case{
				{Qname: "dup.service.consul.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{a("dup.service.consul. 10 IN A 10.1.0.1")}},
				{Qname: "api.service.consul.", Qtype: dns.TypeSRV, Authoritative: true,
					Answer: []dns.RR{
						srv("api.service.consul. 66 IN SRV 1 1 8080 s1.node.dc1.consul."),
						srv("api.service.consul. 66 IN SRV 1 1 8080 s2.node.dc1.consul."),
						srv("api.service.consul. 66 IN SRV 1 1 9090 0a020003.addr.dc1.consul."),
					},
					Extra: []dns.RR{
						a("s1.node.dc1.consul. 66 IN A 10.1.0.1"),
						a("s2.node.dc1.consul. 66 IN A 10.1.0.2"),
						a("0a020003.addr.dc1.consul. 66 IN A 10.2.0.3"),
					}},
				{Qname: "mixed.service.consul.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{a("mixed.service.consul. 7 IN A 10.1.0.2")}},
				// Node answers keep ttl.
				{Qname: "s1.node.consul.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{a("s1.node.consul. 5 IN A 10.1.0.1")}},
			},
		},
		{
			name: "a_record_limit", // caps A, not SRV (TestDNS_ServiceLookup_ARecordLimits)
			set:  func(cn *ConsulNode) { cn.aRecordLimit = 1 },
			cases: []test.Case{
				srvCase("api.service.consul."),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cn, _ := newServicePlugin(t)
			var calls int
			cn.Next = nextHandler(&calls)
			tt.set(cn)
			runDNSTests(t, cn, sorted(tt.cases))
		})
	}
}

func TestServiceTTLLookup(t *testing.T) {
	var st serviceTTLs
	st.def = 5
	for p, v := range map[string]uint32{"d*": 42, "db": 10, "db*": 66, "*": 3} {
		if err := st.set(p, v); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]uint32{"db": 10, "dblb": 66, "dk": 42, "api": 3, "d": 42} {
		if got := st.lookup(name); got != want {
			t.Errorf("lookup(%q) = %d; want %d", name, got, want)
		}
	}
	var none serviceTTLs
	none.def = 5
	if got := none.lookup("api"); got != 5 {
		t.Errorf("lookup without patterns = %d; want the default 5", got)
	}
	for _, bad := range []string{"", "a*b", "**"} {
		if err := st.set(bad, 1); err == nil {
			t.Errorf("set(%q) = nil; want an error", bad)
		}
	}
}

// hopMsg returns a question as forwarded over the WAN by another
// datacenter's server.
func hopMsg(name string, qtype uint16, hop membership.Hop) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(forwardUDPSize, false)
	opt := m.IsEdns0()
	opt.Option = append(opt.Option, &dns.EDNS0_LOCAL{Code: hopOptionCode, Data: []byte{byte(hop)}})
	return m
}

// TestServiceWANAddresses: a question from another datacenter gets the
// `wan` tagged address (and its port), else the node's WAN address.
func TestServiceWANAddresses(t *testing.T) {
	cn, _ := newServicePlugin(t)
	tests := []struct {
		name  string
		qtype uint16
		hop   membership.Hop
		want  []string
	}{
		{"wan.service.consul.", dns.TypeA, membership.HopWAN, []string{"wan.service.consul.\t5\tIN\tA\t198.51.100.7"}},
		{"wan.service.consul.", dns.TypeA, membership.HopLAN, []string{"wan.service.consul.\t5\tIN\tA\t10.3.0.7"}},
		{"wan.service.consul.", dns.TypeSRV, membership.HopWAN, []string{
			"wan.service.consul.\t5\tIN\tSRV\t1 1 8443 c6336407.addr.dc1.consul.", "c6336407.addr.dc1.consul.\t5\tIN\tA\t198.51.100.7"}},
		{"wan2.service.consul.", dns.TypeA, membership.HopWAN, []string{"wan2.service.consul.\t5\tIN\tA\t192.0.2.7"}},
		{"wan2.service.consul.", dns.TypeSRV, membership.HopWAN, []string{
			"wan2.service.consul.\t5\tIN\tSRV\t1 1 80 swan.node.dc1.consul.", "swan.node.dc1.consul.\t5\tIN\tA\t192.0.2.7"}},
		{"wan2.service.consul.", dns.TypeA, membership.HopClient, []string{"wan2.service.consul.\t5\tIN\tA\t10.1.0.7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+dns.TypeToString[tt.qtype]+" hop "+strconv.Itoa(int(tt.hop)), func(t *testing.T) {
			w := dnstest.NewRecorder(&test.ResponseWriter{})
			_, _ = cn.ServeDNS(context.Background(), w, hopMsg(tt.name, tt.qtype, tt.hop))
			var got []string
			for _, rr := range append(w.Msg.Answer, w.Msg.Extra...) {
				got = append(got, rr.String())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("records = %q; want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("record %d = %q; want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestServiceShuffle: answers come in more than one order
// (TestDNS_ServiceLookup_Randomize).
func TestServiceShuffle(t *testing.T) {
	cn, _ := newServicePlugin(t)
	orders := map[string]bool{}
	for range 50 {
		w := dnstest.NewRecorder(&test.ResponseWriter{})
		_, _ = cn.ServeDNS(context.Background(), w, test.Case{Qname: "api.service.consul.", Qtype: dns.TypeA}.Msg())
		key := ""
		for _, rr := range w.Msg.Answer {
			key += rr.(*dns.A).A.String() + " "
		}
		orders[key] = true
	}
	if len(orders) < 2 {
		t.Errorf("50 queries gave %d order(s); want them shuffled", len(orders))
	}
}

// bigPlugin is the service fixture plus service big with n instances on
// n nodes b0…b<n-1>.
func bigPlugin(t testing.TB, n int) *ConsulNode {
	t.Helper()
	cn, tbl := newServicePlugin(t)
	for i := range n {
		name := "b" + strconv.Itoa(i)
		tbl.Upsert(membership.Member{Name: name, Addr: netip.AddrFrom4([4]byte{10, 5, byte(i >> 8), byte(i)}), Datacenter: "dc1", State: membership.StateAlive})
		tbl.ReplaceRecords(name, catalog.Version{Epoch: 1, Seq: 1}, []catalog.Service{{ID: "big", Name: "big", Port: 80}}, nil)
	}
	return cn
}

// TestServiceTruncation: 40 instances over UDP without EDNS, with EDNS
// 1232, and over TCP. What is sent fits the client, additional records
// match the answers kept, TC says instances were left out; the server's
// scrubbing (as CoreDNS wraps the writer) then changes nothing.
func TestServiceTruncation(t *testing.T) {
	cn := bigPlugin(t, 40)
	tests := []struct {
		name    string
		qtype   uint16
		tcp     bool
		edns    uint16
		size    int
		all, tc bool
	}{
		{"udp A", dns.TypeA, false, 0, 512, false, true},
		{"udp SRV", dns.TypeSRV, false, 0, 512, false, true},
		{"edns1232 A", dns.TypeA, false, 1232, 1232, true, false},
		{"edns1232 SRV", dns.TypeSRV, false, 1232, 1232, false, true},
		{"tcp A", dns.TypeA, true, 0, 65535, true, false},
		{"tcp SRV", dns.TypeSRV, true, 0, 65535, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := test.Case{Qname: "big.service.consul.", Qtype: tt.qtype}.Msg()
			if tt.edns > 0 {
				r.SetEdns0(tt.edns, false)
			}
			rec := dnstest.NewRecorder(&test.ResponseWriter{TCP: tt.tcp})
			w := request.NewScrubWriter(r, rec)
			if _, err := cn.ServeDNS(context.Background(), w, r); err != nil {
				t.Fatal(err)
			}
			checkTruncated(t, rec.Msg, tt.size, 40, tt.all, tt.tc)
		})
	}
}

// checkTruncated checks a service reply cut to size from total instances.
func checkTruncated(t *testing.T, m *dns.Msg, size, total int, all, tc bool) {
	t.Helper()
	// Measure as sent: compressed (a received message does not say, and
	// the plugin only leaves compression off when the reply fits without).
	m.Compress = true
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > size {
		t.Errorf("reply is %d bytes; want at most %d", len(b), size)
	}
	if m.Truncated != tc {
		t.Errorf("TC = %t; want %t", m.Truncated, tc)
	}
	if n := len(m.Answer); all && n != total || !all && (n == 0 || n >= total) {
		t.Errorf("%d answers of %d; want all %t", n, total, all)
	}
	seen := map[string]bool{}
	var targets []string
	for _, rr := range m.Answer {
		if seen[rr.String()] {
			t.Errorf("answer %v twice", rr)
		}
		seen[rr.String()] = true
		if s, ok := rr.(*dns.SRV); ok {
			targets = append(targets, s.Target)
		}
	}
	var extra []string
	for _, rr := range m.Extra {
		if rr.Header().Rrtype != dns.TypeOPT {
			extra = append(extra, rr.Header().Name)
		}
	}
	if len(extra) != len(targets) {
		t.Fatalf("%d additional records for %d SRV; want them in step", len(extra), len(targets))
	}
	for i := range targets {
		if extra[i] != targets[i] {
			t.Errorf("additional record %d is for %s; want %s", i, extra[i], targets[i])
		}
	}
}

// TestServiceTruncationTCP64K: over TCP an answer past 64 KiB is cut,
// with TC set.
func TestServiceTruncationTCP64K(t *testing.T) {
	cn := bigPlugin(t, 3000)
	r := test.Case{Qname: "big.service.consul.", Qtype: dns.TypeSRV}.Msg()
	rec := dnstest.NewRecorder(&test.ResponseWriter{TCP: true})
	if _, err := cn.ServeDNS(context.Background(), request.NewScrubWriter(r, rec), r); err != nil {
		t.Fatal(err)
	}
	checkTruncated(t, rec.Msg, dns.MaxMsgSize, 3000, false, true)
}

// TestServiceAnswerLimits: udp_answer_limit caps UDP answers without
// EDNS, setting TC only with enable_truncate; EDNS and TCP are not capped.
func TestServiceAnswerLimits(t *testing.T) {
	tests := []struct {
		name     string
		truncate bool
		edns     bool
		tcp      bool
		want     int
		tc       bool
	}{
		{"udp", false, false, false, 3, false},
		{"udp enable_truncate", true, false, false, 3, true},
		{"edns", false, true, false, 40, false},
		{"tcp", false, false, true, 40, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cn := bigPlugin(t, 40)
			cn.udpAnswerLimit, cn.enableTruncate = 3, tt.truncate
			for _, qtype := range []uint16{dns.TypeA, dns.TypeSRV} {
				r := test.Case{Qname: "big.service.consul.", Qtype: qtype}.Msg()
				if tt.edns {
					r.SetEdns0(4096, false)
				}
				rec := dnstest.NewRecorder(&test.ResponseWriter{TCP: tt.tcp})
				_, _ = cn.ServeDNS(context.Background(), rec, r)
				if len(rec.Msg.Answer) != tt.want || rec.Msg.Truncated != tt.tc {
					t.Errorf("%s: %d answers, TC %t; want %d, TC %t", dns.TypeToString[qtype], len(rec.Msg.Answer), rec.Msg.Truncated, tt.want, tt.tc)
				}
			}
		})
	}
	cn := bigPlugin(t, 40)
	cn.aRecordLimit = 2
	rec := dnstest.NewRecorder(&test.ResponseWriter{TCP: true})
	_, _ = cn.ServeDNS(context.Background(), rec, test.Case{Qname: "big.service.consul.", Qtype: dns.TypeA}.Msg())
	if len(rec.Msg.Answer) != 2 || rec.Msg.Truncated {
		t.Errorf("a_record_limit 2 over TCP: %d answers, TC %t; want 2, no TC", len(rec.Msg.Answer), rec.Msg.Truncated)
	}
}

// TestDNSSDTruncation: a browse answer for 40 instances over UDP without
// EDNS is cut whole instances at a time, each one's SRV, TXT and address
// with its PTR, and sets TC; over TCP it is whole.
func TestDNSSDTruncation(t *testing.T) {
	cn := bigPlugin(t, 40)
	for _, tcp := range []bool{false, true} {
		r := test.Case{Qname: "_big._tcp.consul.", Qtype: dns.TypePTR}.Msg()
		rec := dnstest.NewRecorder(&test.ResponseWriter{TCP: tcp})
		if _, err := cn.ServeDNS(context.Background(), request.NewScrubWriter(r, rec), r); err != nil {
			t.Fatal(err)
		}
		m := rec.Msg
		if b, err := m.Pack(); err != nil || !tcp && len(b) > 512 {
			t.Fatalf("tcp %t: reply of %d bytes, %v; want it packed within 512 over UDP", tcp, len(b), err)
		}
		if n := len(m.Answer); m.Truncated == tcp || tcp && n != 40 || !tcp && (n == 0 || n >= 40) {
			t.Fatalf("tcp %t: %d answers, TC %t; want all 40 over TCP, some with TC over UDP", tcp, n, m.Truncated)
		}
		owners := map[string]int{}
		for _, rr := range m.Extra {
			switch rr.Header().Rrtype {
			case dns.TypeSRV, dns.TypeTXT:
				owners[rr.Header().Name]++
			}
		}
		for _, rr := range m.Answer {
			if inst := rr.(*dns.PTR).Ptr; owners[inst] != 2 {
				t.Errorf("tcp %t: instance %s has %d SRV/TXT records in the additional section; want 2", tcp, inst, owners[inst])
			}
		}
		if len(owners) != len(m.Answer) {
			t.Errorf("tcp %t: additional records for %d instances, %d PTR kept; want them in step", tcp, len(owners), len(m.Answer))
		}
	}
}

// TestSerialFollowsServices: the SOA serial is the store's, so a service
// change moves it.
func TestSerialFollowsServices(t *testing.T) {
	cn, tbl := newServicePlugin(t)
	serial := func() uint32 {
		w := dnstest.NewRecorder(&test.ResponseWriter{})
		_, _ = cn.ServeDNS(context.Background(), w, test.Case{Qname: "nosvc.service.consul.", Qtype: dns.TypeA}.Msg())
		return w.Msg.Ns[0].(*dns.SOA).Serial
	}
	before := serial()
	if before != tbl.Serial() {
		t.Fatalf("serial %d; want the store's %d", before, tbl.Serial())
	}
	tbl.ReplaceRecords("s3", catalog.Version{Epoch: 1, Seq: 2}, nil, nil)
	if after := serial(); after == before || after != tbl.Serial() {
		t.Errorf("serial %d after a service change (was %d); want the store's new %d", after, before, tbl.Serial())
	}
}

// TestServiceCacheFollowsStore: answers follow every change to the
// instances, their checks and their nodes at once, cache or not.
func TestServiceCacheFollowsStore(t *testing.T) {
	cn, tbl := newServicePlugin(t)
	count := func() int {
		t.Helper()
		w := dnstest.NewRecorder(&test.ResponseWriter{})
		_, _ = cn.ServeDNS(context.Background(), w, test.Case{Qname: "api.service.consul.", Qtype: dns.TypeSRV}.Msg())
		return len(w.Msg.Answer)
	}
	steps := []struct {
		what   string
		change func()
		want   int
	}{
		{"nothing", func() {}, 3},
		{"s2 in maintenance", func() {
			n, _ := tbl.Lookup("s2")
			n.Maintenance = "reboot"
			tbl.Upsert(n)
		}, 2},
		{"s1's api critical", func() {
			tbl.ReplaceRecords("s1", catalog.Version{Epoch: 1, Seq: 2}, fixtureServices["s1"],
				append(slices.Clone(fixtureChecks["s1"]), catalog.Check{CheckID: "api", Status: catalog.StatusCritical, ServiceID: "api"}))
		}, 1},
		{"s3 failed", func() { tbl.SetState("s3", membership.StateFailed) }, 0},
		{"s3 alive", func() { tbl.SetState("s3", membership.StateAlive) }, 1},
		{"a new instance", func() {
			tbl.Upsert(membership.Member{Name: "s9", Addr: netip.MustParseAddr("10.1.0.99"), Datacenter: "dc1", State: membership.StateAlive})
			tbl.ReplaceRecords("s9", catalog.Version{Epoch: 1, Seq: 1}, []catalog.Service{{ID: "api", Name: "API", Port: 1}}, nil)
		}, 2},
		{"s9 removed", func() { tbl.RemoveNode("s9") }, 1},
	}
	for _, s := range steps {
		s.change()
		if got := count(); got != s.want {
			t.Fatalf("after %s: %d SRV; want %d", s.what, got, s.want)
		}
	}
}

// TestServiceConcurrent runs lookups while the store changes (for -race).
func TestServiceConcurrent(t *testing.T) {
	cn := bigPlugin(t, 200)
	tbl := cn.be.Load().src.Table()
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				for _, qt := range []uint16{dns.TypeA, dns.TypeSRV, dns.TypePTR} {
					name := "big.service.consul."
					if qt == dns.TypePTR {
						name = "_big._tcp.consul."
					}
					w := dnstest.NewRecorder(&test.ResponseWriter{})
					_, _ = cn.ServeDNS(context.Background(), w, test.Case{Qname: name, Qtype: qt}.Msg())
				}
			}
		}()
	}
	for i := range 200 {
		tbl.SetState("b"+strconv.Itoa(i), membership.StateFailed)
	}
	close(done)
	wg.Wait()
	w := dnstest.NewRecorder(&test.ResponseWriter{})
	_, _ = cn.ServeDNS(context.Background(), w, test.Case{Qname: "big.service.consul.", Qtype: dns.TypeA}.Msg())
	if w.Msg.Rcode != dns.RcodeNameError {
		t.Errorf("rcode %s with every instance's node failed; want NXDOMAIN", dns.RcodeToString[w.Msg.Rcode])
	}
}
