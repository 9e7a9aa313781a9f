package corefile

import (
	"os"
	"runtime/debug"
	"sync"
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

// DefaultGCPercent is the garbage collector's target while a Server
// runs, unless GOGC is set.
const DefaultGCPercent = 400

// gcTuning is the target Start set, and the one it replaced.
var gcTuning struct {
	mu   sync.Mutex
	set  bool // Start set DefaultGCPercent and Stop has not put prev back
	prev int
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
	gcTuning.prev = debug.SetGCPercent(DefaultGCPercent)
	gcTuning.set = true
}

// untuneGC puts back the target tuneGC replaced.
func untuneGC() {
	gcTuning.mu.Lock()
	defer gcTuning.mu.Unlock()
	if !gcTuning.set {
		return
	}
	debug.SetGCPercent(gcTuning.prev)
	gcTuning.set = false
}
