package corefile

import (
	"runtime"
	"sync"
	"time"
)

// The stack reserve.
//
// miekg/dns, under CoreDNS, answers every UDP query on a new goroutine.
// A goroutine starts with the runtime's starting stack size, which the
// runtime sets at each garbage collection to the average stack it scanned
// (the adaptive starting stack, on by default since Go 1.19). In an agent
// most goroutines are idle (gossip timers, listeners) and shallow, so the
// average, and the starting size, stay at 2–4 KiB — while a query's path
// (unpacking the message, the plugin chain, the lookup, packing and the
// write system call) needs about 8 KiB. Every query then grows its stack
// once or twice, and each growth copies the whole stack, walking every
// frame: measured at a third of the agent's CPU per query
// (docs/PERFORMANCE.md, "DNS as shipped").
//
// The reserve parks reserveGoroutines goroutines, each holding about
// reserveKiB of stack, for as long as a Server runs. They raise the
// scanned average so that new goroutines start with a stack the query
// path fits in. This changes nothing a Corefile means — every plugin
// still sees every query, on the goroutine the server gave it — and costs
// reserveGoroutines × 16 KiB of memory (2 MiB).
//
// The process's other goroutines dilute the average: each idle one uses
// about 1 KiB, and the runtime rounds the average up to a power of two,
// so the starting size stays at 8 KiB while the average is above 4 KiB.
// The base reserve keeps it there up to about 300 other goroutines;
// beyond that (1,000 HTTP checks, thousands of blocked HTTP reads) it
// would fall back to 4 KiB and then 2 KiB, and queries cost what they
// cost without a reserve. So the reserve follows the process: every
// reserveFollow it counts the goroutines and holds one deep goroutine
// (reserveDeepKiB, 32 KiB of memory) for every reserveDeepCovers others
// above what the base covers, up to reserveDeepMax (8 MiB), which covers
// about 2,500 others. Past that the reserve stops growing: holding the
// starting stack up for 10,000 blocked requests would cost some 3 KiB of
// stack per request, more than the request itself (docs/PERFORMANCE.md,
// "The stack reserve with many goroutines").
const (
	reserveGoroutines = 128
	reserveKiB        = 12

	reserveBaseCovers = 300
	reserveDeepKiB    = 28
	reserveDeepCovers = 8
	reserveDeepMax    = 256
	reserveFollow     = 5 * time.Second
)

// StartOption changes how Start starts CoreDNS.
type StartOption func(*startConfig)

type startConfig struct {
	noStackReserve bool
	noGCTuning     bool // gc.go
}

// WithoutStackReserve starts CoreDNS without the stack reserve, as a stock
// CoreDNS runs: the benchmark kit's baseline.
func WithoutStackReserve() StartOption {
	return func(c *startConfig) { c.noStackReserve = true }
}

// reserve is the process's stack reserve: held while a Server runs.
var reserve struct {
	mu   sync.Mutex
	stop chan struct{}   // nil when no reserve runs
	deep []chan struct{} // one stop channel per deep goroutine held
	done sync.WaitGroup
}

// startReserve parks the reserve's goroutines, unless they already run.
func startReserve() {
	reserve.mu.Lock()
	defer reserve.mu.Unlock()
	if reserve.stop != nil {
		return
	}
	stop := make(chan struct{})
	reserve.stop = stop
	holdStacks(reserveGoroutines, reserveKiB, stop)
	reserve.done.Add(1) // the follower, counted by adjustReserveLocked as one of the reserve's
	go func() {
		defer reserve.done.Done()
		every(reserveFollow, stop, adjustReserve)
	}()
	adjustReserveLocked() // a process that already runs many goroutines gets its deep part now
}

// adjustReserve holds as many deep goroutines as the process's other
// goroutines call for (see the reserve's comment above), starting or
// ending them.
func adjustReserve() {
	reserve.mu.Lock()
	defer reserve.mu.Unlock()
	if reserve.stop == nil {
		return
	}
	adjustReserveLocked()
}

// adjustReserveLocked is adjustReserve with reserve.mu held and the
// reserve running.
func adjustReserveLocked() {
	others := runtime.NumGoroutine() - reserveGoroutines - len(reserve.deep) - 1 // the follower
	want := min(max(0, others-reserveBaseCovers+reserveDeepCovers-1)/reserveDeepCovers, reserveDeepMax)
	for len(reserve.deep) < want {
		stop := make(chan struct{})
		reserve.deep = append(reserve.deep, stop)
		holdStacks(1, reserveDeepKiB, stop)
	}
	for len(reserve.deep) > want {
		last := len(reserve.deep) - 1
		close(reserve.deep[last])
		reserve.deep = reserve.deep[:last]
	}
}

// stopReserve lets the reserve's goroutines return and waits for them.
func stopReserve() {
	reserve.mu.Lock()
	defer reserve.mu.Unlock()
	if reserve.stop == nil {
		return
	}
	close(reserve.stop)
	for _, stop := range reserve.deep {
		close(stop)
	}
	reserve.deep = nil
	reserve.done.Wait()
	reserve.stop = nil
}

// holdStack uses about kib KiB of stack, calls ready there, and blocks
// until stop is closed.
//
//go:noinline
func holdStack(kib int, ready func(), stop <-chan struct{}) byte {
	var buf [1000]byte // about 1 KiB of frame per level
	if kib <= 1 {
		ready()
		<-stop
		return 0
	}
	buf[kib%len(buf)] = byte(kib)
	return holdStack(kib-1, ready, stop) + buf[kib%len(buf)]
}

// holdStacks starts n goroutines that each hold kib KiB of stack until
// stop is closed, and returns once all of them do: the next collection
// sees them at their depth.
func holdStacks(n, kib int, stop <-chan struct{}) {
	var ready sync.WaitGroup
	ready.Add(n)
	for range n {
		reserve.done.Add(1)
		go func() {
			defer reserve.done.Done()
			holdStack(kib, ready.Done, stop)
		}()
	}
	ready.Wait()
}
