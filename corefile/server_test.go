package corefile

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coredns/caddy"
	"github.com/miekg/dns"

	"github.com/discod/discod/internal/testproc"
)

func TestDefaultCorefileServes(t *testing.T) {
	s := startRendered(t, Options{})
	udp, tcp := dnsAddrs(t, s)
	// With port 0, UDP and TCP each get their own free port.
	if udp.Addr() != dnsAddr || tcp.Addr() != dnsAddr || udp.Port() == 0 || tcp.Port() == 0 {
		t.Fatalf("Addrs() = %v, %v; want bound ports on %v", udp, tcp, dnsAddr)
	}
	servers := map[string]netip.AddrPort{"udp": udp, "tcp": tcp}
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			server := servers[network]
			r := query(t, network, server, netip.Addr{}, "Alpha.node.consul", dns.TypeA)
			wantA(t, r, agentAddr)
			if !r.Authoritative || r.RecursionAvailable {
				t.Errorf("AA = %v, RA = %v; want AA and no RA without recursors", r.Authoritative, r.RecursionAvailable)
			}
			if r.Answer[0].Header().Name != "Alpha.node.consul." {
				t.Errorf("owner %q does not echo the question's case", r.Answer[0].Header().Name)
			}
			if r.Answer[0].Header().Ttl != 5 {
				t.Errorf("TTL = %d; want the plugin default 5", r.Answer[0].Header().Ttl)
			}

			r = query(t, network, server, netip.Addr{}, "nobody.node.consul", dns.TypeA)
			if r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA {
				t.Errorf("unknown node: %s with authority %v; want NXDOMAIN with the SOA", dns.RcodeToString[r.Rcode], r.Ns)
			}

			r = query(t, network, server, netip.Addr{}, "www.example.org", dns.TypeA)
			if r.Rcode != dns.RcodeRefused || r.RecursionAvailable {
				t.Errorf("out-of-zone name: %s, RA = %v; want REFUSED without RA", dns.RcodeToString[r.Rcode], r.RecursionAvailable)
			}

			ptr, _ := dns.ReverseAddr(agentAddr.String())
			r = query(t, network, server, netip.Addr{}, ptr, dns.TypePTR)
			if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].(*dns.PTR).Ptr != "alpha.node.dc1.consul." {
				t.Errorf("PTR of the agent: %v; want alpha.node.dc1.consul.", r)
			}

			r = query(t, network, server, netip.Addr{}, "1.2.0.192.in-addr.arpa", dns.TypePTR)
			if r.Rcode != dns.RcodeRefused {
				t.Errorf("unknown PTR without recursors: %s; want REFUSED", dns.RcodeToString[r.Rcode])
			}
		})
	}
}

