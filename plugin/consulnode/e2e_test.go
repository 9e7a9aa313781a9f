package consulnode

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	_ "github.com/coredns/coredns/plugin/bind" // the e2e Corefiles bind to 127.0.2.x
	"github.com/discod/discod/catalog"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"
)

// startCoreDNS starts a real CoreDNS instance from corefile with only the
// bind and consulnode directives, as discod embeds it, and returns its UDP
// and TCP addresses. It stops the instance (running the shutdown hooks)
// when the test ends.
func startCoreDNS(t *testing.T, corefile string) (udp, tcp string) {
	t.Helper()
	saved := slices.Clone(dnsserver.Directives)
	if err := dnsserver.SetDirectives([]string{"bind", "consulnode"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dnsserver.Directives = saved })
	caddy.Quiet, dnsserver.Quiet = true, true

	inst, err := caddy.Start(caddy.CaddyfileInput{Filepath: "Corefile", Contents: []byte(corefile), ServerTypeName: "dns"})
	if err != nil {
		t.Fatalf("start CoreDNS: %v", err)
	}
	t.Cleanup(func() {
		if err := errors.Join(inst.ShutdownCallbacks()...); err != nil {
			t.Errorf("shutdown callbacks: %v", err)
		}
		_ = inst.Stop()
		inst.Wait()
	})
	srv := inst.Servers()[0]
	return srv.LocalAddr().String(), srv.Addr().String()
}

// exchange sends a question over net ("udp" or "tcp"), with EDNS0 when
// ednsSize > 0.
func exchange(t *testing.T, network, addr, name string, qtype uint16, ednsSize uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if ednsSize > 0 {
		m.SetEdns0(ednsSize, false)
	}
	c := &dns.Client{Net: network}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s %s %s: %v", network, name, dns.TypeToString[qtype], err)
	}
	return r
}

// TestEndToEndStock runs consulnode in CoreDNS the way a stock build
// does, the block carrying the gossip options, and checks what the server
// around the plugin adds: the OPT record echoed with the client's size
// (CoreDNS's ScrubWriter), and answers over TCP.
func TestEndToEndStock(t *testing.T) {
	udp, tcp := startCoreDNS(t, `consul.:0 {
    bind 127.0.2.30
    consulnode {
        node e2e
        bind 127.0.2.30:0
    }
}
`)
	r := exchange(t, "udp", udp, "E2E.node.consul.", dns.TypeA, 1232)
	if r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) != 1 || r.Answer[0].Header().Name != "E2E.node.consul." {
		t.Fatalf("UDP reply %v; want one authoritative A for E2E.node.consul.", r)
	}
	if a := r.Answer[0].(*dns.A); !a.A.Equal(net.ParseIP("127.0.2.30")) {
		t.Errorf("A = %s; want 127.0.2.30", a.A)
	}
	opt := r.IsEdns0()
	if opt == nil || opt.UDPSize() != 1232 {
		t.Errorf("OPT = %v; want the client's OPT echoed with size 1232", opt)
	}
	if r := exchange(t, "udp", udp, "e2e.node.consul.", dns.TypeA, 0); r.IsEdns0() != nil {
		t.Errorf("reply to a query without EDNS has an OPT record: %v", r.IsEdns0())
	}

	r = exchange(t, "tcp", tcp, "e2e.node.consul.", dns.TypeA, 0)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Errorf("TCP reply %v; want one A", r)
	}
	r = exchange(t, "tcp", tcp, "nope.node.consul.", dns.TypeA, 0)
	if r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA {
		t.Errorf("TCP reply %v; want NXDOMAIN with the SOA", r)
	}

	// Not ours: the server answers REFUSED for a class other than IN.
	m := new(dns.Msg)
	m.SetQuestion("e2e.node.consul.", dns.TypeA)
	m.Question[0].Qclass = dns.ClassCHAOS
	if r, _, err := (&dns.Client{Net: "udp"}).Exchange(m, udp); err != nil || r.Rcode != dns.RcodeRefused {
		t.Errorf("CH query: %v, %v; want REFUSED", r, err)
	}
}

