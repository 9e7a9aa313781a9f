package consulnode

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"
)

// fedSource is a memberSource that is also in a WAN pool: a discod server.
type fedSource struct {
	fakeSource
	wan *membership.Table
}

func (f *fedSource) Federation() membership.Federation {
	return membership.Federation{Datacenter: "dc1", Self: f.local.Name, LAN: f.table, WAN: f.wan}
}

// fakeNet stands in for the network between agents: every server answers
// as a discod server of dc2 would, except those marked down.
type fakeNet struct {
	mu    sync.Mutex
	asked []string        // "addr hop", in order
	down  map[string]bool // addresses that time out
	fail  map[string]int  // addresses that answer with this rcode
}

func (f *fakeNet) exchange(ctx context.Context, q *dns.Msg, addr string) (*dns.Msg, error) {
	f.mu.Lock()
	f.asked = append(f.asked, addr+" "+hopOf(q).String())
	down, rcode := f.down[addr], f.fail[addr]
	f.mu.Unlock()
	if _, ok := ctx.Deadline(); !ok {
		return nil, errors.New("no deadline on a forwarded question")
	}
	if q.RecursionDesired || q.IsEdns0() == nil {
		return nil, errors.New("forwarded question has RD set or no EDNS0")
	}
	if down {
		return nil, context.DeadlineExceeded
	}
	r := new(dns.Msg)
	r.SetReply(q)
	r.Authoritative = true
	if rcode != 0 {
		r.Rcode = rcode
		return r, nil
	}
	name := q.Question[0].Name
	switch {
	case strings.HasPrefix(strings.ToLower(name), "far.node.dc2."):
		if q.Question[0].Qtype == dns.TypeA {
			r.Answer = []dns.RR{test.A(name + " 30 IN A 10.2.0.5")}
		} else {
			r.Ns = []dns.RR{remoteSOA}
		}
	case strings.HasSuffix(strings.ToLower(name), ".service.dc2.consul."):
		switch q.Question[0].Qtype {
		case dns.TypeA:
			r.Answer = []dns.RR{test.A(name + " 30 IN A 10.2.0.7")}
		case dns.TypeSRV:
			r.Answer = []dns.RR{test.SRV(name + " 30 IN SRV 1 1 80 n7.node.dc2.consul.")}
			r.Extra = []dns.RR{test.A("n7.node.dc2.consul. 30 IN A 10.2.0.7")}
		default:
			r.Ns = []dns.RR{remoteSOA}
		}
		r.SetEdns0(1232, false) // relayed without it: the server adds our own
	default:
		r.Rcode = dns.RcodeNameError
		r.Ns = []dns.RR{remoteSOA}
	}
	return r, nil
}

func (f *fakeNet) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.asked)
}

// remoteSOA is the SOA a dc2 server sends; its TTL (7) tells it from ours (5).
var remoteSOA = test.SOA("consul. 7 IN SOA ns.consul. hostmaster.consul. 1 3600 600 86400 7")

func dnsAddr(ip string) netip.AddrPort { return netip.AddrPortFrom(netip.MustParseAddr(ip), 8600) }

// clientPlugin is the test plugin on a client of dc1 whose servers srv1
// and srv2 know dc2 and dc3 (srv3, failed, also knows dc4).
func clientPlugin(t *testing.T, net *fakeNet) (*ConsulNode, *membership.Table) {
	t.Helper()
	cn, tbl := newTestPlugin(t)
	for _, m := range []membership.Member{
		{Name: "srv1", Addr: netip.MustParseAddr("10.0.0.21"), Datacenter: "dc1", Role: membership.RoleServer, State: membership.StateAlive,
			DNSAddr: dnsAddr("10.0.0.21"), Datacenters: []string{"dc2", "dc3"}},
		{Name: "srv2", Addr: netip.MustParseAddr("10.0.0.22"), Datacenter: "dc1", Role: membership.RoleServer, State: membership.StateAlive,
			DNSAddr: dnsAddr("10.0.0.22"), Datacenters: []string{"dc2", "dc3"}},
		{Name: "srv3", Addr: netip.MustParseAddr("10.0.0.23"), Datacenter: "dc1", Role: membership.RoleServer, State: membership.StateFailed,
			DNSAddr: dnsAddr("10.0.0.23"), Datacenters: []string{"dc2", "dc4"}},
	} {
		tbl.Upsert(m)
	}
	cn.exchange = net.exchange
	var calls int
	cn.Next = nextHandler(&calls)
	return cn, tbl
}

