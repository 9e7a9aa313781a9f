package consulnode

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"testing"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// fakeSource is a memberSource over a bare table: no gossip in unit tests.
type fakeSource struct {
	table *membership.Table
	local membership.Member
	ready bool
}

func (f *fakeSource) Table() *membership.Table { return f.table }
func (f *fakeSource) Local() membership.Member { return f.local }
func (f *fakeSource) Ready() bool              { return f.ready }

// passedRcode is what the tests' next plugin answers, so a row can tell a
// query that was passed on from one consulnode answered.
const passedRcode = dns.RcodeYXDomain

// nextHandler writes a reply with passedRcode and counts its calls.
func nextHandler(calls *int) plugin.Handler {
	return test.HandlerFunc(func(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
		*calls++
		m := new(dns.Msg)
		m.SetRcode(r, passedRcode)
		_ = w.WriteMsg(m)
		return dns.RcodeSuccess, nil
	})
}

// fixtureMembers is the table the DNS tests run against, datacenter dc1.
var fixtureMembers = []membership.Member{
	{Name: "agent1", Addr: netip.MustParseAddr("10.0.0.10"), Datacenter: "dc1", State: membership.StateAlive},
	{Name: "web", Addr: netip.MustParseAddr("10.0.0.1"), Datacenter: "dc1", State: membership.StateAlive,
		Meta: map[string]string{"rack": "r1", "env": "prod", "a=b": "c"}},
	{Name: "DB", Addr: netip.MustParseAddr("10.0.0.2"), Datacenter: "dc1", State: membership.StateAlive},
	{Name: "v6", Addr: netip.MustParseAddr("fd00::1"), Datacenter: "dc1", State: membership.StateAlive},
	{Name: "gone", Addr: netip.MustParseAddr("10.0.0.3"), Datacenter: "dc1", State: membership.StateFailed},
	{Name: "going", Addr: netip.MustParseAddr("10.0.0.4"), Datacenter: "dc1", State: membership.StateLeaving},
	{Name: "left", Addr: netip.MustParseAddr("10.0.0.5"), Datacenter: "dc1", State: membership.StateLeft},
	{Name: "faraway", Addr: netip.MustParseAddr("10.0.0.6"), Datacenter: "dc2", State: membership.StateAlive},
	{Name: "nodc", Addr: netip.MustParseAddr("10.0.0.7"), State: membership.StateAlive},
}

// newTestPlugin returns a plugin for zones answering from a table filled
// with fixtureMembers, local agent agent1 in dc1, and the table.
func newTestPlugin(t testing.TB, zones ...string) (*ConsulNode, *membership.Table) {
	t.Helper()
	if len(zones) == 0 {
		zones = []string{"consul.", "alt.example.", "in-addr.arpa.", "ip6.arpa."}
	}
	cn := newConsulNode(zones)
	tbl := membership.NewTable()
	for _, m := range fixtureMembers {
		tbl.Upsert(m)
	}
	local, _ := tbl.Lookup("agent1")
	cn.setBackend(&fakeSource{table: tbl, local: local, ready: true}, "dc1")
	return cn, tbl
}

// soaRR is the SOA expected in negative answers for zone (the serial is
// not compared by test.Section).
func soaRR(zone string) dns.RR {
	return test.SOA(zone + " 5 IN SOA ns." + zone + " hostmaster." + zone + " 1 3600 600 86400 5")
}

var (
	nodata   = []dns.RR{soaRR("consul.")}
	nxdomain = []dns.RR{soaRR("consul.")}
)

const ip6Rev = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa."