func TestRecursors(t *testing.T) {
	up := newUpstream(t)
	dead := deadUpstream(t)
	s := startRendered(t, Options{
		// The dead one first: policy sequential must skip it.
		Recursors:     []string{dead.String(), up.addr.String()},
		RecursorAllow: []netip.Prefix{netip.PrefixFrom(insideAddr, 32)},
	})
	udp, _ := dnsAddrs(t, s)

	t.Run("forwarded for allowed clients", func(t *testing.T) {
		r := query(t, "udp", udp, insideAddr, "www.example.org", dns.TypeA)
		wantA(t, r, netip.MustParseAddr("192.0.2.1"))
		if !r.RecursionAvailable {
			t.Error("RA not set on a forwarded answer")
		}
		if !up.asked("www.example.org.") {
			t.Error("the upstream was not asked")
		}
	})
	t.Run("refused for other clients", func(t *testing.T) {
		r := query(t, "udp", udp, outsideAddr, "other.example.org", dns.TypeA)
		if r.Rcode != dns.RcodeRefused {
			t.Errorf("rcode = %s; want REFUSED", dns.RcodeToString[r.Rcode])
		}
		if up.asked("other.example.org.") {
			t.Error("a query from outside RecursorAllow reached the upstream")
		}
		r = query(t, "udp", udp, outsideAddr, "1.2.0.192.in-addr.arpa", dns.TypePTR)
		if r.Rcode != dns.RcodeRefused {
			t.Errorf("reverse name from outside: rcode = %s; want REFUSED", dns.RcodeToString[r.Rcode])
		}
	})
	t.Run("own zone for everyone, with RA, never forwarded", func(t *testing.T) {
		for _, from := range []netip.Addr{insideAddr, outsideAddr} {
			r := query(t, "udp", udp, from, "alpha.node.consul", dns.TypeA)
			wantA(t, r, agentAddr)
			if !r.Authoritative || !r.RecursionAvailable {
				t.Errorf("from %v: AA = %v, RA = %v; want both", from, r.Authoritative, r.RecursionAvailable)
			}
		}
		r := query(t, "udp", udp, insideAddr, "nobody.node.consul", dns.TypeA)
		if r.Rcode != dns.RcodeNameError {
			t.Errorf("unknown node: rcode = %s; want NXDOMAIN", dns.RcodeToString[r.Rcode])
		}
		// CoreDNS routes DS to the parent zone's server block; a separate
		// `.` block would forward this one.
		r = query(t, "udp", udp, insideAddr, "alpha.node.consul", dns.TypeDS)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || !r.Authoritative {
			t.Errorf("DS in our zone: %v; want an authoritative NODATA", r)
		}
		if up.asked("consul.") {
			t.Error("a name in the consul. zone reached the upstream")
		}
	})
	t.Run("unknown reverse names forwarded", func(t *testing.T) {
		r := query(t, "udp", udp, insideAddr, "1.2.0.192.in-addr.arpa", dns.TypePTR)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].(*dns.PTR).Ptr != "upstream.example." {
			t.Errorf("unknown PTR: %v; want the upstream's answer", r)
		}
		ptr, _ := dns.ReverseAddr(agentAddr.String())
		r = query(t, "udp", udp, insideAddr, ptr, dns.TypePTR)
		if len(r.Answer) != 1 || r.Answer[0].(*dns.PTR).Ptr != "alpha.node.dc1.consul." {
			t.Errorf("PTR of the agent: %v; want consulnode's answer", r)
		}
	})
}

func TestReload(t *testing.T) {
	s := startRendered(t, Options{TTL: 42})
	udp, tcp := dnsAddrs(t, s)
	ttl := func() uint32 {
		t.Helper()
		r := query(t, "udp", udp, netip.Addr{}, "alpha.node.consul", dns.TypeA)
		wantA(t, r, agentAddr)
		return r.Answer[0].Header().Ttl
	}
	if got := ttl(); got != 42 {
		t.Fatalf("TTL = %d; want 42", got)
	}

	good, err := Render(Options{ListenAddr: dnsAddr, TTL: 77})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(DefaultName, []byte(good)); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if got := ttl(); got != 77 {
		t.Errorf("after reload TTL = %d; want 77", got)
	}
	if u, c := dnsAddrs(t, s); u != udp || c != tcp {
		t.Errorf("after reload Addrs() = %v, %v; want the same sockets %v, %v", u, c, udp, tcp)
	}
	if path, text := s.Corefile(); path != DefaultName || string(text) != good {
		t.Errorf("Corefile() = %q, %q; want the reloaded one", path, text)
	}

	bad := filepath.Join(t.TempDir(), "Corefile")
	badText := "consul.:0 {\n    bind 127.0.3.1\n    consulnode consul. {\n        bogus\n    }\n}\n"
	if err := os.WriteFile(bad, []byte(badText), 0o644); err != nil {
		t.Fatal(err)
	}
	err = s.Reload(bad, []byte(badText))
	if err == nil {
		t.Fatal("Reload of a bad Corefile succeeded")
	}
	if !strings.Contains(err.Error(), bad+":4") || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("Reload error %q does not name %s:4 and the bad property", err, bad)
	}
	if got := ttl(); got != 77 {
		t.Errorf("after a failed reload TTL = %d; want the old instance's 77", got)
	}
	if err := s.Reload(DefaultName, nil); err == nil || !strings.Contains(err.Error(), "no server blocks") {
		t.Errorf("Reload of an empty Corefile: %v; want a no-server-blocks error", err)
	}
	if got := ttl(); got != 77 {
		t.Errorf("after an empty reload TTL = %d; want 77", got)
	}
}

