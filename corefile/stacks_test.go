package corefile

import (
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
)

// startingStack reads the runtime's starting stack size for new goroutines.
func startingStack(t *testing.T) uint64 {
	t.Helper()
	s := []metrics.Sample{{Name: "/gc/stack/starting-size:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		// Go 1.26, which go.mod requires, has it; an older toolchain is
		// not this project's platform.
		t.Fatal("this Go runtime has no /gc/stack/starting-size:bytes metric (Go ≥ 1.19 has it)")
	}
	return s[0].Value.Uint64()
}

// TestStackReserve checks that the reserve raises the starting stack of
// new goroutines to a size the query path fits in, that starting it twice
// is harmless, and that stopping it ends its goroutines.
func TestStackReserve(t *testing.T) {
	before := runtime.NumGoroutine()
	startReserve()
	startReserve()
	runtime.GC() // the runtime adapts the starting size at each collection
	if got := startingStack(t); got < 8<<10 {
		t.Errorf("starting stack with the reserve = %d bytes; want at least 8 KiB", got)
	}
	stopReserve()
	stopReserve() // stopReserve waits until every reserve goroutine has returned
	if n := runtime.NumGoroutine() - before; n >= reserveGoroutines {
		t.Errorf("%d goroutines more after stopReserve; want the reserve's gone", n)
	}
}

// TestStartOptionsReserve checks that Start holds the reserve while the
// server runs, unless WithoutStackReserve, and Stop lets it go.
func TestStartOptionsReserve(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []StartOption
		want bool
	}{
		{"default", nil, true},
		{"without", []StartOption{WithoutStackReserve()}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start("stacks-test", []byte("example.:0 {\n    bind 127.0.0.1\n    whoami\n}\n"), tt.opts...)
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			reserve.mu.Lock()
			got := reserve.stop != nil
			reserve.mu.Unlock()
			if err := s.Stop(); err != nil {
				t.Errorf("Stop: %v", err)
			}
			if got != tt.want {
				t.Errorf("reserve held while running = %v; want %v", got, tt.want)
			}
			reserve.mu.Lock()
			defer reserve.mu.Unlock()
			if reserve.stop != nil {
				t.Error("the reserve is still held after Stop")
			}
		})
	}
}

// TestStackReserveDilution measures what the reserve is worth in a
// process with many idle goroutines of its own (parked blocking HTTP
// reads, check runners): the starting stack with the reserve, once it
// has followed, and N shallow parked goroutines, for N up to 10,000. It
// checks that the starting stack stays at 8 KiB or more up to 2,000 (the
// deep part covers about 2,500); the figures it logs are in
// docs/PERFORMANCE.md ("The stack reserve with many goroutines"):
//
//	go test -count=1 -run TestStackReserveDilution -v ./corefile/
func TestStackReserveDilution(t *testing.T) {
	startReserve()
	defer stopReserve()
	for _, n := range []int{0, 100, 500, 1000, 2000, 3000, 10000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range n {
				wg.Add(1)
				go func() { defer wg.Done(); <-stop }()
			}
			adjustReserve() // what the follower does every reserveFollow
			reserve.mu.Lock()
			deep := len(reserve.deep)
			reserve.mu.Unlock()
			runtime.GC()
			got := startingStack(t)
			close(stop)
			wg.Wait()
			t.Logf("reserve of %d + %d deep, %d parked goroutines: starting stack %d KiB", reserveGoroutines, deep, n, got>>10)
			if n <= 2000 && got < 8<<10 {
				t.Errorf("starting stack with %d parked goroutines = %d bytes; want at least 8 KiB", n, got)
			}
		})
	}
}
