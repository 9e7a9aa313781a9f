package corefile

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	clog "github.com/coredns/coredns/plugin/pkg/log"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"
)

// This package's tests use 127.0.3.0/24 so that other packages can run at
// the same time:
//
//	127.0.3.1     discod's DNS listener
//	127.0.3.2     a fake upstream resolver
//	127.0.3.3     an upstream that does not answer
//	127.0.3.10    the gossip agent "alpha" (the A record answered)
//	127.0.3.20    a client inside RecursorAllow
//	127.0.3.21    a client outside it
var (
	dnsAddr      = netip.MustParseAddr("127.0.3.1")
	upstreamAddr = netip.MustParseAddr("127.0.3.2")
	deadAddr     = netip.MustParseAddr("127.0.3.3")
	agentAddr    = netip.MustParseAddr("127.0.3.10")
	insideAddr   = netip.MustParseAddr("127.0.3.20")
	outsideAddr  = netip.MustParseAddr("127.0.3.21")
)

// TestMain publishes a real gossip agent as the process agent, as the
// daemon does, so that consulnode answers from its table. Only tests may
// import membership: the corefile package itself must not.
func TestMain(m *testing.M) {
	clog.Discard() // CoreDNS and caddy log through the standard logger
	cfg := membership.DefaultConfig()
	cfg.NodeName = "alpha"
	cfg.BindAddr = agentAddr
	cfg.BindPort = 0
	cfg.Profile = "local"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := membership.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start gossip agent:", err)
		os.Exit(1)
	}
	if err := membership.Register(membership.DefaultAgent, a); err != nil {
		fmt.Fprintln(os.Stderr, "register gossip agent:", err)
		os.Exit(1)
	}
	code := m.Run()
	membership.Unregister(membership.DefaultAgent, a)
	_ = a.Shutdown()
	os.Exit(code)
}

// startRendered renders o on dnsAddr (port 0 unless set) and starts it;
// the server is stopped when the test ends.
func startRendered(t *testing.T, o Options) *Server {
	t.Helper()
	o.ListenAddr = dnsAddr
	text, err := Render(o)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return start(t, DefaultName, text)
}

// start starts a Corefile and stops it when the test ends.
func start(t *testing.T, path, text string) *Server {
	t.Helper()
	s, err := Start(path, []byte(text))
	if err != nil {
		t.Fatalf("Start:\n%s\nerror: %v", text, err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

// dnsAddrs returns the server's one UDP and one TCP address.
func dnsAddrs(t *testing.T, s *Server) (udp, tcp netip.AddrPort) {
	t.Helper()
	u, c := s.Addrs()
	if len(u) != 1 || len(c) != 1 {
		t.Fatalf("Addrs() = %v, %v; want one UDP and one TCP address", u, c)
	}
	return u[0], c[0]
}

// exchange sends one query from the address from (zero: any).
func exchange(network string, server netip.AddrPort, from netip.Addr, name string, qtype uint16) (*dns.Msg, error) {
	c := &dns.Client{Net: network, Timeout: 3 * time.Second}
	if from.IsValid() {
		d := &net.Dialer{Timeout: 3 * time.Second}
		if network == "tcp" {
			d.LocalAddr = &net.TCPAddr{IP: from.AsSlice()}
		} else {
			d.LocalAddr = &net.UDPAddr{IP: from.AsSlice()}
		}
		c.Dialer = d
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	r, _, err := c.Exchange(m, server.String())
	return r, err
}

// query is exchange that fails the test on a transport error.
func query(t *testing.T, network string, server netip.AddrPort, from netip.Addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	r, err := exchange(network, server, from, name, qtype)
	if err != nil {
		t.Fatalf("%s %s %s from %v: %v", network, name, dns.TypeToString[qtype], from, err)
	}
	return r
}

// wantA checks that r is an authoritative NOERROR answer with exactly the
// A record addr.
func wantA(t *testing.T, r *dns.Msg, addr netip.Addr) {
	t.Helper()
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Fatalf("answer = %s, %d records; want NOERROR with one A:\n%v", dns.RcodeToString[r.Rcode], len(r.Answer), r)
	}
	a, ok := r.Answer[0].(*dns.A)
	if !ok {
		t.Fatalf("answer %v is not an A record", r.Answer[0])
	}
	if got, _ := netip.AddrFromSlice(a.A); got.Unmap() != addr {
		t.Errorf("A = %v; want %v", a.A, addr)
	}
}

// freePort returns a port that is free on addr for both UDP and TCP right
// now (for endpoints that need a fixed address).
func freePort(t *testing.T, addr netip.Addr) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", netip.AddrPortFrom(addr, uint16(port)).String())
		l.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// upstream is a fake recursive resolver: it answers A queries with
// 192.0.2.1 and PTR queries with upstream.example., and records the names
// it was asked.
type upstream struct {
	addr netip.AddrPort

	mu    sync.Mutex // guards names
	names []string
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	pc, err := net.ListenPacket("udp", netip.AddrPortFrom(upstreamAddr, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	u := &upstream{addr: pc.LocalAddr().(*net.UDPAddr).AddrPort()}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) }, Handler: dns.HandlerFunc(u.serve)}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return u
}

func (u *upstream) serve(w dns.ResponseWriter, r *dns.Msg) {
	q := r.Question[0]
	u.mu.Lock()
	u.names = append(u.names, strings.ToLower(q.Name))
	u.mu.Unlock()
	m := new(dns.Msg)
	m.SetReply(r)
	m.RecursionAvailable = true
	hdr := dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET, Ttl: 60}
	switch q.Qtype {
	case dns.TypeA:
		m.Answer = []dns.RR{&dns.A{Hdr: hdr, A: net.IPv4(192, 0, 2, 1)}}
	case dns.TypePTR:
		m.Answer = []dns.RR{&dns.PTR{Hdr: hdr, Ptr: "upstream.example."}}
	}
	_ = w.WriteMsg(m)
}

// asked reports whether the upstream was asked name, or a name under it.
func (u *upstream) asked(name string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, n := range u.names {
		if n == name || strings.HasSuffix(n, "."+name) {
			return true
		}
	}
	return false
}

// deadUpstream returns an address where nothing listens: a UDP query to
// it fails at once with "connection refused".
func deadUpstream(t *testing.T) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", netip.AddrPortFrom(deadAddr, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	ap := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	pc.Close()
	return ap
}
