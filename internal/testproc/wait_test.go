package testproc

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeT records Fatalf instead of stopping the goroutine.
type fakeT struct {
	testing.TB
	failed string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = strings.TrimSpace(format)
	_ = args
}

func TestWaitFor(t *testing.T) {
	t.Run("holds after a few polls", func(t *testing.T) {
		var n atomic.Int32
		WaitFor(t, 10*time.Second, "three polls", func() bool { return n.Add(1) >= 3 })
		if n.Load() != 3 {
			t.Fatalf("cond called %d times; want 3", n.Load())
		}
	})
	t.Run("times out", func(t *testing.T) {
		f := &fakeT{TB: t}
		calls := 0
		WaitFor(f, 30*time.Millisecond, "never", func() bool {
			calls++
			// Fatalf does not stop fakeT: end the loop ourselves once
			// it was called.
			return f.failed != ""
		})
		if !strings.Contains(f.failed, "timed out after") || calls < 2 {
			t.Fatalf("failed = %q after %d calls; want a time-out", f.failed, calls)
		}
	})
}
