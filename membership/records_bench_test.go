package membership

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
)

// BenchmarkSpreadChange measures, at 16 agents (DISCOD_SPREAD_AGENTS) in
// one process on 127.0.0.225–230 (several agents share an address), the time from a
// change to every agent holding it, and the bytes each agent receives per
// change against the changed record encoded alone.
func BenchmarkSpreadChange(b *testing.B) {
	n := 16
	if v, err := strconv.Atoi(os.Getenv("DISCOD_SPREAD_AGENTS")); err == nil && v > 1 {
		n = v
	}
	var as []*Agent
	for i := range n {
		c := DefaultConfig()
		c.NodeName, c.BindAddr, c.Profile = fmt.Sprintf("b%d", i), netip.MustParseAddr(fmt.Sprintf("127.0.0.%d", 225+i%6)), "local"
		c.Logger, c.BindPort = slog.New(slog.NewTextHandler(io.Discard, nil)), 0
		a, err := New(c)
		if err != nil {
			b.Fatal(err)
		}
		defer a.Shutdown()
		if i > 0 {
			if _, err := a.Join([]string{joinAddr(as[0])}); err != nil {
				b.Fatal(err)
			}
		}
		as = append(as, a)
	}
	deadline := time.Now().Add(90 * time.Second)
	for _, a := range as {
		for a.Table().Count(StateAlive, "", "") != n {
			if time.Now().After(deadline) {
				b.Fatal("the cluster did not form")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	owner := as[0]
	self := owner.Config().NodeName
	v := catalog.Version{Epoch: uint64(time.Now().UnixNano()), Seq: 1}
	record := svc("web-1", "web", 80, "rails", "v2")
	// The first change, from nothing, is applied by everyone as it is.
	first := catalog.Delta{To: v, Services: []catalog.Service{record}}
	owner.Table().ApplyDelta(self, first)
	owner.PublishDelta(first)
	for _, a := range as[1:] {
		for a.Table().RecordsVersion(self) != v {
			if time.Now().After(deadline) {
				b.Fatal("the first change did not spread")
			}
			time.Sleep(time.Millisecond)
		}
	}
	w := &wireWriter{}
	encodeService(w, &record)
	before := make([]uint64, n)
	for i, a := range as {
		before[i] = a.RecordsCounts().BytesReceived
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		record.Port = 1000 + i
		d := catalog.Delta{From: v, Services: []catalog.Service{record}}
		v.Seq++
		d.To = v
		start := time.Now()
		owner.Table().ApplyDelta(self, d)
		owner.PublishDelta(d)
		for _, a := range as[1:] {
			for a.Table().RecordsVersion(self) != v {
				if time.Since(start) > 30*time.Second {
					b.Fatalf("change %d did not reach %s", i, a.Config().NodeName)
				}
				time.Sleep(100 * time.Microsecond)
			}
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	var total uint64
	for i, a := range as[1:] {
		total += a.RecordsCounts().BytesReceived - before[i+1]
	}
	perAgent := float64(total) / float64(n-1) / float64(b.N)
	slices.Sort(lat)
	b.ReportMetric(perAgent, "B/agent/change")
	b.ReportMetric(perAgent/float64(len(w.b)), "x-record")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs-to-all")
}
