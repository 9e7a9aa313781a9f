package consulnode

import (
	"net"
	"net/netip"
	"strconv"
	"testing"

	"github.com/coredns/coredns/plugin/test"
	"github.com/discod/discod/catalog"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"
)

// Benchmarks and allocation bounds of service lookups. The reply to a
// service A question with k addresses costs the Msg, its question and
// answer slices and, per address, the record and its IP; an SRV reply the
// Msg, its question, answer and additional slices and, per instance, the
// SRV record, its target name, the target's A record and its IP. Nothing
// else on the path may allocate: the instances are read into a pooled
// buffer.

// addrWriter is a test.ResponseWriter whose RemoteAddr does not
// allocate, as a real server's does not (test.ResponseWriter builds a new
// address on every call), so that allocation counts are the plugin's.
type addrWriter struct {
	test.ResponseWriter
}

var (
	benchRemote    net.Addr = &net.UDPAddr{IP: net.IPv4(10, 240, 0, 1), Port: 40212}
	benchRemoteTCP net.Addr = &net.TCPAddr{IP: net.IPv4(10, 240, 0, 1), Port: 40212}
)

func (w *addrWriter) RemoteAddr() net.Addr {
	if w.TCP {
		return benchRemoteTCP
	}
	return benchRemote
}

// svcBenchPlugin returns a plugin for consul. whose datacenter holds
// total instances: web on 3 nodes, and total-3 instances of 100 other
// services on other nodes (10 per node).
func svcBenchPlugin(tb testing.TB, total int) *ConsulNode {
	tb.Helper()
	cn := newConsulNode([]string{"consul."})
	tbl := membership.NewTable()
	node := func(i int) string { return "n" + strconv.Itoa(i) }
	addNode := func(i int) {
		tbl.Upsert(membership.Member{Name: node(i), Addr: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}),
			Datacenter: "dc1", State: membership.StateAlive})
	}
	for i := range 3 {
		addNode(i)
		tbl.ReplaceRecords(node(i), catalog.Version{Epoch: 1, Seq: 1}, []catalog.Service{{ID: "web", Name: "web", Port: 80, Tags: []string{"v1"}}}, nil)
	}
	rest := total - 3
	for n := 0; rest > 0; n++ {
		i := 3 + n
		addNode(i)
		var svcs []catalog.Service
		for j := 0; j < 10 && rest > 0; j++ {
			name := "svc" + strconv.Itoa((n*10+j)%100)
			svcs = append(svcs, catalog.Service{ID: name + "-" + strconv.Itoa(j), Name: name, Port: 1000 + j})
			rest--
		}
		tbl.ReplaceRecords(node(i), catalog.Version{Epoch: 1, Seq: 1}, svcs, nil)
	}
	local, _ := tbl.Lookup("n0")
	cn.setBackend(&fakeSource{table: tbl, local: local, ready: true}, "dc1")
	return cn
}

// TestServiceAllocs bounds the allocations of service answers to their
// reply.
func TestServiceAllocs(t *testing.T) {
	cn := svcBenchPlugin(t, 10)
	w := &addrWriter{}
	ctx := serverCtx()
	for _, tt := range []struct {
		name  string
		qtype uint16
		max   float64
	}{
		{"web.service.consul.", dns.TypeA, 3 + 3*2},
		{"v1.web.service.consul.", dns.TypeA, 3 + 3*2},
		{"web.service.consul.", dns.TypeSRV, 4 + 3*4},
		{"_web._tcp.service.consul.", dns.TypeSRV, 4 + 3*4},
		{"nosuch.service.consul.", dns.TypeA, 4}, // the Msg, its slices and the SOA
	} {
		r := test.Case{Qname: tt.name, Qtype: tt.qtype}.Msg()
		allocs := testing.AllocsPerRun(200, func() { _, _ = cn.ServeDNS(ctx, w, r) })
		if raceEnabled {
			// A dropped pooled buffer costs the scratch and its maps and
			// slices again, once in four lookups on average.
			tt.max += 4
		}
		if allocs > tt.max {
			t.Errorf("%s %s: %v allocations; want at most %v (the reply)", tt.name, dns.TypeToString[tt.qtype], allocs, tt.max)
		}
	}
}

// BenchmarkServiceLookup is service A and SRV hits (3 instances) in a
// datacenter of 10 and of 10,000 instances: the cost is keyed on the
// service name, so both sizes cost the same.
func BenchmarkServiceLookup(b *testing.B) {
	for _, total := range []int{10, 10000} {
		cn := svcBenchPlugin(b, total)
		for _, qtype := range []uint16{dns.TypeA, dns.TypeSRV} {
			b.Run(dns.TypeToString[qtype]+"/"+strconv.Itoa(total), func(b *testing.B) {
				r := test.Case{Qname: "web.service.consul.", Qtype: qtype}.Msg()
				w := &addrWriter{}
				ctx := serverCtx()
				b.ReportAllocs()
				for b.Loop() {
					if rcode, err := cn.ServeDNS(ctx, w, r); rcode != dns.RcodeSuccess || err != nil {
						b.Fatalf("ServeDNS = %d, %v", rcode, err)
					}
				}
			})
		}
	}
}

