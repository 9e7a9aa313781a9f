package corefile

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// gcPercent returns the garbage collector's current target.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestGCTuning checks that Start sets DefaultGCPercent while the server
// runs and Stop puts the previous target back; that GOGC in the
// environment wins; and that WithoutGCTuning leaves the target alone.
func TestGCTuning(t *testing.T) {
	const corefile = "example.:0 {\n    bind 127.0.0.1\n    whoami\n}\n"
	for _, tt := range []struct {
		name string
		gogc string
		opts []StartOption
		want int
	}{
		{"default", "", nil, DefaultGCPercent},
		{"GOGC set", "150", nil, 150},
		{"without", "", []StartOption{WithoutGCTuning()}, 150},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOGC", tt.gogc)
			prev := debug.SetGCPercent(150) // what the process ran with before
			defer debug.SetGCPercent(prev)
			s, err := Start("gc-test", []byte(corefile), tt.opts...)
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			got := gcPercent()
			if err := s.Stop(); err != nil {
				t.Errorf("Stop: %v", err)
			}
			if got != tt.want {
				t.Errorf("GC target while running = %d; want %d", got, tt.want)
			}
			if after := gcPercent(); after != 150 {
				t.Errorf("GC target after Stop = %d; want the previous 150", after)
			}
		})
	}
}

// TestGCPercentFor checks the target's fit to the live heap: the full
// DefaultGCPercent for a small heap, an excess over the live heap of at
// most gcHeadroom beyond that, and never below Go's default 100.
func TestGCPercentFor(t *testing.T) {
	const mib = 1 << 20
	for _, tt := range []struct {
		name string
		live uint64
		want int
	}{
		{"before the first collection", 0, DefaultGCPercent},
		{"an agent's 5 MiB", 5 * mib, DefaultGCPercent},
		{"16 MiB, where the cap begins", 16 * mib, DefaultGCPercent},
		{"32 MiB", 32 * mib, 200},
		{"64 MiB, Go's default", 64 * mib, 100},
		{"1 GiB, never below the default", 1024 * mib, 100},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := gcPercentFor(tt.live)
			if got != tt.want {
				t.Errorf("gcPercentFor(%d MiB) = %d; want %d", tt.live/mib, got, tt.want)
			}
			if excess := tt.live * uint64(got) / 100; tt.live > 0 && excess > max(uint64(gcHeadroom), tt.live) {
				t.Errorf("gcPercentFor(%d MiB) lets the heap exceed its live size by %d MiB; want at most %d MiB or the live heap", tt.live/mib, excess/mib, gcHeadroom/mib)
			}
		})
	}
}

// TestGCFollowsHeap checks that the target follows the live heap while a
// server runs: a large live heap lowers it within a few gcFollowEvery.
func TestGCFollowsHeap(t *testing.T) {
	t.Setenv("GOGC", "")
	const corefile = "example.:0 {\n    bind 127.0.0.1\n    whoami\n}\n"
	s, err := Start("gc-follow-test", []byte(corefile))
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	}()
	if got := gcPercent(); got != DefaultGCPercent {
		t.Fatalf("GC target with a small heap = %d; want %d", got, DefaultGCPercent)
	}
	ballast := make([]byte, 2*gcHeadroom) // live: twice the headroom
	runtime.GC()
	deadline := time.Now().Add(10 * gcFollowEvery)
	for gcPercent() != 100 && time.Now().Before(deadline) {
		time.Sleep(gcFollowEvery / 10)
	}
	if got := gcPercent(); got != 100 {
		t.Errorf("GC target with a %d MiB live heap = %d; want 100", len(ballast)>>20, got)
	}
	runtime.KeepAlive(ballast)
}
