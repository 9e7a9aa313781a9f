package corefile

import (
	"runtime/debug"
	"testing"
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