func TestStopReleasesPort(t *testing.T) {
	s, err := Start(DefaultName, []byte(mustRender(t, Options{ListenAddr: dnsAddr})))
	if err != nil {
		t.Fatal(err)
	}
	udp, tcp := dnsAddrs(t, s)
	wantA(t, query(t, "udp", udp, netip.Addr{}, "alpha.node.consul", dns.TypeA), agentAddr)
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := s.Reload(DefaultName, []byte(mustRender(t, Options{ListenAddr: dnsAddr}))); err == nil {
		t.Error("Reload after Stop succeeded")
	}

	// CoreDNS binds with SO_REUSEPORT, so starting again would work even
	// if the old sockets were still open; plain sockets only bind if they
	// are closed.
	pc, err := net.ListenPacket("udp", udp.String())
	if err != nil {
		t.Fatalf("UDP port still held after Stop: %v", err)
	}
	pc.Close()
	l, err := net.Listen("tcp", tcp.String())
	if err != nil {
		t.Fatalf("TCP port still held after Stop: %v", err)
	}
	l.Close()

	s = startRendered(t, Options{DNSPort: int(udp.Port())})
	u, c := dnsAddrs(t, s)
	if u != udp || c.Port() != udp.Port() {
		t.Errorf("restarted on %v, %v; want %v for both", u, c, udp)
	}
	wantA(t, query(t, "udp", u, netip.Addr{}, "alpha.node.consul", dns.TypeA), agentAddr)
	wantA(t, query(t, "tcp", c, netip.Addr{}, "alpha.node.consul", dns.TypeA), agentAddr)
}

func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, path, text string
		want             []string
	}{
		{
			name: "unknown property",
			path: filepath.Join(dir, "Corefile"),
			text: "consul.:0 {\n    bind 127.0.3.1\n    consulnode {\n        tll 5\n    }\n}\n",
			want: []string{filepath.Join(dir, "Corefile") + ":4", "tll"},
		},
		{
			name: "plugin discod does not ship",
			path: "user.Corefile",
			text: ".:0 {\n    bind 127.0.3.1\n    kubernetes cluster.local\n}\n",
			want: []string{"user.Corefile:3", "kubernetes"},
		},
		{
			name: "empty",
			path: "empty.Corefile",
			text: "# nothing here\n",
			want: []string{"empty.Corefile has no server blocks"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start(tt.path, []byte(tt.text))
			if err == nil {
				s.Stop()
				t.Fatal("Start succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Start error %q does not contain %q", err, w)
				}
			}
		})
	}

	t.Run("one server per process", func(t *testing.T) {
		startRendered(t, Options{})
		if s, err := Start(DefaultName, []byte(mustRender(t, Options{ListenAddr: dnsAddr}))); err == nil {
			s.Stop()
			t.Fatal("a second Start succeeded")
		} else if !strings.Contains(err.Error(), "already runs") {
			t.Errorf("second Start: %v", err)
		}
	})

	t.Run("failed start releases what it started", func(t *testing.T) {
		// Hold the DNS port with a plain socket, so CoreDNS fails to bind
		// after the health plugin has opened its listener.
		port := freePort(t, dnsAddr)
		pc, err := net.ListenPacket("udp", netip.AddrPortFrom(dnsAddr, uint16(port)).String())
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		health := netip.AddrPortFrom(dnsAddr, uint16(freePort(t, dnsAddr))).String()
		text := mustRender(t, Options{ListenAddr: dnsAddr, DNSPort: port, HealthAddr: health})
		if s, err := Start(DefaultName, []byte(text)); err == nil {
			s.Stop()
			t.Fatal("Start on a taken port succeeded")
		}
		// The health plugin closes its listener from its own goroutine,
		// which may run a moment after the shutdown hook returned.
		testproc.WaitFor(t, 5*time.Second, "the health address to be released", func() bool {
			l, err := net.Listen("tcp", health)
			if err != nil {
				return false
			}
			l.Close()
			return true
		})
		pc.Close()
		// The slot is free again too.
		startRendered(t, Options{DNSPort: port})
	})
}

