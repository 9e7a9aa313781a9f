package corefile

import (
	"net"
	"net/netip"
	"time"

	"github.com/coredns/caddy"
	"github.com/miekg/dns"
)

// probeTimeout bounds how long awaitServing waits for all servers.
const probeTimeout = 5 * time.Second

// awaitServing waits until every plain DNS server of inst answers on UDP
// and TCP.
//
// caddy returns from Start and Restart once the sockets are bound, but the
// servers begin serving in goroutines of their own, and a CoreDNS server
// stopped before that point ignores the stop (dnsserver.Server.Stop finds
// no miekg server yet, or miekg's Shutdown reports "server not started")
// and serves forever after, so Instance.Wait never returns. A reply to a
// probe proves the serve loop runs; until then the probe waits in the
// socket's queue. The probe has no question, so miekg/dns rejects it with
// FORMERR before any plugin, log line or metric sees it.
//
// DNS-over-TLS, HTTPS, QUIC and gRPC servers (a UDP socket or a TCP
// listener, not both) are not probed. If a probe gets no answer within
// probeTimeout, awaitServing gives up silently: the server may still
// work, only an immediate stop would be at risk.
func awaitServing(inst *caddy.Instance) {
	deadline := time.Now().Add(probeTimeout)
	for _, l := range inst.Servers() {
		u, uok := l.LocalAddr().(*net.UDPAddr)
		t, tok := l.Addr().(*net.TCPAddr)
		if !uok || !tok {
			continue
		}
		probe("udp", reachable(u.AddrPort()), deadline)
		probe("tcp", reachable(t.AddrPort()), deadline)
	}
}

// probe sends question-less queries to addr until one is answered or the
// deadline passes.
func probe(network string, addr netip.AddrPort, deadline time.Time) bool {
	c := &dns.Client{Net: network, Timeout: 250 * time.Millisecond}
	for time.Now().Before(deadline) {
		m := new(dns.Msg)
		m.Id = dns.Id()
		if _, _, err := c.Exchange(m, addr.String()); err == nil {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// reachable turns a wildcard listen address into a loopback one this
// process can send to.
func reachable(ap netip.AddrPort) netip.AddrPort {
	a := ap.Addr().Unmap()
	switch {
	case a.Is4() && a.IsUnspecified():
		a = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	case a.IsUnspecified():
		a = netip.IPv6Loopback()
	}
	return netip.AddrPortFrom(a, ap.Port())
}
