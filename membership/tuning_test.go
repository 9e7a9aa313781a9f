package membership

import (
	"strings"
	"testing"
	"time"
)

// TestTuning: the profile's timing with single settings overridden, and a
// negative setting refused.
func TestTuning(t *testing.T) {
	c := testConfig(t, "tuned", "127.0.1.77")
	c.Profile = "lan"
	c.Tuning = Tuning{ProbeInterval: 500 * time.Millisecond, ProbeTimeout: 300 * time.Millisecond}
	a := newAgent(t, c)
	want := Tuning{GossipNodes: 3, GossipInterval: 200 * time.Millisecond, ProbeInterval: 500 * time.Millisecond,
		ProbeTimeout: 300 * time.Millisecond, SuspicionMult: 4, RetransmitMult: 4}
	if got := a.Timing(); got != want {
		t.Errorf("timing = %+v; want the LAN profile with the two overrides, %+v", got, want)
	}
	c = testConfig(t, "bad", "127.0.1.78")
	c.Tuning.SuspicionMult = -1
	if _, err := New(c); err == nil || !strings.Contains(err.Error(), "suspicion_mult") {
		t.Errorf("negative suspicion_mult: %v; want an error naming it", err)
	}
}