func TestEndpoints(t *testing.T) {
	addr := func() string { return netip.AddrPortFrom(dnsAddr, uint16(freePort(t, dnsAddr))).String() }
	o := Options{HealthAddr: addr(), ReadyAddr: addr(), MetricsAddr: addr()}
	s := startRendered(t, o)
	udp, _ := dnsAddrs(t, s)
	query(t, "udp", udp, netip.Addr{}, "alpha.node.consul", dns.TypeA)
	client := &http.Client{Timeout: 3 * time.Second}
	for _, e := range []struct{ url, body string }{
		{"http://" + o.HealthAddr + "/health", "OK"},
		{"http://" + o.ReadyAddr + "/ready", "OK"},
		{"http://" + o.MetricsAddr + "/metrics", "coredns_consulnode_"},
	} {
		var body string
		testproc.WaitFor(t, 5*time.Second, e.url, func() bool {
			resp, err := client.Get(e.url)
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			body = string(b)
			return resp.StatusCode == http.StatusOK
		})
		if !strings.Contains(body, e.body) {
			t.Errorf("%s: body does not contain %q:\n%.300s", e.url, e.body, body)
		}
	}
}

func TestReloadPluginIsFollowed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Corefile")
	corefile := func(ip string) []byte {
		return fmt.Appendf(nil, "example.:0 {\n    bind 127.0.3.1\n    reload 2s 1s\n    hosts {\n        %s www.example.\n    }\n}\n", ip)
	}
	if err := os.WriteFile(path, corefile("192.0.2.1"), 0o644); err != nil {
		t.Fatal(err)
	}
	text, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, path, string(text))
	udp, _ := dnsAddrs(t, s)
	wantA(t, query(t, "udp", udp, netip.Addr{}, "www.example", dns.TypeA), netip.MustParseAddr("192.0.2.1"))

	// caddy.LoadCaddyfile, which the reload plugin polls, reads our file,
	// not ./Corefile (coremain's default).
	t.Chdir(t.TempDir())
	if err := os.WriteFile("Corefile", []byte(".:0 {\n    whoami\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := caddy.LoadCaddyfile("dns")
	if err != nil || in.Path() != path {
		t.Fatalf("caddy.LoadCaddyfile = %v, %v; want %s", in, err, path)
	}

	if err := os.WriteFile(path, corefile("192.0.2.2"), 0o644); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 15*time.Second, "the reload plugin to apply the edited Corefile", func() bool {
		r, err := exchange("udp", udp, netip.Addr{}, "www.example", dns.TypeA)
		return err == nil && len(r.Answer) == 1 && r.Answer[0].(*dns.A).A.String() == "192.0.2.2"
	})
	if _, text := s.Corefile(); string(text) != string(corefile("192.0.2.2")) {
		t.Errorf("Corefile() = %q; want the edited file", text)
	}

	// Reload and Stop act on the instance the reload plugin started: a
	// stale one would hang in Stop (waiting for servers it does not own).
	// The file changes too, or the reload plugin would restore it.
	if err := os.WriteFile(path, corefile("192.0.2.3"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(path, corefile("192.0.2.3")); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	wantA(t, query(t, "udp", udp, netip.Addr{}, "www.example", dns.TypeA), netip.MustParseAddr("192.0.2.3"))
	done := make(chan error, 1)
	go func() { done <- s.Stop() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Stop: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Stop did not return")
	}
	pc, err := net.ListenPacket("udp", udp.String())
	if err != nil {
		t.Fatalf("port still held after Stop: %v", err)
	}
	pc.Close()
}

func TestLoad(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope", "Corefile")
	if _, err := Load(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(%s) error = %v; want one naming the file", missing, err)
	}
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Load(directory) error = %v; want one naming it", err)
	}
}

func mustRender(t *testing.T, o Options) string {
	t.Helper()
	s, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStopRightAfterStart(t *testing.T) {
	// A server stopped before its serve loop runs would ignore the stop
	// and Stop would wait forever; Start waits until the servers answer.
	text := mustRender(t, Options{ListenAddr: dnsAddr})
	for i := range 10 {
		s, err := Start(DefaultName, []byte(text))
		if err != nil {
			t.Fatalf("round %d: Start: %v", i, err)
		}
		udp, tcp := dnsAddrs(t, s)
		if !probe("udp", udp, time.Now().Add(time.Second)) || !probe("tcp", tcp, time.Now().Add(time.Second)) {
			t.Errorf("round %d: the probe got no answer", i)
		}
		done := make(chan error, 1)
		go func() { done <- s.Stop() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: Stop: %v", i, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: Stop did not return", i)
		}
	}
}