// serverPlugin is the test plugin on a dc1 server in the WAN pool, where
// dc2 has two alive servers and dc3 one failed server.
func serverPlugin(t *testing.T, net *fakeNet) (*ConsulNode, *membership.Table) {
	t.Helper()
	cn, tbl := newTestPlugin(t)
	wan := membership.NewTable()
	for _, m := range []membership.Member{
		{Name: "agent1.dc1", Datacenter: "dc1", Role: membership.RoleServer, State: membership.StateAlive, DNSAddr: dnsAddr("10.0.0.10")},
		{Name: "a.dc2", Datacenter: "dc2", Role: membership.RoleServer, State: membership.StateAlive, DNSAddr: dnsAddr("10.2.0.1")},
		{Name: "b.dc2", Datacenter: "dc2", Role: membership.RoleServer, State: membership.StateAlive, DNSAddr: dnsAddr("10.2.0.2")},
		{Name: "a.dc3", Datacenter: "dc3", Role: membership.RoleServer, State: membership.StateFailed, DNSAddr: dnsAddr("10.3.0.1")},
	} {
		wan.Upsert(m)
	}
	web, _ := tbl.Lookup("web")
	web.WANAddr = netip.MustParseAddr("203.0.113.1")
	tbl.Upsert(web)
	local, _ := tbl.Lookup("agent1")
	local.Role = membership.RoleServer
	cn.setBackend(&fedSource{fakeSource: fakeSource{table: tbl, local: local, ready: true}, wan: wan}, "dc1")
	cn.exchange = net.exchange
	var calls int
	cn.Next = nextHandler(&calls)
	return cn, tbl
}

// remoteCase is one question about another datacenter (or a forwarded
// one) and what must happen.
type remoteCase struct {
	test.Case
	hop   membership.Hop // the hop the question arrives with
	asked []string       // servers forwarded to, as "addr hop", in any order; nil: none
}

func runRemoteCases(t *testing.T, cn *ConsulNode, net *fakeNet, cases []remoteCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(dns.TypeToString[tc.Qtype]+" "+tc.Qname+" from "+tc.hop.String(), func(t *testing.T) {
			net.mu.Lock()
			net.asked = nil
			net.mu.Unlock()
			r := tc.Msg()
			if tc.hop != membership.HopClient {
				r.SetEdns0(1232, false)
				opt := r.IsEdns0()
				opt.Option = append(opt.Option, &dns.EDNS0_LOCAL{Code: hopOptionCode, Data: []byte{byte(tc.hop)}})
			}
			w := dnstest.NewRecorder(&test.ResponseWriter{})
			rcode, err := cn.ServeDNS(context.Background(), w, r)
			if rcode != dns.RcodeSuccess || err != nil {
				t.Fatalf("ServeDNS = %s, %v; want a written reply", dns.RcodeToString[rcode], err)
			}
			resp := w.Msg
			if resp == nil {
				t.Fatal("no reply written")
			}
			if resp.Authoritative != tc.Authoritative {
				t.Errorf("AA = %t; want %t", resp.Authoritative, tc.Authoritative)
			}
			if len(resp.Question) != 1 || resp.Question[0].Name != tc.Qname {
				t.Errorf("question = %v; want %s echoed", resp.Question, tc.Qname)
			}
			if err := test.SortAndCheck(resp, tc.Case); err != nil {
				t.Error(err)
			}
			got := net.calls()
			slices.Sort(got)
			want := slices.Clone(tc.asked)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("forwarded to %v; want %v", got, want)
			}
		})
	}
}

var ourNX = []dns.RR{soaRR("consul.")}

