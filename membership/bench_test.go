package membership

import (
	"fmt"
	"net/netip"
	"strconv"
	"testing"
)

// Benchmarks of the member table: the lookup path DNS answers from and the
// update path gossip events take (Upsert is the one write path). Run them
// with
//
//	go test -run '^$' -bench . -benchmem ./membership
//
// bench/README.md and docs/PERFORMANCE.md explain how they are used.

// benchMembers returns n members named node0…node<n-1>, as gossip would
// report them.
func benchMembers(n int) []Member {
	ms := make([]Member, n)
	for i := range ms {
		ms[i] = Member{
			Name:       "node" + strconv.Itoa(i),
			ID:         fmt.Sprintf("00000000-0000-0000-0000-%012d", i),
			Addr:       netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}),
			Port:       8301,
			Datacenter: "dc1",
			Role:       RoleClient,
			Build:      "bench",
			State:      StateAlive,
		}
	}
	return ms
}

func benchTable(ms []Member) *Table {
	tb := NewTable()
	for _, m := range ms {
		tb.Upsert(m)
	}
	return tb
}

// BenchmarkTableLookupSize is a DNS lookup (a hit) against tables of 100,
// 1,000 and 10,000 members. It must not allocate.
func BenchmarkTableLookupSize(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ms := benchMembers(n)
			tb := benchTable(ms)
			names := make([]string, n)
			for i := range ms {
				names[i] = ms[i].Name
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, ok := tb.Lookup(names[i%n]); !ok {
					b.Fatal("miss")
				}
			}
		})
	}
}

// BenchmarkTableLookupMiss is the NXDOMAIN path's table lookup.
func BenchmarkTableLookupMiss(b *testing.B) {
	tb := benchTable(benchMembers(1000))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := tb.Lookup("nosuchnode"); ok {
			b.Fatal("hit")
		}
	}
}

// BenchmarkTableLookupParallel is lookups from every P at once (a DNS
// server's goroutines share the table's read lock).
func BenchmarkTableLookupParallel(b *testing.B) {
	ms := benchMembers(1000)
	tb := benchTable(ms)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, ok := tb.Lookup(ms[i%len(ms)].Name); !ok {
				b.Error("miss")
				return
			}
			i++
		}
	})
}

// BenchmarkTableUpsertUpdate is the common gossip event: an update of a
// member already in the table (a metadata change, alive → failed),
// against tables of 1,000 and 10,000 members.
func BenchmarkTableUpsertUpdate(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ms := benchMembers(n)
			tb := benchTable(ms)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				m := ms[i%n]
				if i&1 == 1 {
					m.State = StateFailed
				}
				tb.Upsert(m)
			}
		})
	}
}

// BenchmarkTableUpsertNew is a join: a member the table has not seen
// (the table is rebuilt every 10,000 inserts so it stays the same size
// on average whatever b.N is).
func BenchmarkTableUpsertNew(b *testing.B) {
	const n = 10000
	ms := benchMembers(n)
	tb := NewTable()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%n == 0 && i > 0 {
			b.StopTimer()
			tb = NewTable()
			b.StartTimer()
		}
		tb.Upsert(ms[i%n])
	}
}

// BenchmarkTableLookupDuringUpserts is lookups on every P while one
// goroutine updates members as fast as it can: how much a burst of gossip
// events slows the DNS path down through the table's lock.
func BenchmarkTableLookupDuringUpserts(b *testing.B) {
	ms := benchMembers(1000)
	tb := benchTable(ms)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			tb.Upsert(ms[(i*7)%len(ms)])
		}
	}()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, ok := tb.Lookup(ms[i%len(ms)].Name); !ok {
				b.Error("miss")
				return
			}
			i++
		}
	})
	b.StopTimer()
	close(stop)
	<-done
}
