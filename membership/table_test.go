package membership

import (
	"net/netip"
	"strconv"
	"testing"
	"time"
)

func TestTableLookupAndReap(t *testing.T) {
	tb := NewTable()
	g0 := tb.Index()
	tb.Upsert(Member{Name: "Web", Addr: netip.MustParseAddr("10.0.0.1"), State: StateAlive})
	if tb.Index() == g0 {
		t.Error("generation did not change on upsert")
	}
	if _, ok := tb.Lookup("web"); !ok {
		t.Error("Lookup(web) missed a member named Web")
	}
	if m, ok := tb.LookupAddr(netip.MustParseAddr("10.0.0.1")); !ok || m.Name != "Web" {
		t.Errorf("LookupAddr = %+v, %v", m, ok)
	}
	// A new address for the same name replaces the reverse entry.
	tb.Upsert(Member{Name: "web", Addr: netip.MustParseAddr("10.0.0.2"), State: StateAlive})
	if _, ok := tb.LookupAddr(netip.MustParseAddr("10.0.0.1")); ok {
		t.Error("old address still maps to web")
	}
	old := time.Now().Add(-time.Hour)
	tb.Upsert(Member{Name: "gone", State: StateLeft, StateChanged: old})
	tb.Upsert(Member{Name: "dead", State: StateFailed, StateChanged: old})
	gone := tb.ReapNodes(time.Now(), 2*time.Hour, 30*time.Minute)
	if len(gone) != 1 || gone[0].Name != "gone" {
		t.Errorf("reaped %v; want only the left member", gone)
	}
	if got := tb.Count(StateFailed, "", ""); got != 1 {
		t.Errorf("failed count = %d; want 1", got)
	}
}

func BenchmarkTableLookup(b *testing.B) {
	tb := NewTable()
	for i := range 1000 {
		tb.Upsert(Member{Name: "node" + strconv.Itoa(i), Addr: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), State: StateAlive})
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok := tb.Lookup("node500"); !ok {
			b.Fatal("miss")
		}
	}
}

func BenchmarkTableUpsert(b *testing.B) {
	tb := NewTable()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tb.Upsert(Member{Name: "node" + strconv.Itoa(i%1000), State: StateAlive})
	}
}
