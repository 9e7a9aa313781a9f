package consulnode

import (
	"context"
	"net/netip"
	"strconv"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin/test"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"
)

// Benchmarks of the lookup path, ServeDNS as CoreDNS calls it. Run them
// with
//
//	go test -run '^$' -bench . -benchmem ./plugin/consulnode
//
// The reply for an A hit costs 5 allocations (the Msg, its question and
// answer slices, the A record and its 4-byte address); nothing else on
// the path may allocate. BenchmarkServeDNS (consulnode_test.go) is the
// 1,000-member A hit; these add the sizes, the negative path, the
// per-server counters and the packing a real server does.

// benchPlugin returns a plugin for consul. answering from n members
// named node0…node<n-1>, in dc1.
func benchPlugin(n int) *ConsulNode {
	cn := newConsulNode([]string{"consul."})
	tbl := membership.NewTable()
	for i := range n {
		tbl.Upsert(membership.Member{
			Name:       "node" + strconv.Itoa(i),
			Addr:       netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}),
			Datacenter: "dc1",
			State:      membership.StateAlive,
		})
	}
	local, _ := tbl.Lookup("node0")
	cn.setBackend(&fakeSource{table: tbl, local: local, ready: true}, "dc1")
	return cn
}

// serverCtx is the context CoreDNS hands plugins: it carries the server,
// whose address labels the lookups_total counters.
func serverCtx() context.Context {
	return context.WithValue(context.Background(), dnsserver.Key{}, &dnsserver.Server{Addr: "dns://127.0.0.1:8600"})
}

// packWriter is a ResponseWriter that packs the reply into a reused
// buffer, as the server's WriteMsg does before it writes to the socket.
type packWriter struct {
	test.ResponseWriter
	buf []byte
}

func (w *packWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.PackBuffer(w.buf)
	if err != nil {
		return err
	}
	w.buf = b[:0]
	return nil
}

// BenchmarkServeDNSSize is an A hit against 100, 1,000 and 10,000
// members, cycling through the names, with the server in the context.
func BenchmarkServeDNSSize(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			cn := benchPlugin(n)
			reqs := make([]*dns.Msg, n)
			for i := range reqs {
				reqs[i] = test.Case{Qname: "node" + strconv.Itoa(i) + ".node.consul.", Qtype: dns.TypeA}.Msg()
			}
			w := &test.ResponseWriter{}
			ctx := serverCtx()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if rcode, err := cn.ServeDNS(ctx, w, reqs[i%n]); rcode != dns.RcodeSuccess || err != nil {
					b.Fatalf("ServeDNS = %d, %v", rcode, err)
				}
			}
		})
	}
}

// BenchmarkServeDNSNXDomain is a name that is not in the table: NXDOMAIN
// with the SOA (the reply costs the Msg, its slices and the SOA record).
func BenchmarkServeDNSNXDomain(b *testing.B) {
	cn := benchPlugin(1000)
	r := test.Case{Qname: "nosuchnode.node.consul.", Qtype: dns.TypeA}.Msg()
	w := &test.ResponseWriter{}
	ctx := serverCtx()
	b.ReportAllocs()
	for b.Loop() {
		if rcode, err := cn.ServeDNS(ctx, w, r); rcode != dns.RcodeSuccess || err != nil {
			b.Fatalf("ServeDNS = %d, %v", rcode, err)
		}
	}
}

// BenchmarkServeDNSPacked is an A hit with the reply packed into wire
// format, as the server does after the plugin returns: the cost of the
// lookup path plus miekg/dns's packing.
func BenchmarkServeDNSPacked(b *testing.B) {
	cn := benchPlugin(1000)
	r := test.Case{Qname: "node500.node.consul.", Qtype: dns.TypeA}.Msg()
	w := &packWriter{buf: make([]byte, 0, 512)}
	ctx := serverCtx()
	b.ReportAllocs()
	for b.Loop() {
		if rcode, err := cn.ServeDNS(ctx, w, r); rcode != dns.RcodeSuccess || err != nil {
			b.Fatalf("ServeDNS = %d, %v", rcode, err)
		}
	}
}

// BenchmarkServeDNSParallel is A hits from every P at once, as a loaded
// server runs them.
func BenchmarkServeDNSParallel(b *testing.B) {
	cn := benchPlugin(1000)
	ctx := serverCtx()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := test.Case{Qname: "node500.node.consul.", Qtype: dns.TypeA}.Msg()
		w := &test.ResponseWriter{}
		for pb.Next() {
			if rcode, err := cn.ServeDNS(ctx, w, r); rcode != dns.RcodeSuccess || err != nil {
				b.Errorf("ServeDNS = %d, %v", rcode, err)
				return
			}
		}
	})
}

// TestServeDNSAllocsWithServer is TestServeDNSAllocs with the server in
// the context, as CoreDNS calls the plugin: counting the query by server
// label must not allocate either.
func TestServeDNSAllocsWithServer(t *testing.T) {
	cn := benchPlugin(1000)
	r := test.Case{Qname: "node500.node.consul.", Qtype: dns.TypeA}.Msg()
	w := &test.ResponseWriter{}
	ctx := serverCtx()
	allocs := testing.AllocsPerRun(100, func() { _, _ = cn.ServeDNS(ctx, w, r) })
	if allocs > 5 {
		t.Errorf("ServeDNS allocates %v times per A answer; want at most 5 (the reply)", allocs)
	}
}
