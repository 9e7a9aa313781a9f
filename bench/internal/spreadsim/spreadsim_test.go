package spreadsim

import (
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name string
		cfg  func() Config
		sc   Scenario
		// wantConverged: a partition must heal within the run.
		wantConverged bool
	}{
		{"single changes", func() Config { return Defaults(16) }, Scenario{Rate: 5, Duration: 2 * time.Second, Horizon: time.Minute, Seed: 1}, false},
		{"loss repaired", func() Config { c := Defaults(32); c.Loss = 0.05; return c }, Scenario{Rate: 50, Duration: 2 * time.Second, Horizon: 2 * time.Minute, Seed: 2}, false},
		{"partition heals", func() Config { return Defaults(40) }, Scenario{Rate: 20, Duration: 5 * time.Second, Partitioned: 10, PartStart: time.Second, PartFor: 4 * time.Second, Horizon: 2 * time.Minute, Seed: 3}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Run(tt.cfg(), tt.sc)
			if r.Changes == 0 || r.Missed != 0 || len(r.All) != r.Changes {
				t.Errorf("changes %d, missed %d, timed %d; want every change everywhere", r.Changes, r.Missed, len(r.All))
			}
			if tt.wantConverged && r.Converged < 0 {
				t.Error("the partition did not heal within the run")
			}
			if r.BytesPerNode <= 0 {
				t.Errorf("bytes per node = %v; want some", r.BytesPerNode)
			}
		})
	}
}

func TestPeriods(t *testing.T) {
	tests := []struct {
		n            int
		digest, push time.Duration
	}{
		{16, 10 * time.Second, 30 * time.Second},
		{300, 10 * time.Second, 150 * time.Second},
		{1000, 33333333333, 180 * time.Second},
	}
	for _, tt := range tests {
		c := Defaults(tt.n)
		if got := c.DigestPeriod(); got != tt.digest {
			t.Errorf("DigestPeriod(%d) = %v; want %v", tt.n, got, tt.digest)
		}
		if got := c.PushPullPeriod(); got != tt.push {
			t.Errorf("PushPullPeriod(%d) = %v; want %v", tt.n, got, tt.push)
		}
	}
}

// TestExchangeAloneHeals: with no digests, tail digests nor push/pull, the
// peer exchange alone repairs a partition; without it nothing does.
func TestExchangeAloneHeals(t *testing.T) {
	tests := []struct {
		name     string
		exchange time.Duration
		heals    bool
	}{
		{"with the exchange", 10 * time.Second, true},
		{"without", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Defaults(100)
			c.DigestEvery, c.PushPullInterval, c.TailDigest, c.ExchangeEvery = time.Hour, 0, 0, tt.exchange
			r := Run(c, Scenario{Rate: 20, Duration: 5 * time.Second, Partitioned: 10, PartStart: time.Second, PartFor: 3 * time.Second, Horizon: 2 * time.Minute, Seed: 4})
			if healed := r.Converged >= 0; healed != tt.heals {
				t.Errorf("healed %v (after %v, %d exchanges); want %v", healed, r.Converged, r.Exchanges, tt.heals)
			}
		})
	}
}
