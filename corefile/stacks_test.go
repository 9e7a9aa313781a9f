package corefile

import (
	"runtime"
	"runtime/metrics"
	"testing"
)

// startingStack reads the runtime's starting stack size for new goroutines.
func startingStack(t *testing.T) uint64 {
	t.Helper()
	s := []metrics.Sample{{Name: "/gc/stack/starting-size:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		t.Skip("this Go runtime has no /gc/stack/starting-size:bytes metric")
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