func TestRemoteFromClient(t *testing.T) {
	net := &fakeNet{}
	cn, _ := clientPlugin(t, net)
	runRemoteCases(t, cn, net, []remoteCase{
		// Unknown datacenters are NXDOMAIN with our SOA, without asking anyone.
		{Case: test.Case{Qname: "far.node.dc9.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: ourNX}},
		{Case: test.Case{Qname: "dc9.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: ourNX}},
		// A datacenter only a left server knew is unknown; one a failed server knows is known.
		{Case: test.Case{Qname: "node.dc4.consul.", Qtype: dns.TypeA, Authoritative: true, Ns: ourNX}},
		// Known datacenters: empty non-terminals and addr names are answered locally.
		{Case: test.Case{Qname: "dc2.consul.", Qtype: dns.TypeA, Authoritative: true, Ns: ourNX}},
		{Case: test.Case{Qname: "node.dc3.consul.", Qtype: dns.TypeA, Authoritative: true, Ns: ourNX}},
		{Case: test.Case{Qname: "0a000001.addr.dc2.consul.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{test.A("0a000001.addr.dc2.consul. 5 IN A 10.0.0.1")}}},
		// A question arriving over the LAN is never sent over the LAN again.
		{Case: test.Case{Qname: "far.node.dc2.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeServerFailure}, hop: membership.HopLAN},
	})
}

// TestRemoteForwardedFromClient checks the questions a client forwards to
// a server of its datacenter: the remote answer comes back with its TTLs,
// in the case asked; one server failing, the other is asked.
func TestRemoteForwardedFromClient(t *testing.T) {
	tests := []struct {
		name string
		tc   test.Case
		down []string
		fail []string
		nAsk int // how many servers are asked; -1: 1 or 2
	}{
		{name: "answer with the remote TTL",
			tc: test.Case{Qname: "far.node.dc2.consul.", Qtype: dns.TypeA, Authoritative: true,
				Answer: []dns.RR{test.A("far.node.dc2.consul. 30 IN A 10.2.0.5")}}, nAsk: 1},
		{name: "case preserved",
			tc: test.Case{Qname: "FaR.NoDe.Dc2.CoNsUl.", Qtype: dns.TypeA, Authoritative: true,
				Answer: []dns.RR{test.A("FaR.NoDe.Dc2.CoNsUl. 30 IN A 10.2.0.5")}}, nAsk: 1},
		{name: "remote NXDOMAIN with the remote SOA",
			tc:   test.Case{Qname: "nope.node.dc2.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: []dns.RR{remoteSOA}},
			nAsk: 1},
		{name: "remote NODATA",
			tc:   test.Case{Qname: "far.node.dc2.consul.", Qtype: dns.TypeAAAA, Authoritative: true, Ns: []dns.RR{remoteSOA}},
			nAsk: 1},
		{name: "one server down, the other answers",
			tc: test.Case{Qname: "far.node.dc2.consul.", Qtype: dns.TypeA, Authoritative: true,
				Answer: []dns.RR{test.A("far.node.dc2.consul. 30 IN A 10.2.0.5")}},
			down: []string{"10.0.0.21:8600"}, nAsk: -1},
		{name: "one server answers SERVFAIL, the other answers",
			tc: test.Case{Qname: "far.node.dc2.consul.", Qtype: dns.TypeA, Authoritative: true,
				Answer: []dns.RR{test.A("far.node.dc2.consul. 30 IN A 10.2.0.5")}},
			fail: []string{"10.0.0.22:8600"}, nAsk: -1},
		{name: "both down: SERVFAIL",
			tc:   test.Case{Qname: "far.node.dc2.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeServerFailure},
			down: []string{"10.0.0.21:8600", "10.0.0.22:8600"}, nAsk: 2},
		{name: "both answer SERVFAIL: SERVFAIL",
			tc:   test.Case{Qname: "far.node.dc2.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeServerFailure},
			fail: []string{"10.0.0.21:8600", "10.0.0.22:8600"}, nAsk: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Repeat: the servers are tried in random order.
			for range 8 {
				net := &fakeNet{down: map[string]bool{}, fail: map[string]int{}}
				for _, a := range tt.down {
					net.down[a] = true
				}
				for _, a := range tt.fail {
					net.fail[a] = dns.RcodeServerFailure
				}
				cn, _ := clientPlugin(t, net)
				w := dnstest.NewRecorder(&test.ResponseWriter{})
				if _, err := cn.ServeDNS(context.Background(), w, tt.tc.Msg()); err != nil {
					t.Fatal(err)
				}
				if err := test.SortAndCheck(w.Msg, tt.tc); err != nil {
					t.Fatal(err)
				}
				if w.Msg.Authoritative != tt.tc.Authoritative {
					t.Errorf("AA = %t; want %t", w.Msg.Authoritative, tt.tc.Authoritative)
				}
				asked := net.calls()
				if tt.nAsk >= 0 && len(asked) != tt.nAsk || tt.nAsk < 0 && (len(asked) < 1 || len(asked) > 2) {
					t.Fatalf("asked %v; want %d server(s)", asked, tt.nAsk)
				}
				for _, a := range asked {
					if !strings.HasSuffix(a, " lan") || !strings.HasPrefix(a, "10.0.0.2") {
						t.Errorf("asked %q; want a dc1 server, hop lan", a)
					}
				}
			}
		})
	}
}

func TestRemoteFromServer(t *testing.T) {
	net := &fakeNet{}
	cn, _ := serverPlugin(t, net)
	runRemoteCases(t, cn, net, []remoteCase{
		// Unknown: NXDOMAIN locally, whatever the hop.
		{Case: test.Case{Qname: "far.node.dc9.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: ourNX}},
		{Case: test.Case{Qname: "far.node.dc9.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: ourNX}, hop: membership.HopWAN},
		// Known from the WAN pool, but every server failed: SERVFAIL, nobody asked.
		{Case: test.Case{Qname: "far.node.dc3.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeServerFailure}},
		{Case: test.Case{Qname: "dc3.consul.", Qtype: dns.TypeA, Authoritative: true, Ns: ourNX}},
		// Came over the WAN: never forwarded a second time.
		{Case: test.Case{Qname: "far.node.dc2.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeServerFailure}, hop: membership.HopWAN},
		// Our own datacenter: the LAN address, or the WAN address when asked from another datacenter.
		{Case: test.Case{Qname: "web.node.dc1.consul.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{test.A("web.node.dc1.consul. 5 IN A 10.0.0.1")}}},
		{Case: test.Case{Qname: "web.node.dc1.consul.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{test.A("web.node.dc1.consul. 5 IN A 10.0.0.1")}}, hop: membership.HopLAN},
		{Case: test.Case{Qname: "web.node.dc1.consul.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{test.A("web.node.dc1.consul. 5 IN A 203.0.113.1")}}, hop: membership.HopWAN},
		{Case: test.Case{Qname: "db.node.dc1.consul.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{test.A("db.node.dc1.consul. 5 IN A 10.0.0.2")}}, hop: membership.HopWAN},
	})
	// Known and alive: over the WAN to one of dc2's servers, from a client
	// of ours (hop lan) or directly.
	for _, hop := range []membership.Hop{membership.HopClient, membership.HopLAN} {
		net.mu.Lock()
		net.asked = nil
		net.mu.Unlock()
		r := test.Case{Qname: "far.node.dc2.consul.", Qtype: dns.TypeA}.Msg()
		if hop == membership.HopLAN {
			r.SetEdns0(1232, false)
			opt := r.IsEdns0()
			opt.Option = append(opt.Option, &dns.EDNS0_LOCAL{Code: hopOptionCode, Data: []byte{byte(hop)}})
		}
		w := dnstest.NewRecorder(&test.ResponseWriter{})
		if _, err := cn.ServeDNS(context.Background(), w, r); err != nil {
			t.Fatal(err)
		}
		if answerOf(w.Msg) != "10.2.0.5" {
			t.Errorf("from %s: reply %v; want A 10.2.0.5", hop, w.Msg)
		}
		asked := net.calls()
		if len(asked) != 1 || !strings.HasPrefix(asked[0], "10.2.0.") || !strings.HasSuffix(asked[0], " wan") {
			t.Errorf("from %s: asked %v; want one dc2 server, hop wan", hop, asked)
		}
	}
}

func answerOf(m *dns.Msg) string {
	if m == nil || len(m.Answer) != 1 {
		return ""
	}
	if a, ok := m.Answer[0].(*dns.A); ok {
		return a.A.String()
	}
	return ""
}

// TestRemoteNoServer: a client whose datacenter has no alive server that
// can be asked answers SERVFAIL for a known datacenter, at once.
func TestRemoteNoServer(t *testing.T) {
	net := &fakeNet{}
	cn, tbl := clientPlugin(t, net)
	for _, n := range []string{"srv1", "srv2"} {
		m, _ := tbl.Lookup(n)
		m.State = membership.StateFailed
		tbl.Upsert(m)
	}
	runRemoteCases(t, cn, net, []remoteCase{
		{Case: test.Case{Qname: "far.node.dc2.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeServerFailure}},
		{Case: test.Case{Qname: "far.node.dc9.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: ourNX}},
	})
	if got := counterValue(t, lookups.WithLabelValues("", "servfail")); got < 1 {
		t.Errorf("lookups_total{result=servfail} = %v; want it counted", got)
	}
}

func TestUnreachableLogRateLimit(t *testing.T) {
	var u unreachableLog
	now := time.Now()
	if !u.allow("dc2", now) || u.allow("dc2", now.Add(time.Second)) || !u.allow("dc3", now) {
		t.Error("second warning within the period allowed, or another datacenter held back")
	}
	if !u.allow("dc2", now.Add(unreachableLogEvery+time.Second)) {
		t.Error("warning after the period held back")
	}
}

func TestHopOf(t *testing.T) {
	plain := test.Case{Qname: "x.", Qtype: dns.TypeA}.Msg()
	withEDNS := plain.Copy()
	withEDNS.SetEdns0(1232, true)
	marked := forwardQuery(&request.Request{Req: withEDNS}, membership.HopWAN)
	bogus := withEDNS.Copy()
	bogus.IsEdns0().Option = append(bogus.IsEdns0().Option, &dns.EDNS0_LOCAL{Code: hopOptionCode, Data: []byte{9}})
	for _, tt := range []struct {
		m    *dns.Msg
		want membership.Hop
	}{{plain, membership.HopClient}, {withEDNS, membership.HopClient}, {marked, membership.HopWAN}, {bogus, membership.HopClient}} {
		if got := hopOf(tt.m); got != tt.want {
			t.Errorf("hopOf(%v) = %s; want %s", tt.m, got, tt.want)
		}
	}
	if marked.RecursionDesired || marked.Question[0].Name != "x." {
		t.Errorf("forwarded question = %v", marked)
	}
}

// TestNetExchange asks a real DNS server on loopback whose UDP answers are
// truncated: the exchange retries over TCP.
func TestNetExchange(t *testing.T) {
	const addr = "127.0.1.240:0"
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("cannot listen on %s: %v", addr, err)
	}
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		t.Fatalf("cannot listen on TCP %s: %v", pc.LocalAddr(), err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		if w.LocalAddr().Network() == "udp" {
			m.Truncated = true
		} else {
			m.Answer = []dns.RR{test.A("far.node.dc2.consul. 30 IN A 10.2.0.5")}
		}
		_ = w.WriteMsg(m)
	})
	udp := &dns.Server{PacketConn: pc, Handler: h}
	tcp := &dns.Server{Listener: ln, Handler: h}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	t.Cleanup(func() { _ = udp.Shutdown(); _ = tcp.Shutdown() })

	q := new(dns.Msg)
	q.SetQuestion("far.node.dc2.consul.", dns.TypeA)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var r *dns.Msg
	for range 50 { // the servers start in the background
		if r, err = netExchange(ctx, q, pc.LocalAddr().String()); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || answerOf(r) != "10.2.0.5" {
		t.Fatalf("netExchange = %v, %v; want the TCP answer", r, err)
	}
}

// TestRemoteServices: another datacenter's service names take the node
// names' path and come back with the remote TTLs and additional records.
func TestRemoteServices(t *testing.T) {
	net := &fakeNet{}
	cn, _ := serverPlugin(t, net)
	for _, tc := range []test.Case{
		{Qname: "api.service.dc2.consul.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{test.A("api.service.dc2.consul. 30 IN A 10.2.0.7")}},
		{Qname: "v1.api.service.dc2.consul.", Qtype: dns.TypeSRV, Authoritative: true,
			Answer: []dns.RR{test.SRV("v1.api.service.dc2.consul. 30 IN SRV 1 1 80 n7.node.dc2.consul.")},
			Extra:  []dns.RR{test.A("n7.node.dc2.consul. 30 IN A 10.2.0.7")}},
		{Qname: "_api._tcp.service.dc2.consul.", Qtype: dns.TypeSRV, Authoritative: true,
			Answer: []dns.RR{test.SRV("_api._tcp.service.dc2.consul. 30 IN SRV 1 1 80 n7.node.dc2.consul.")},
			Extra:  []dns.RR{test.A("n7.node.dc2.consul. 30 IN A 10.2.0.7")}},
		{Qname: "api.service.dc2.consul.", Qtype: dns.TypeTXT, Authoritative: true, Ns: []dns.RR{remoteSOA}},
		{Qname: "api.service.dc9.consul.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Authoritative: true, Ns: ourNX},
	} {
		t.Run(dns.TypeToString[tc.Qtype]+" "+tc.Qname, func(t *testing.T) {
			net.mu.Lock()
			net.asked = nil
			net.mu.Unlock()
			w := dnstest.NewRecorder(&test.ResponseWriter{})
			if _, err := cn.ServeDNS(context.Background(), w, tc.Msg()); err != nil {
				t.Fatal(err)
			}
			if err := test.SortAndCheck(w.Msg, tc); err != nil {
				t.Error(err)
			}
			asked := net.calls()
			if tc.Rcode == dns.RcodeNameError && len(asked) != 0 || tc.Rcode == 0 && (len(asked) != 1 || !strings.HasSuffix(asked[0], " wan")) {
				t.Errorf("forwarded to %v; want one server over the WAN (none for an unknown datacenter)", asked)
			}
		})
	}
}