// TestEndToEndProcessAgent runs consulnode as discod does, answering from
// the daemon's agent, and shows the server truncating a reply that does
// not fit the client's buffer (TC set) while TCP carries all of it.
func TestEndToEndProcessAgent(t *testing.T) {
	meta := map[string]string{}
	for i := range 14 {
		meta[fmt.Sprintf("k%02d", i)] = fmt.Sprintf("value-%014d", i)
	}
	a := newTestAgent(t, "127.0.2.31", "proc", meta)
	withProcessAgent(t, a)
	udp, tcp := startCoreDNS(t, `consul.:0 {
    bind 127.0.2.31
    consulnode
}
`)
	r := exchange(t, "udp", udp, "proc.node.consul.", dns.TypeA, 0)
	if len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "127.0.2.31" {
		t.Fatalf("reply %v; want A 127.0.2.31", r)
	}

	r = exchange(t, "udp", udp, "proc.node.consul.", dns.TypeTXT, 0)
	if !r.Truncated || len(r.Answer) >= len(meta) {
		t.Errorf("UDP TXT reply without EDNS: TC %t, %d records; want TC set and fewer than %d records", r.Truncated, len(r.Answer), len(meta))
	}
	r = exchange(t, "udp", udp, "proc.node.consul.", dns.TypeTXT, 4096)
	if r.Truncated || len(r.Answer) != len(meta) {
		t.Errorf("UDP TXT reply with EDNS 4096: TC %t, %d records; want all %d", r.Truncated, len(r.Answer), len(meta))
	}
	r = exchange(t, "tcp", tcp, "proc.node.consul.", dns.TypeTXT, 0)
	if r.Truncated || len(r.Answer) != len(meta) {
		t.Errorf("TCP TXT reply: TC %t, %d records; want all %d", r.Truncated, len(r.Answer), len(meta))
	}
}

// TestEndToEndServices answers service names through a real CoreDNS
// server, over real sockets: 40 instances cut to the client's buffer with
// their additional records and TC (the server's own scrubbing then finds
// nothing to cut), all of them over TCP, and a DNS-SD instance whose
// label needs escaping on the wire.
func TestEndToEndServices(t *testing.T) {
	a := newTestAgent(t, "127.0.2.32", "svc", nil)
	withProcessAgent(t, a)
	tbl := a.Table()
	for i := range 40 {
		name := fmt.Sprintf("b%d", i)
		tbl.Upsert(membership.Member{Name: name, Addr: netip.AddrFrom4([4]byte{10, 5, 0, byte(i)}), Datacenter: strings.ToLower(a.Config().Datacenter), State: membership.StateAlive})
		svcs := []catalog.Service{{ID: "big", Name: "big", Port: 80}}
		if i == 0 {
			svcs = append(svcs, catalog.Service{ID: "my web", Name: "meta", Port: 8080, Meta: map[string]string{"path": "/"}})
		}
		tbl.ReplaceRecords(name, catalog.Version{Epoch: 1, Seq: 1}, svcs, nil)
	}
	udp, tcp := startCoreDNS(t, `consul.:0 {
    bind 127.0.2.32
    consulnode
}
`)
	for _, tt := range []struct {
		network string
		edns    uint16
		size    int
		all     bool
	}{
		{"udp", 0, 512, false},
		{"udp", 1232, 1232, false},
		{"tcp", 0, dns.MaxMsgSize, true},
	} {
		r := exchange(t, tt.network, map[string]string{"udp": udp, "tcp": tcp}[tt.network], "big.service.consul.", dns.TypeSRV, tt.edns)
		checkTruncated(t, r, tt.size, 40, tt.all, !tt.all)
	}
	r := exchange(t, "udp", udp, `my\ web._meta._tcp.consul.`, dns.TypeANY, 1232)
	if len(r.Answer) != 2 || len(r.Extra) != 2 { // SRV, TXT; the A and the OPT
		t.Fatalf("DNS-SD instance reply %v; want SRV and TXT with the target's A", r)
	}
	if s, ok := r.Answer[0].(*dns.SRV); !ok || s.Port != 8080 || s.Target != "b0.node."+strings.ToLower(a.Config().Datacenter)+".consul." {
		t.Errorf("SRV = %v; want port 8080 on b0", r.Answer[0])
	}
	if txt, ok := r.Answer[1].(*dns.TXT); !ok || len(txt.Txt) != 1 || txt.Txt[0] != "path=/" {
		t.Errorf("TXT = %v; want path=/", r.Answer[1])
	}
}
