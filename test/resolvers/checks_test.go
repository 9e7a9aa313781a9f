package resolvers

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// askFunc sends one query the way a test reaches its resolver.
type askFunc func(netw, name string, qtype uint16) (*dns.Msg, error)

// direct asks the server at server (ip:port).
func direct(server string) askFunc {
	return func(netw, name string, qtype uint16) (*dns.Msg, error) {
		return exchange(netw, server, name, qtype)
	}
}

// checkThrough asks a resolver (through ask), which forwards consul. to a
// discod agent answering webName with wantIP and everything else to up,
// what a client would ask, and checks the answers:
//
//   - webName A, over UDP and TCP, and in mixed case: wantIP;
//   - an unknown node: NXDOMAIN with the consul. SOA;
//   - webName AAAA: NODATA (NOERROR, no answer) with the consul. SOA;
//   - a name outside the zone: answered by the upstream;
//   - and no name under consul. ever reached the upstream.
func checkThrough(t *testing.T, through askFunc, up *upstream, wantIP string) {
	t.Helper()
	mark := up.mark()
	ask := func(t *testing.T, netw, name string, qtype uint16) *dns.Msg {
		t.Helper()
		r, err := through(netw, name, qtype)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	t.Run("A", func(t *testing.T) {
		for _, netw := range []string{"udp", "tcp"} {
			if r := ask(t, netw, webName, dns.TypeA); r.Rcode != dns.RcodeSuccess || answerA(r) != wantIP {
				t.Errorf("%s A over %s: %s; want NOERROR %s", webName, netw, summary(r), wantIP)
			}
		}
	})
	t.Run("mixed case", func(t *testing.T) {
		name := "WEB-1.Node.Consul."
		if r := ask(t, "udp", name, dns.TypeA); r.Rcode != dns.RcodeSuccess || answerA(r) != wantIP {
			t.Errorf("%s A: %s; want NOERROR %s", name, summary(r), wantIP)
		}
	})
	t.Run("NXDOMAIN", func(t *testing.T) {
		if r := ask(t, "udp", unknownName, dns.TypeA); r.Rcode != dns.RcodeNameError || !hasSOA(r, "consul.") {
			t.Errorf("%s A: %s; want NXDOMAIN with the consul. SOA", unknownName, summary(r))
		}
	})
	t.Run("NODATA", func(t *testing.T) {
		if r := ask(t, "udp", webName, dns.TypeAAAA); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || !hasSOA(r, "consul.") {
			t.Errorf("%s AAAA: %s; want NOERROR, no answer, the consul. SOA", webName, summary(r))
		}
	})
	t.Run("outside the zone", func(t *testing.T) {
		if r := ask(t, "udp", outsideName, dns.TypeA); r.Rcode != dns.RcodeSuccess || answerA(r) != outsideIP {
			t.Errorf("%s A: %s; want NOERROR %s from the upstream", outsideName, summary(r), outsideIP)
		}
		found := false
		for _, q := range up.asked(mark) {
			if strings.EqualFold(q.Name, outsideName) {
				found = true
			}
		}
		if !found {
			t.Errorf("the upstream was never asked for %s", outsideName)
		}
	})
	t.Run("no leak upstream", func(t *testing.T) {
		if l := leaked(up.asked(mark)); len(l) > 0 {
			t.Errorf("names under consul. reached the upstream: %v", l)
		}
	})
}

// expectFailure asks server for webName A and fails the test unless the
// answer is not wantIP: it is how a recipe with one trap left unhandled
// shows that the trap is real.
func expectFailure(t *testing.T, server, wantIP, why string) {
	t.Helper()
	r, err := exchange("udp", server, webName, dns.TypeA)
	if err != nil {
		return // a timeout is a failure too
	}
	if r.Rcode == dns.RcodeSuccess && answerA(r) == wantIP {
		t.Errorf("%s A answered %s even %s; the recipe line is not needed?", webName, summary(r), why)
		return
	}
	t.Logf("%s, as expected: %s A → %s", why, webName, summary(r))
}
