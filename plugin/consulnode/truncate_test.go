package consulnode

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"
	"github.com/miekg/dns"
)

// TestTruncationKeepsAllThatFit: a cut UDP reply is as full as it can
// be. For every buffer size, the reply fits; when it holds all 40
// instances TC is clear, else TC is set and adding any
// one instance it left out (its answer and its additional record, taken
// from the whole TCP answer) would not fit: the builder's budget and fit
// stop at the right instance, not earlier.
func TestTruncationKeepsAllThatFit(t *testing.T) {
	cn := bigPlugin(t, 40)
	whole := map[uint16]*dns.Msg{}
	for _, qtype := range []uint16{dns.TypeA, dns.TypeSRV} {
		whole[qtype] = serve(t, cn, qtype, 0, true)
		if len(whole[qtype].Answer) != 40 {
			t.Fatalf("TCP %s: %d answers; want 40", dns.TypeToString[qtype], len(whole[qtype].Answer))
		}
	}
	for _, qtype := range []uint16{dns.TypeA, dns.TypeSRV} {
		for _, edns := range []uint16{0, 600, 650, 700, 900, 1232, 1400} {
			t.Run(fmt.Sprintf("%s/edns%d", dns.TypeToString[qtype], edns), func(t *testing.T) {
				m := serve(t, cn, qtype, edns, false)
				size := 512
				if edns > 0 {
					size = int(edns)
				}
				if got := packedLen(t, m); got > size {
					t.Fatalf("reply is %d bytes; want at most %d", got, size)
				}
				if len(m.Answer) == 40 {
					if m.Truncated {
						t.Fatal("TC set with every instance in the reply")
					}
					return
				}
				if !m.Truncated || len(m.Answer) == 0 {
					t.Fatalf("TC %t with %d answers; want TC and some of 40", m.Truncated, len(m.Answer))
				}
				kept := map[string]bool{}
				for _, rr := range m.Answer {
					kept[rr.String()] = true
				}
				for i, rr := range whole[qtype].Answer {
					if kept[rr.String()] {
						continue
					}
					more := m.Copy()
					more.Answer = append(more.Answer, rr)
					if srv, ok := rr.(*dns.SRV); ok {
						for _, x := range whole[qtype].Extra {
							if x.Header().Name == srv.Target {
								more.Extra = append(more.Extra, x)
							}
						}
					}
					if got := packedLen(t, more); got <= size {
						t.Fatalf("left out instance %d (%s), but the reply with it is %d bytes, within %d", i, rr, got, size)
					}
				}
			})
		}
	}
}

// TestFloorLen: floorLen is never more than a record's size in a
// compressed reply, for the records the plugin answers with, whatever
// precedes them.
func TestFloorLen(t *testing.T) {
	hdr := func(name string, rrtype uint16) dns.RR_Header {
		return dns.RR_Header{Name: name, Rrtype: rrtype, Class: dns.ClassINET, Ttl: 5}
	}
	owner := "web.service.consul."
	rrs := []dns.RR{
		&dns.A{Hdr: hdr(owner, dns.TypeA), A: netip.MustParseAddr("10.0.0.1").AsSlice()},
		&dns.AAAA{Hdr: hdr(owner, dns.TypeAAAA), AAAA: netip.MustParseAddr("fd00::1").AsSlice()},
		&dns.SRV{Hdr: hdr(owner, dns.TypeSRV), Priority: 1, Weight: 1, Port: 80, Target: "n1.node.dc1.consul."},
		&dns.SRV{Hdr: hdr(owner, dns.TypeSRV), Priority: 1, Weight: 1, Port: 80, Target: `we\.ird.node.dc1.consul.`},
		&dns.TXT{Hdr: hdr(owner, dns.TypeTXT), Txt: []string{"a=b", `q=\"x\"`, ""}},
		&dns.PTR{Hdr: hdr(owner, dns.TypePTR), Ptr: "web.service.consul."},
		&dns.CNAME{Hdr: hdr(owner, dns.TypeCNAME), Target: "db." + owner},
	}
	for _, rr := range rrs {
		t.Run(rr.String(), func(t *testing.T) {
			// The smallest the record can be: right after a question and
			// a copy of itself, so that every name in it can point back.
			m := new(dns.Msg)
			m.SetQuestion(owner, dns.TypeANY)
			m.Compress = true
			m.Answer = []dns.RR{rr}
			before := packedLen(t, m)
			m.Answer = []dns.RR{rr, dns.Copy(rr)}
			if got := packedLen(t, m) - before; floorLen(rr) > got {
				t.Errorf("floorLen = %d; the record took %d bytes", floorLen(rr), got)
			}
		})
	}
}

func serve(t *testing.T, cn *ConsulNode, qtype, edns uint16, tcp bool) *dns.Msg {
	t.Helper()
	r := test.Case{Qname: "big.service.consul.", Qtype: qtype}.Msg()
	if edns > 0 {
		r.SetEdns0(edns, false)
	}
	rec := dnstest.NewRecorder(&test.ResponseWriter{TCP: tcp})
	if _, err := cn.ServeDNS(context.Background(), request.NewScrubWriter(r, rec), r); err != nil {
		t.Fatal(err)
	}
	return rec.Msg
}

// packedLen is m's size on the wire, compressed, as the server sends it.
func packedLen(t *testing.T, m *dns.Msg) int {
	t.Helper()
	m.Compress = true
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}
