package membership

import (
	"fmt"
	"time"

	"github.com/hashicorp/memberlist"
)

// Tuning overrides single timing settings of the gossip profile (Consul's
// gossip_lan and gossip_wan blocks). A zero field keeps the profile's
// value. The defaults below are memberlist's, for the lan / wan / local
// profiles.
type Tuning struct {
	// GossipNodes is how many random members each gossip round sends to
	// (3 / 4 / 3). More spreads news faster, for more packets per round.
	GossipNodes int
	// GossipInterval is the time between gossip rounds (200 ms / 500 ms /
	// 100 ms). Shorter spreads news faster, for more packets per second.
	GossipInterval time.Duration
	// ProbeInterval is the time between failure-detector probes of one
	// random member (1 s / 5 s / 1 s). Shorter detects failures sooner, for
	// more probe traffic and more false alarms on a loaded host.
	ProbeInterval time.Duration
	// ProbeTimeout is how long a probe waits for its ack before asking
	// other members to probe indirectly (500 ms / 3 s / 200 ms). It must
	// exceed the network's round-trip time, tail included.
	ProbeTimeout time.Duration
	// SuspicionMult scales how long a suspected member has to refute the
	// suspicion before it is declared failed: SuspicionMult × log10(N) ×
	// ProbeInterval (4 / 6 / 3). Lower detects failures sooner and raises
	// false failures of slow but live members.
	SuspicionMult int
	// RetransmitMult scales how many times a message is gossiped:
	// RetransmitMult × log10(N) (4 / 4 / 2). Higher makes delivery more
	// certain on a lossy network, for more traffic.
	RetransmitMult int
}

// validate refuses negative values.
func (t Tuning) validate() error {
	for _, f := range []struct {
		name string
		bad  bool
	}{
		{"gossip_nodes", t.GossipNodes < 0}, {"gossip_interval", t.GossipInterval < 0},
		{"probe_interval", t.ProbeInterval < 0}, {"probe_timeout", t.ProbeTimeout < 0},
		{"suspicion_mult", t.SuspicionMult < 0}, {"retransmit_mult", t.RetransmitMult < 0},
	} {
		if f.bad {
			return fmt.Errorf("gossip tuning %s must not be negative", f.name)
		}
	}
	return nil
}

// apply writes the non-zero fields of t into mc.
func (t Tuning) apply(mc *memberlist.Config) {
	if t.GossipNodes > 0 {
		mc.GossipNodes = t.GossipNodes
	}
	if t.GossipInterval > 0 {
		mc.GossipInterval = t.GossipInterval
	}
	if t.ProbeInterval > 0 {
		mc.ProbeInterval = t.ProbeInterval
	}
	if t.ProbeTimeout > 0 {
		mc.ProbeTimeout = t.ProbeTimeout
	}
	if t.SuspicionMult > 0 {
		mc.SuspicionMult = t.SuspicionMult
	}
	if t.RetransmitMult > 0 {
		mc.RetransmitMult = t.RetransmitMult
	}
}

// tuningOf returns the timing settings mc runs with, after the profile
// and the overrides.
func tuningOf(mc *memberlist.Config) Tuning {
	return Tuning{
		GossipNodes: mc.GossipNodes, GossipInterval: mc.GossipInterval,
		ProbeInterval: mc.ProbeInterval, ProbeTimeout: mc.ProbeTimeout,
		SuspicionMult: mc.SuspicionMult, RetransmitMult: mc.RetransmitMult,
	}
}

// Timing returns the gossip timing the agent runs with: its profile's
// values with Config.Tuning's overrides applied.
func (a *Agent) Timing() Tuning { return a.timing }
