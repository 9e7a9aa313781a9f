package swim

import (
	"testing"
	"time"
)

func TestFormulas(t *testing.T) {
	tests := []struct {
		name      string
		got, want any
	}{
		{"retransmit 16", retransmitLimit(4, 16), 8},
		{"retransmit 1000", retransmitLimit(4, 1000), 16},
		{"suspicion min 1000", suspicionMin(4, 1000, time.Second), 12 * time.Second},
		{"suspicion min 5", suspicionMin(4, 5, time.Second), 4 * time.Second},
		{"pushpull 32", pushPullScale(30*time.Second, 32), 30 * time.Second},
		{"pushpull 128", pushPullScale(30*time.Second, 128), 90 * time.Second},
		{"remaining at k", remaining(2, 2, 12*time.Second, 72*time.Second), 12 * time.Second},
		{"remaining at 0", remaining(0, 2, 12*time.Second, 72*time.Second), 72 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v; want %v", tt.got, tt.want)
			}
		})
	}
}

// TestEvents checks each simulated event reaches every member within
// bounds that follow from the settings alone.
func TestEvents(t *testing.T) {
	cfg := LAN()
	for _, n := range []int{16, 128} {
		sim := New(cfg, n, 1)
		horizon := 2 * time.Minute
		join := sim.Join(horizon)
		fail := sim.Fail(horizon)
		leave := sim.Leave(horizon)
		for _, c := range []struct {
			name   string
			r      Result
			lo, hi time.Duration
		}{
			{"join", join, 0, 5 * time.Second},
			// A failure takes at least the minimum suspicion timeout.
			{"fail", fail, suspicionMin(cfg.SuspicionMult, n, cfg.ProbeInterval), 40 * time.Second},
			{"leave", leave, 0, 10 * time.Second},
		} {
			if c.r.Reached != c.r.Of {
				t.Errorf("n=%d %s reached %d of %d members", n, c.name, c.r.Reached, c.r.Of)
			}
			if c.r.All < c.lo || c.r.All > c.hi {
				t.Errorf("n=%d %s seen everywhere after %v; want between %v and %v", n, c.name, c.r.All, c.lo, c.hi)
			}
			if c.r.Half > c.r.All {
				t.Errorf("n=%d %s: half %v after all %v", n, c.name, c.r.Half, c.r.All)
			}
		}
	}
}

func TestRepeatable(t *testing.T) {
	a := New(LAN(), 64, 7).Fail(time.Minute)
	b := New(LAN(), 64, 7).Fail(time.Minute)
	if a != b {
		t.Errorf("same seed gave %v and %v", a, b)
	}
}
