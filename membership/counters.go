package membership

import "sync/atomic"

// EventCounts are the membership events an agent has observed since it
// started, counted as its member table changes (not derived later from
// snapshots, so a member that fails and comes back between two reads is
// counted twice).
type EventCounts struct {
	// Joins counts members becoming alive: first seen, or back from
	// failed or left.
	Joins uint64
	// Leaves counts graceful leaves (alive → leaving → left is one) and
	// force-leaves.
	Leaves uint64
	// Failures counts members becoming failed.
	Failures uint64
	// Reaps counts members removed from the table (reaped after their
	// timeout, or pruned by force-leave -prune).
	Reaps uint64
	// Conflicts counts node name conflicts: a node announcing a name a
	// live node at another address holds (or one differing only in case).
	Conflicts uint64
}

// eventCounters is the live form of EventCounts. Its counters are atomic:
// the table calls change on memberlist's event path, which must not block.
type eventCounters struct {
	joins, leaves, failures, reaps, conflicts atomic.Uint64
}

// change is the table's onChange hook: it counts the event of a member
// moving from state from to state to (StateNone: absent).
func (c *eventCounters) change(_ string, from, to State) {
	if from == to {
		return // a metadata update
	}
	switch to {
	case StateAlive:
		c.joins.Add(1)
	case StateLeaving:
		c.leaves.Add(1)
	case StateLeft:
		if from != StateLeaving { // alive → leaving → left is one leave
			c.leaves.Add(1)
		}
	case StateFailed:
		c.failures.Add(1)
	case StateNone:
		c.reaps.Add(1)
	}
}

func (c *eventCounters) snapshot() EventCounts {
	return EventCounts{
		Joins: c.joins.Load(), Leaves: c.leaves.Load(), Failures: c.failures.Load(),
		Reaps: c.reaps.Load(), Conflicts: c.conflicts.Load(),
	}
}

// EventCounts returns the membership events the agent has observed since
// it started.
func (a *Agent) EventCounts() EventCounts { return a.counters.snapshot() }