// dnsTests are answered by the default test plugin. Authoritative is set
// on every row consulnode answers itself; test.SortAndCheck ignores it, so
// runDNSTests checks it.
var dnsTests = []test.Case{
	// Node lookups: A for IPv4, with and without the local datacenter, any case.
	{Qname: "web.node.consul.", Qtype: dns.TypeA, Authoritative: true,
		Answer: []dns.RR{test.A("web.node.consul. 5 IN A 10.0.0.1")}},
	{Qname: "web.node.dc1.consul.", Qtype: dns.TypeA, Authoritative: true,
		Answer: []dns.RR{test.A("web.node.dc1.consul. 5 IN A 10.0.0.1")}},
	{Qname: "WeB.NoDe.CoNsUl.", Qtype: dns.TypeA, Authoritative: true,
		Answer: []dns.RR{test.A("WeB.NoDe.CoNsUl. 5 IN A 10.0.0.1")}},
	{Qname: "web.node.DC1.consul.", Qtype: dns.TypeA, Authoritative: true,
		Answer: []dns.RR{test.A("web.node.DC1.consul. 5 IN A 10.0.0.1")}},
	{Qname: "db.node.consul.", Qtype: dns.TypeA, Authoritative: true,
		Answer: []dns.RR{test.A("db.node.consul. 5 IN A 10.0.0.2")}},
	{Qname: "nodc.node.consul.", Qtype: dns.TypeA, Authoritative: true,
		Answer: []dns.RR{test.A("nodc.node.consul. 5 IN A 10.0.0.7")}},
	// AAAA for IPv6.
	{Qname: "v6.node.consul.", Qtype: dns.TypeAAAA, Authoritative: true,
		Answer: []dns.RR{test.AAAA("v6.node.consul. 5 IN AAAA fd00::1")}},
	// ANY gives the address records (RFC 8482 allows a subset).
	{Qname: "web.node.consul.", Qtype: dns.TypeANY, Authoritative: true,
		Answer: []dns.RR{test.A("web.node.consul. 5 IN A 10.0.0.1")}},
	{Qname: "v6.node.consul.", Qtype: dns.TypeANY, Authoritative: true,
		Answer: []dns.RR{test.AAAA("v6.node.consul. 5 IN AAAA fd00::1")}},
	// TXT: one key=value record per metadata pair, sorted, '=' in a key escaped.
	{Qname: "web.node.consul.", Qtype: dns.TypeTXT, Authoritative: true,
		Answer: []dns.RR{
			test.TXT("web.node.consul. 5 IN TXT \"a`=b=c\""),
			test.TXT("web.node.consul. 5 IN TXT \"env=prod\""),
			test.TXT("web.node.consul. 5 IN TXT \"rack=r1\""),
		}},
	// NODATA: known node, type it does not have.
	{Qname: "web.node.consul.", Qtype: dns.TypeAAAA, Authoritative: true, Ns: nodata},
	{Qname: "v6.node.consul.", Qtype: dns.TypeA, Authoritative: true, Ns: nodata},
	{Qname: "v6.node.consul.", Qtype: dns.TypeTXT, Authoritative: true, Ns: nodata},
	{Qname: "web.node.consul.", Qtype: dns.TypeMX, Authoritative: true, Ns: nodata},
	{Qname: "web.node.consul.", Qtype: dns.TypeSRV, Authoritative: true, Ns: nodata},
	{Qname: "web.node.consul.", Qtype: dns.TypeDS, Authoritative: true, Ns: nodata},
	{Qname: "web.node.consul.", Qtype: dns.TypeCAA, Authoritative: true, Ns: nodata},
	{Qname: "web.node.consul.", Qtype: dns.TypeHINFO, Authoritative: true, Ns: nodata},
	{Qname: "web.node.consul.", Qtype: dns.TypeNS, Authoritative: true, Ns: nodata},
	{Qname: "web.node.consul.", Qtype: dns.TypeSOA, Authoritative: true, Ns: nodata},
	{Qname: "web.node.consul.", Qtype: dns.TypePTR, Authoritative: true, Ns: nodata},
	{Qname: "web.node.consul.", Qtype: dns.TypeDNSKEY, Authoritative: true, Ns: nodata},
	// NXDOMAIN: unknown node, unknown datacenter, other unknown names.
	{Qname: "nope.node.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "nope.node.consul.", Qtype: dns.TypeAAAA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "web.node.dc9.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "x.node.dc9.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "node.dc9.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "addr.dc9.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "dc9.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "0a000001.addr.dc9.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "faraway.node.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "faraway.node.dc2.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "a.web.node.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "web.x.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "web.service.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "a.b.c.d.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "ns.dc1.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	// Member states: failed (default policy), leaving and left are NXDOMAIN.
	{Qname: "gone.node.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "going.node.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "left.node.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	// Empty non-terminals are NODATA, never NXDOMAIN.
	{Qname: "node.consul.", Qtype: dns.TypeA, Authoritative: true, Ns: nodata},
	{Qname: "node.dc1.consul.", Qtype: dns.TypeA, Authoritative: true, Ns: nodata},
	{Qname: "dc1.consul.", Qtype: dns.TypeA, Authoritative: true, Ns: nodata},
	{Qname: "addr.consul.", Qtype: dns.TypeA, Authoritative: true, Ns: nodata},
	{Qname: "addr.dc1.consul.", Qtype: dns.TypeAAAA, Authoritative: true, Ns: nodata},
	// <hex>.addr: 8 digits IPv4, 32 digits IPv6; the other type NODATA; bad hex NXDOMAIN.
	{Qname: "0a000001.addr.consul.", Qtype: dns.TypeA, Authoritative: true,
		Answer: []dns.RR{test.A("0a000001.addr.consul. 5 IN A 10.0.0.1")}},
	{Qname: "0A000001.addr.dc1.consul.", Qtype: dns.TypeA, Authoritative: true,
		Answer: []dns.RR{test.A("0A000001.addr.dc1.consul. 5 IN A 10.0.0.1")}},
	{Qname: "0a000001.addr.consul.", Qtype: dns.TypeAAAA, Authoritative: true, Ns: nodata},
	{Qname: "20010db8000000000000000000000001.addr.consul.", Qtype: dns.TypeAAAA, Authoritative: true,
		Answer: []dns.RR{test.AAAA("20010db8000000000000000000000001.addr.consul. 5 IN AAAA 2001:db8::1")}},
	{Qname: "20010db8000000000000000000000001.addr.consul.", Qtype: dns.TypeA, Authoritative: true, Ns: nodata},
	{Qname: "0a000001.addr.consul.", Qtype: dns.TypeANY, Authoritative: true,
		Answer: []dns.RR{test.A("0a000001.addr.consul. 5 IN A 10.0.0.1")}},
	{Qname: "0a000001.addr.consul.", Qtype: dns.TypeTXT, Authoritative: true, Ns: nodata},
	{Qname: "zz000001.addr.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	{Qname: "0a0001.addr.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
	// Apex: SOA, NS with glue, ANY both, NODATA for the rest.
	{Qname: "consul.", Qtype: dns.TypeSOA, Authoritative: true, Answer: []dns.RR{soaRR("consul.")}},
	{Qname: "consul.", Qtype: dns.TypeNS, Authoritative: true,
		Answer: []dns.RR{test.NS("consul. 5 IN NS ns.consul.")},
		Extra:  []dns.RR{test.A("ns.consul. 5 IN A 10.0.0.10")}},
	{Qname: "consul.", Qtype: dns.TypeANY, Authoritative: true,
		Answer: []dns.RR{test.NS("consul. 5 IN NS ns.consul."), soaRR("consul.")},
		Extra:  []dns.RR{test.A("ns.consul. 5 IN A 10.0.0.10")}},
	{Qname: "consul.", Qtype: dns.TypeA, Authoritative: true, Ns: nodata},
	{Qname: "consul.", Qtype: dns.TypeDS, Authoritative: true, Ns: nodata},
	{Qname: "consul.", Qtype: dns.TypeDNSKEY, Authoritative: true, Ns: nodata},
	{Qname: "ns.consul.", Qtype: dns.TypeA, Authoritative: true,
		Answer: []dns.RR{test.A("ns.consul. 5 IN A 10.0.0.10")}},
	{Qname: "ns.consul.", Qtype: dns.TypeAAAA, Authoritative: true, Ns: nodata},
	// A second forward zone (-alt-domain): answers use the zone asked.
	{Qname: "web.node.alt.example.", Qtype: dns.TypeA, Authoritative: true,
		Answer: []dns.RR{test.A("web.node.alt.example. 5 IN A 10.0.0.1")}},
	{Qname: "nope.node.alt.example.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true,
		Ns: []dns.RR{soaRR("alt.example.")}},
	{Qname: "alt.example.", Qtype: dns.TypeNS, Authoritative: true,
		Answer: []dns.RR{test.NS("alt.example. 5 IN NS ns.alt.example.")},
		Extra:  []dns.RR{test.A("ns.alt.example. 5 IN A 10.0.0.10")}},
	// Reverse: PTR for a member address names the first forward zone.
	{Qname: "1.0.0.10.in-addr.arpa.", Qtype: dns.TypePTR, Authoritative: true,
		Answer: []dns.RR{test.PTR("1.0.0.10.in-addr.arpa. 5 IN PTR web.node.dc1.consul.")}},
	{Qname: "2.0.0.10.in-addr.arpa.", Qtype: dns.TypePTR, Authoritative: true,
		Answer: []dns.RR{test.PTR("2.0.0.10.in-addr.arpa. 5 IN PTR db.node.dc1.consul.")}},
	{Qname: ip6Rev, Qtype: dns.TypePTR, Authoritative: true,
		Answer: []dns.RR{test.PTR(ip6Rev + " 5 IN PTR v6.node.dc1.consul.")}},
	// Reverse names consulnode cannot answer go to the next plugin.
	{Qname: "9.9.9.10.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: passedRcode},
	{Qname: "1.0.0.10.in-addr.arpa.", Qtype: dns.TypeA, Rcode: passedRcode},
	{Qname: "3.0.0.10.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: passedRcode}, // failed member
	{Qname: "5.0.0.10.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: passedRcode}, // left member
	{Qname: "6.0.0.10.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: passedRcode}, // other datacenter
	{Qname: "0.10.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: passedRcode},
	{Qname: "in-addr.arpa.", Qtype: dns.TypeSOA, Rcode: passedRcode},
	// Names outside the zones go to the next plugin.
	{Qname: "example.org.", Qtype: dns.TypeA, Rcode: passedRcode},
	{Qname: "consul.example.org.", Qtype: dns.TypeA, Rcode: passedRcode},
	{Qname: "notconsul.", Qtype: dns.TypeA, Rcode: passedRcode},
}

func TestServeDNS(t *testing.T) {
	cn, _ := newTestPlugin(t)
	var calls int
	cn.Next = nextHandler(&calls)
	runDNSTests(t, cn, dnsTests)
}

// runDNSTests runs each case through ServeDNS and checks the reply,
// including the AA and RA bits that test.SortAndCheck leaves out.
func runDNSTests(t *testing.T, cn *ConsulNode, cases []test.Case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(dns.TypeToString[tc.Qtype]+" "+tc.Qname, func(t *testing.T) {
			w := dnstest.NewRecorder(&test.ResponseWriter{})
			rcode, err := cn.ServeDNS(context.Background(), w, tc.Msg())
			if err != nil {
				t.Fatalf("ServeDNS error = %v; want nil", err)
			}
			if rcode != dns.RcodeSuccess {
				t.Fatalf("ServeDNS rcode = %s; want NOERROR (reply written)", dns.RcodeToString[rcode])
			}
			resp := w.Msg
			if resp == nil {
				t.Fatal("no reply written")
			}
			if resp.Authoritative != tc.Authoritative {
				t.Errorf("AA = %t; want %t", resp.Authoritative, tc.Authoritative)
			}
			if tc.Rcode != passedRcode && resp.RecursionAvailable != tc.RecursionAvailable {
				t.Errorf("RA = %t; want %t", resp.RecursionAvailable, tc.RecursionAvailable)
			}
			if len(resp.Question) != 1 || resp.Question[0].Name != tc.Qname {
				t.Errorf("question = %v; want %s echoed", resp.Question, tc.Qname)
			}
			if resp.Truncated != tc.Truncated {
				t.Errorf("TC = %t; want %t", resp.Truncated, tc.Truncated)
			}
			if err := test.SortAndCheck(resp, tc); err != nil {
				t.Error(err)
			}
			if _, err := resp.Pack(); err != nil {
				t.Errorf("reply does not pack: %v", err)
			}
		})
	}
}

// TestServeDNSNotWritten covers the queries consulnode leaves to the
// server to answer: it returns the rcode and writes nothing.
func TestServeDNSNotWritten(t *testing.T) {
	withClass := func(name string, qtype, class uint16) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		m.Question[0].Qclass = class
		return m
	}
	withOpcode := func(name string, qtype uint16, opcode int) *dns.Msg {
		m := withClass(name, qtype, dns.ClassINET)
		m.Opcode = opcode
		return m
	}
	tests := []struct {
		name    string
		msg     *dns.Msg
		noNext  bool
		rcode   int
		wantErr bool
	}{
		{name: "chaos class", msg: withClass("web.node.consul.", dns.TypeA, dns.ClassCHAOS), rcode: dns.RcodeRefused},
		{name: "hesiod class", msg: withClass("consul.", dns.TypeSOA, dns.ClassHESIOD), rcode: dns.RcodeRefused},
		{name: "axfr", msg: withClass("consul.", dns.TypeAXFR, dns.ClassINET), rcode: dns.RcodeRefused},
		{name: "ixfr", msg: withClass("consul.", dns.TypeIXFR, dns.ClassINET), rcode: dns.RcodeRefused},
		{name: "unknown ptr without next", msg: withClass("9.9.9.10.in-addr.arpa.", dns.TypePTR, dns.ClassINET), noNext: true, rcode: dns.RcodeRefused},
		{name: "out of zone without next", msg: withClass("example.org.", dns.TypeA, dns.ClassINET), noNext: true, rcode: dns.RcodeRefused},
		{name: "no question", msg: new(dns.Msg), rcode: dns.RcodeFormatError},
		{name: "notify", msg: withOpcode("consul.", dns.TypeSOA, dns.OpcodeNotify), rcode: dns.RcodeNotImplemented},
		{name: "update", msg: withOpcode("consul.", dns.TypeSOA, dns.OpcodeUpdate), rcode: dns.RcodeNotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cn, _ := newTestPlugin(t)
			var calls int
			if !tt.noNext {
				cn.Next = nextHandler(&calls)
			}
			w := dnstest.NewRecorder(&test.ResponseWriter{})
			rcode, err := cn.ServeDNS(context.Background(), w, tt.msg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v; want error %t", err, tt.wantErr)
			}
			if rcode != tt.rcode {
				t.Errorf("rcode = %s; want %s", dns.RcodeToString[rcode], dns.RcodeToString[tt.rcode])
			}
			if w.Msg != nil {
				t.Errorf("reply written: %v; want none (the server writes it)", w.Msg)
			}
			if calls != 0 {
				t.Errorf("next plugin called %d times; want 0", calls)
			}
		})
	}
}

// TestReversePassesOtherClassesAndOpcodes: in a reverse zone only an IN
// PTR query can be answered; the rest goes to the next plugin.
func TestReversePassesOtherClassesAndOpcodes(t *testing.T) {
	chaos := test.Case{Qname: "1.0.0.10.in-addr.arpa.", Qtype: dns.TypePTR}.Msg()
	chaos.Question[0].Qclass = dns.ClassCHAOS
	notify := test.Case{Qname: "1.0.0.10.in-addr.arpa.", Qtype: dns.TypePTR}.Msg()
	notify.Opcode = dns.OpcodeNotify
	for _, r := range []*dns.Msg{chaos, notify} {
		cn, _ := newTestPlugin(t)
		var calls int
		cn.Next = nextHandler(&calls)
		w := dnstest.NewRecorder(&test.ResponseWriter{})
		rcode, err := cn.ServeDNS(context.Background(), w, r)
		if rcode != dns.RcodeSuccess || err != nil || calls != 1 || w.Msg == nil || w.Msg.Rcode != passedRcode {
			t.Errorf("class %d opcode %d: ServeDNS = %d, %v, next called %d times; want it passed to next once",
				r.Question[0].Qclass, r.Opcode, rcode, err, calls)
		}
	}
}

func TestServeDNSNoTable(t *testing.T) {
	cn := newConsulNode([]string{"consul."})
	w := dnstest.NewRecorder(&test.ResponseWriter{})
	rcode, err := cn.ServeDNS(context.Background(), w, test.Case{Qname: "web.node.consul.", Qtype: dns.TypeA}.Msg())
	if rcode != dns.RcodeServerFailure || !errors.Is(err, errNoTable) {
		t.Errorf("ServeDNS = %s, %v; want SERVFAIL, %v", dns.RcodeToString[rcode], err, errNoTable)
	}
	if w.Msg != nil {
		t.Errorf("reply written: %v; want none", w.Msg)
	}
}

func TestServeDNSOptions(t *testing.T) {
	tests := []struct {
		name  string
		set   func(*ConsulNode)
		cases []test.Case
	}{
		{
			name: "failed answer",
			set:  func(cn *ConsulNode) { cn.failedAnswer = true },
			cases: []test.Case{
				{Qname: "gone.node.consul.", Qtype: dns.TypeA, Authoritative: true,
					Answer: []dns.RR{test.A("gone.node.consul. 5 IN A 10.0.0.3")}},
				{Qname: "3.0.0.10.in-addr.arpa.", Qtype: dns.TypePTR, Authoritative: true,
					Answer: []dns.RR{test.PTR("3.0.0.10.in-addr.arpa. 5 IN PTR gone.node.dc1.consul.")}},
				// Leaving and left stay NXDOMAIN.
				{Qname: "going.node.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
				{Qname: "left.node.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: nxdomain},
			},
		},
		{
			name: "no_reverse",
			set:  func(cn *ConsulNode) { cn.noReverse = true },
			cases: []test.Case{
				{Qname: "1.0.0.10.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: passedRcode},
				{Qname: "web.node.consul.", Qtype: dns.TypeA, Authoritative: true,
					Answer: []dns.RR{test.A("web.node.consul. 5 IN A 10.0.0.1")}},
			},
		},
		{
			name: "recursion_available",
			set:  func(cn *ConsulNode) { cn.ra = true },
			cases: []test.Case{
				{Qname: "web.node.consul.", Qtype: dns.TypeA, Authoritative: true, RecursionAvailable: true,
					Answer: []dns.RR{test.A("web.node.consul. 5 IN A 10.0.0.1")}},
				{Qname: "nope.node.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true,
					RecursionAvailable: true, Ns: nxdomain},
			},
		},
		{
			name: "ttl and negative_ttl",
			set:  func(cn *ConsulNode) { cn.ttl, cn.negTTL = 60, 30 },
			cases: []test.Case{
				{Qname: "web.node.consul.", Qtype: dns.TypeA, Authoritative: true,
					Answer: []dns.RR{test.A("web.node.consul. 60 IN A 10.0.0.1")}},
				{Qname: "nope.node.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true,
					Ns: []dns.RR{test.SOA("consul. 30 IN SOA ns.consul. hostmaster.consul. 1 3600 600 86400 30")}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cn, _ := newTestPlugin(t)
			var calls int
			cn.Next = nextHandler(&calls)
			tt.set(cn)
			runDNSTests(t, cn, tt.cases)
		})
	}
}

// TestReverseOnlyZones: with no forward zone PTR targets use consul., and
// a forward name is simply not ours.
func TestReverseOnlyZones(t *testing.T) {
	cn, _ := newTestPlugin(t, "10.in-addr.arpa.")
	var calls int
	cn.Next = nextHandler(&calls)
	runDNSTests(t, cn, []test.Case{
		{Qname: "1.0.0.10.in-addr.arpa.", Qtype: dns.TypePTR, Authoritative: true,
			Answer: []dns.RR{test.PTR("1.0.0.10.in-addr.arpa. 5 IN PTR web.node.dc1.consul.")}},
		{Qname: "1.0.0.11.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: passedRcode},
		{Qname: "web.node.consul.", Qtype: dns.TypeA, Rcode: passedRcode},
	})
}

// TestSOA checks the SOA fields test.Section does not: the serial moves
// with the member table, and the timers and minimum are as documented.
func TestSOA(t *testing.T) {
	cn, tbl := newTestPlugin(t)
	cn.negTTL = 7
	soa := func() *dns.SOA {
		t.Helper()
		w := dnstest.NewRecorder(&test.ResponseWriter{})
		if _, err := cn.ServeDNS(context.Background(), w, test.Case{Qname: "consul.", Qtype: dns.TypeSOA}.Msg()); err != nil {
			t.Fatal(err)
		}
		if len(w.Msg.Answer) != 1 {
			t.Fatalf("answer = %v; want one SOA", w.Msg.Answer)
		}
		return w.Msg.Answer[0].(*dns.SOA)
	}
	first := soa()
	want := dns.SOA{Ns: "ns.consul.", Mbox: "hostmaster.consul.", Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 7}
	if first.Hdr.Name != "consul." || first.Hdr.Ttl != 7 || first.Ns != want.Ns || first.Mbox != want.Mbox ||
		first.Refresh != want.Refresh || first.Retry != want.Retry || first.Expire != want.Expire || first.Minttl != want.Minttl {
		t.Errorf("SOA = %v; want owner consul., TTL 7, %s %s refresh 3600 retry 600 expire 86400 minttl 7", first, want.Ns, want.Mbox)
	}
	if again := soa(); again.Serial != first.Serial {
		t.Errorf("serial changed without a table change: %d then %d", first.Serial, again.Serial)
	}
	tbl.Upsert(membership.Member{Name: "new", Addr: netip.MustParseAddr("10.0.0.99"), Datacenter: "dc1", State: membership.StateAlive})
	if after := soa(); after.Serial == first.Serial {
		t.Errorf("serial = %d after a member change; want it to change", after.Serial)
	}
}

// TestLookupsMetric checks that each outcome is counted under its result.
func TestLookupsMetric(t *testing.T) {
	cn, _ := newTestPlugin(t)
	var calls int
	cn.Next = nextHandler(&calls)
	queries := []struct {
		msg    *dns.Msg
		result string
	}{
		{test.Case{Qname: "web.node.consul.", Qtype: dns.TypeA}.Msg(), "answer"},
		{test.Case{Qname: "web.node.consul.", Qtype: dns.TypeAAAA}.Msg(), "nodata"},
		{test.Case{Qname: "nope.node.consul.", Qtype: dns.TypeA}.Msg(), "nxdomain"},
		{test.Case{Qname: "consul.", Qtype: dns.TypeAXFR}.Msg(), "refused"},
		{test.Case{Qname: "example.org.", Qtype: dns.TypeA}.Msg(), "passed"},
	}
	for _, q := range queries {
		c := lookups.WithLabelValues("", q.result)
		before := counterValue(t, c)
		w := dnstest.NewRecorder(&test.ResponseWriter{})
		_, _ = cn.ServeDNS(context.Background(), w, q.msg)
		if got := counterValue(t, c) - before; got != 1 {
			t.Errorf("%s: lookups_total{result=%q} grew by %v; want 1", q.msg.Question[0].Name, q.result, got)
		}
	}
}

func TestReady(t *testing.T) {
	cn := newConsulNode([]string{"consul."})
	if cn.Ready() {
		t.Error("Ready() = true before OnStartup; want false")
	}
	src := &fakeSource{table: membership.NewTable()}
	cn.setBackend(src, "dc1")
	if cn.Ready() {
		t.Error("Ready() = true with an agent that is not ready; want false")
	}
	src.ready = true
	if !cn.Ready() {
		t.Error("Ready() = false with a ready agent; want true")
	}
}

// TestServeDNSAllocs keeps the lookup path free of allocations beyond
// the reply itself: an A answer costs the Msg, its question and answer
// slices, the RR and its address.
func TestServeDNSAllocs(t *testing.T) {
	cn, _ := newTestPlugin(t)
	r := test.Case{Qname: "web.node.consul.", Qtype: dns.TypeA}.Msg()
	w := &test.ResponseWriter{}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() { _, _ = cn.ServeDNS(ctx, w, r) })
	if allocs > 5 {
		t.Errorf("ServeDNS allocates %v times per A answer; want at most 5 (the reply)", allocs)
	}
}

// BenchmarkServeDNS measures an A hit on a 1,000-member table.
func BenchmarkServeDNS(b *testing.B) {
	cn := newConsulNode([]string{"consul."})
	tbl := membership.NewTable()
	for i := range 1000 {
		tbl.Upsert(membership.Member{
			Name:       "node" + strconv.Itoa(i),
			Addr:       netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}),
			Datacenter: "dc1",
			State:      membership.StateAlive,
		})
	}
	cn.setBackend(&fakeSource{table: tbl, ready: true}, "dc1")
	r := test.Case{Qname: "node500.node.consul.", Qtype: dns.TypeA}.Msg()
	w := &test.ResponseWriter{}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if rcode, err := cn.ServeDNS(ctx, w, r); rcode != dns.RcodeSuccess || err != nil {
			b.Fatalf("ServeDNS = %d, %v", rcode, err)
		}
	}
}

// counterValue reads a counter's current value.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatalf("read counter: %v", err)
	}
	return m.GetCounter().GetValue()
}
