package corefile

import (
	"sync"
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
// reserveGoroutines × 16 KiB of memory (2 MiB). A process with many more
// goroutines than the reserve (thousands of blocked HTTP requests, say)
// dilutes the average again; the starting size then falls back towards
// the runtime's own, and queries cost what they cost without it.
const (
	reserveGoroutines = 128
	reserveKiB        = 12
)

// StartOption changes how Start starts CoreDNS.
type StartOption func(*startConfig)

type startConfig struct {
	noStackReserve bool
}

// WithoutStackReserve starts CoreDNS without the stack reserve, as a stock
// CoreDNS runs: the benchmark kit's baseline.
func WithoutStackReserve() StartOption {
	return func(c *startConfig) { c.noStackReserve = true }
}

// reserve is the process's stack reserve: held while a Server runs.
var reserve struct {
	mu   sync.Mutex
	stop chan struct{} // nil when no reserve runs
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
	for range reserveGoroutines {
		reserve.done.Add(1)
		go func() {
			defer reserve.done.Done()
			holdStack(reserveKiB, stop)
		}()
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
	reserve.done.Wait()
	reserve.stop = nil
}

// holdStack uses about kib KiB of stack and blocks there until stop is
// closed.
//
//go:noinline
func holdStack(kib int, stop <-chan struct{}) byte {
	var buf [1000]byte // about 1 KiB of frame per level
	if kib <= 1 {
		<-stop
		return 0
	}
	buf[kib%len(buf)] = byte(kib)
	return holdStack(kib-1, stop) + buf[kib%len(buf)]
}
