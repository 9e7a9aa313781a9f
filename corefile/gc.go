package corefile

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// The garbage collector's target.
//
// On an otherwise idle machine the tail of an agent's DNS latency is the
// garbage collector: each cycle's mark phase takes a quarter of the
// process's CPUs (one of two Ps on a 2-core host) and makes the
// allocating goroutines assist, and the queries that arrive meanwhile
// wait. An agent's live heap is small (about 5 MB with 1,000 members and
// 10,000 instances), so at Go's default target (GOGC=100) it collects
// several times a second under load. Measured at 20,000 q/s on 2 cores
// (docs/PERFORMANCE.md, "Where the agent's p99 comes from"): p99 385 µs
// at GOGC=100, 94 µs at 400, where a stock CoreDNS (bind + hosts) has
// 194 µs. So while a Server runs, Start sets the target to
// DefaultGCPercent, and Stop puts the previous one back. The cost is
// memory: the heap may grow to about five times the live heap between
// collections instead of two (25 MB instead of 10 MB for that agent).
// GOGC in the environment always wins (GOGC=100 restores Go's default),
// and WithoutGCTuning leaves the collector alone, as a stock CoreDNS
// runs.
//
// The extra memory is bounded: a process whose live heap is large (an
// agent holding 10,000 blocked HTTP reads has about 64 MB live, and
// reached 322 MB of RSS at 400 while they were woken every second) needs
// the headroom least, since its collections are already far apart. So
// while a Server runs, the target follows the live heap, read every
// gcFollowEvery: the heap may grow past the live heap by at most
// gcHeadroom or by the live heap itself (Go's default), whichever is
// larger (gcPercentFor).

// DefaultGCPercent is the garbage collector's target while a Server
// runs with a small live heap, unless GOGC is set.
const DefaultGCPercent = 400

// gcHeadroom bounds what the tuning adds: the heap between collections
// may exceed the live heap by at most this much, or by the live heap
// (Go's default target), whichever is larger. At 400 the excess is four
// times the live heap, so the tuning holds in full up to a 16 MiB live
// heap and fades out at 64 MiB.
const gcHeadroom = 64 << 20

// gcFollowEvery is how often the target is fitted to the live heap.
const gcFollowEvery = time.Second

// gcPercentFor is the target for a live heap of live bytes:
// DefaultGCPercent, lowered so that the heap's excess over live stays
// within gcHeadroom, but never below Go's default 100.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return DefaultGCPercent
	}
	p := uint64(gcHeadroom) * 100 / live
	return int(max(100, min(DefaultGCPercent, p)))
}

// gcTuning is the target Start set, and the one it replaced.
var gcTuning struct {
	mu   sync.Mutex
	set  bool // Start set a target and Stop has not put prev back
	prev int
	cur  int           // the target set last
	stop chan struct{} // closed by untuneGC: ends the follower (every)
}

// WithoutGCTuning starts CoreDNS without changing the garbage collector's
// target, as a stock CoreDNS runs: the benchmark kit's baseline.
func WithoutGCTuning() StartOption {
	return func(c *startConfig) { c.noGCTuning = true }
}

// tuneGC sets DefaultGCPercent unless GOGC is set or it is set already.
func tuneGC() {
	if os.Getenv("GOGC") != "" {
		return
	}
	gcTuning.mu.Lock()
	defer gcTuning.mu.Unlock()
	if gcTuning.set {
		return
	}
	gcTuning.cur = gcPercentFor(liveHeap())
	gcTuning.prev = debug.SetGCPercent(gcTuning.cur)
	gcTuning.set = true
	stop := make(chan struct{})
	gcTuning.stop = stop
	go every(gcFollowEvery, stop, func() { fitGC(stop) })
}

// fitGC sets the target gcPercentFor the live heap, unless the tuning
// that started the follower whose stop channel this is has ended.
func fitGC(stop <-chan struct{}) {
	gcTuning.mu.Lock()
	defer gcTuning.mu.Unlock()
	if p := gcPercentFor(liveHeap()); gcTuning.set && !isClosed(stop) && p != gcTuning.cur {
		debug.SetGCPercent(p)
		gcTuning.cur = p
	}
}

// liveHeap is the heap the last garbage collection left live, in bytes
// (0 before the first).
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// untuneGC puts back the target tuneGC replaced.
func untuneGC() {
	gcTuning.mu.Lock()
	defer gcTuning.mu.Unlock()
	if !gcTuning.set {
		return
	}
	close(gcTuning.stop)
	debug.SetGCPercent(gcTuning.prev)
	gcTuning.set = false
}
