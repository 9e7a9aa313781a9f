package consulnode

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// fuzzSeeds returns the packed queries of the DNS tests, some variants
// (EDNS, other classes and opcodes, several questions) and a few hundred
// random mutations of them, so that a plain `go test` already runs a
// fixed, reproducible sample of odd packets through ServeDNS.
func fuzzSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	var msgs []*dns.Msg
	for _, tc := range append(slices.Clone(dnsTests), serviceTests...) {
		msgs = append(msgs, tc.Msg())
		tc.Do = true
		msgs = append(msgs, tc.Msg())
	}
	for _, class := range []uint16{dns.ClassCHAOS, dns.ClassHESIOD, dns.ClassANY, dns.ClassNONE} {
		m := test.Case{Qname: "web.node.consul.", Qtype: dns.TypeA}.Msg()
		m.Question[0].Qclass = class
		msgs = append(msgs, m)
	}
	for _, qtype := range []uint16{dns.TypeAXFR, dns.TypeIXFR, dns.TypeANY, dns.TypeOPT, 0, 65535} {
		msgs = append(msgs, test.Case{Qname: "consul.", Qtype: qtype}.Msg())
	}
	notify := test.Case{Qname: "consul.", Qtype: dns.TypeSOA}.Msg()
	notify.Opcode = dns.OpcodeNotify
	two := test.Case{Qname: "web.node.consul.", Qtype: dns.TypeA}.Msg()
	two.Question = append(two.Question, dns.Question{Name: "db.node.consul.", Qtype: dns.TypeA, Qclass: dns.ClassINET})
	msgs = append(msgs, notify, two, new(dns.Msg))

	var seeds [][]byte
	for _, m := range msgs {
		b, err := m.Pack()
		if err != nil {
			tb.Fatalf("pack seed %v: %v", m.Question, err)
		}
		seeds = append(seeds, b)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := len(seeds)
	for range 400 {
		b := append([]byte(nil), seeds[rng.IntN(n)]...)
		for range 1 + rng.IntN(4) {
			b[rng.IntN(len(b))] = byte(rng.UintN(256))
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// FuzzServeDNS feeds arbitrary packets to ServeDNS: it must never panic,
// and every reply it writes must be a well-formed response that packs.
func FuzzServeDNS(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	cn, _ := newServicePlugin(f)
	cn.Next = test.HandlerFunc(func(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
		m := new(dns.Msg)
		m.SetRcode(r, passedRcode)
		_ = w.WriteMsg(m)
		return dns.RcodeSuccess, nil
	})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := new(dns.Msg)
		if err := r.Unpack(b); err != nil {
			return
		}
		w := dnstest.NewRecorder(&test.ResponseWriter{})
		rcode, err := cn.ServeDNS(context.Background(), w, r)
		if w.Msg == nil {
			if plugin.ClientWrite(rcode) {
				t.Fatalf("nothing written, but rcode %s (err %v) tells the server a reply was", dns.RcodeToString[rcode], err)
			}
			return
		}
		if rcode != dns.RcodeSuccess || err != nil {
			t.Fatalf("reply written, then ServeDNS returned %s, %v; want NOERROR, nil", dns.RcodeToString[rcode], err)
		}
		resp := w.Msg
		if !resp.Response || resp.Id != r.Id {
			t.Fatalf("reply has QR %t, id %d; want QR set and id %d", resp.Response, resp.Id, r.Id)
		}
		if len(resp.Question) != 1 || resp.Question[0] != r.Question[0] {
			t.Fatalf("question %v; want %v echoed", resp.Question, r.Question[0])
		}
		if _, err := resp.Pack(); err != nil {
			t.Fatalf("reply does not pack: %v\n%v", err, resp)
		}
		if resp.Rcode == passedRcode {
			return // the next plugin's reply
		}
		if !resp.Authoritative {
			t.Fatalf("reply without AA: %v", resp)
		}
		if len(resp.Answer) == 0 {
			if len(resp.Ns) != 1 || resp.Ns[0].Header().Rrtype != dns.TypeSOA {
				t.Fatalf("negative reply without exactly one SOA in authority: %v", resp)
			}
		}
		for _, rr := range resp.Answer {
			if rr.Header().Name != resp.Question[0].Name {
				t.Fatalf("answer owner %q; want the question name %q", rr.Header().Name, resp.Question[0].Name)
			}
		}
	})
}