// BenchmarkServiceLookupPacked is the SRV hit with the reply packed, as
// the server does.
func BenchmarkServiceLookupPacked(b *testing.B) {
	cn := svcBenchPlugin(b, 10000)
	r := test.Case{Qname: "web.service.consul.", Qtype: dns.TypeSRV}.Msg()
	w := &packWriter{buf: make([]byte, 0, 512)}
	ctx := serverCtx()
	b.ReportAllocs()
	for b.Loop() {
		if rcode, err := cn.ServeDNS(ctx, w, r); rcode != dns.RcodeSuccess || err != nil {
			b.Fatalf("ServeDNS = %d, %v", rcode, err)
		}
	}
}

// BenchmarkServiceLookupLarge is one service of 10,000 instances asked
// over UDP without EDNS (cut to 512 bytes, TC) and over TCP (cut to
// 64 KiB): the store copies every instance of the name, the reply is
// built only for what can fit.
func BenchmarkServiceLookupLarge(b *testing.B) {
	for _, size := range []int{40, 10000} {
		benchServiceLookupLarge(b, size)
	}
}

// benchServiceLookupLarge is BenchmarkServiceLookupLarge for one service
// of size instances (40: the kit's truncated UDP answer and its TCP
// retry).
func benchServiceLookupLarge(b *testing.B, size int) {
	cn := bigPlugin(b, size)
	for _, tcp := range []bool{false, true} {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeSRV} {
			name := dns.TypeToString[qtype] + "/udp/" + strconv.Itoa(size)
			if tcp {
				name = dns.TypeToString[qtype] + "/tcp/" + strconv.Itoa(size)
			}
			b.Run(name, func(b *testing.B) {
				r := test.Case{Qname: "big.service.consul.", Qtype: qtype}.Msg()
				w := &addrWriter{ResponseWriter: test.ResponseWriter{TCP: tcp}}
				ctx := serverCtx()
				b.ReportAllocs()
				for b.Loop() {
					if rcode, err := cn.ServeDNS(ctx, w, r); rcode != dns.RcodeSuccess || err != nil {
						b.Fatalf("ServeDNS = %d, %v", rcode, err)
					}
				}
			})
		}
	}
}

// TestServiceAllocsTruncated bounds the allocations of the kit's
// 40-instance answer to its reply: the Msg, its question, answer and
// (SRV) additional slices, and per record what TestServiceAllocs counts.
// Over TCP it is whole and costs the reply alone. Over UDP, cut to 512
// bytes, it may cost one instance more (the one the builder's budget
// found no room for, built and taken out) and the compression maps of
// fit's compressed measurements (usually one).
func TestServiceAllocsTruncated(t *testing.T) {
	cn := bigPlugin(t, 40)
	ctx := serverCtx()
	for _, tt := range []struct {
		name  string
		qtype uint16
		tcp   bool
	}{
		{"A/udp", dns.TypeA, false},
		{"A/tcp", dns.TypeA, true},
		{"SRV/udp", dns.TypeSRV, false},
		{"SRV/tcp", dns.TypeSRV, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := test.Case{Qname: "big.service.consul.", Qtype: tt.qtype}.Msg()
			rec := &addrWriter{ResponseWriter: test.ResponseWriter{TCP: tt.tcp}}
			w := dnstestRecorder{addrWriter: rec}
			if _, err := cn.ServeDNS(ctx, &w, r); err != nil || w.msg == nil {
				t.Fatalf("ServeDNS: %v, reply %v", err, w.msg)
			}
			kept := len(w.msg.Answer)
			if tt.tcp && kept != 40 || !tt.tcp && (kept == 0 || kept >= 40 || !w.msg.Truncated) {
				t.Fatalf("%d answers, TC %v; want 40 over TCP, fewer and TC over UDP", kept, w.msg.Truncated)
			}
			max, group := float64(3+2*kept), 2.0
			if tt.qtype == dns.TypeSRV {
				max, group = float64(4+4*kept), 4
			}
			reply := max
			if !tt.tcp {
				// One instance built and taken out again, and the
				// compression map of one compressed length, which grows
				// in a few steps to the reply's names.
				max += group + 6
			}
			if raceEnabled {
				// A dropped pooled buffer, as in TestServiceAllocs; its maps
				// and slices regrow to 40 entries, in several steps.
				max += 12
			}
			allocs := testing.AllocsPerRun(200, func() { _, _ = cn.ServeDNS(ctx, rec, r) })
			t.Logf("%v allocations for %d records kept (the reply alone: %v)", allocs, kept, reply)
			if allocs > max {
				t.Errorf("%v allocations for %d records kept; want at most %v", allocs, kept, max)
			}
		})
	}
}

// dnstestRecorder keeps the reply written through an addrWriter.
type dnstestRecorder struct {
	*addrWriter
	msg *dns.Msg
}

func (w *dnstestRecorder) WriteMsg(m *dns.Msg) error {
	w.msg = m
	return nil
}
