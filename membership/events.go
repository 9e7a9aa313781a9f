package membership

import (
	"net"
	"net/netip"
	"time"

	"github.com/hashicorp/memberlist"
)

// events is memberlist's EventDelegate. memberlist calls it with its node
// lock held, one event at a time, so it copies the node into a Member and
// writes the table without blocking.
type events struct{ a *Agent }

func (e *events) NotifyJoin(n *memberlist.Node)   { e.apply(n, StateAlive); e.a.recordsJoined(n) }
func (e *events) NotifyUpdate(n *memberlist.Node) { e.apply(n, StateAlive) }

// NotifyLeave reports a leave or a failure: memberlist's own left/dead
// distinction is not visible here (it passes a Node whose State field it
// never fills in), so the event is a failure unless the node's leave
// intent is on record (leaving.go).
func (e *events) NotifyLeave(n *memberlist.Node) { e.apply(n, StateFailed) }

// apply records n: alive for a join or update, failed for a leave event,
// unless the node's leave intent says leaving or left. The decision
// (decideApply) and the write are one atomic UpdateNode; logging and
// counting follow from its outcome.
func (e *events) apply(n *memberlist.Node, s State) {
	meta, err := decodeMeta(n.Meta)
	if err != nil {
		e.a.log.Warn("ignoring unreadable node metadata", "node", n.Name, "error", err)
	}
	addr, _ := netip.AddrFromSlice(n.Addr)
	m := Member{
		Name:        n.Name,
		ID:          meta.ID,
		Addr:        addr.Unmap(),
		Port:        n.Port,
		Datacenter:  meta.Datacenter,
		Role:        meta.Role,
		Build:       meta.Build,
		Meta:        meta.Meta,
		DNSAddr:     meta.DNSAddr,
		HTTPAddr:    meta.HTTPAddr,
		WANAddr:     meta.WANAddr,
		Datacenters: meta.Datacenters,
		Run:         meta.Run,
		Gen:         meta.Gen,
		Maintenance: meta.Maintenance,
		State:       s,
		ProtocolMin: n.PMin, ProtocolMax: n.PMax, ProtocolCur: n.PCur,
		DelegateMin: n.DMin, DelegateMax: n.DMax, DelegateCur: n.DCur,
	}
	if m.Role == "" {
		m.Role = RoleClient
	}
	var (
		old     Member
		known   bool
		outcome applyOutcome
	)
	e.a.table.UpdateNode(n.Name, func(cur *Member) (Member, bool) {
		if known = cur != nil; known {
			old = *cur
		}
		outcome = e.a.decideApply(cur, n, meta, &m)
		return m, outcome == applyWrite
	})
	switch outcome {
	case applyConflict:
		// memberlist compares names with case; DNS does not. Two live nodes
		// whose names differ only in case would answer for one DNS name, so
		// the one known first keeps it.
		e.a.counters.conflicts.Add(1)
		e.a.log.Error("node name conflict: names differ only in case; the node already known keeps the name",
			"node", old.Name, "other", n.Name, "known_addr", old.Addr.String(), "other_addr", m.Addr.String())
	case applyStale:
		// A tombstone outranks what this run of the node said before it
		// left: the node itself refutes a leave with a higher generation,
		// and a restarted node has a new run ID (tombstones.go).
		e.a.log.Debug("ignoring a stale rumour about a node that left", "node", n.Name, "state", m.State.String(), "run", m.Run, "gen", m.Gen)
	case applyWrite:
		if !known || old.State != m.State {
			e.a.log.Info("member "+m.State.String(), "node", n.Name, "addr", net.JoinHostPort(m.Addr.String(), itoa(m.Port)))
		}
	}
}

// applyOutcome is what apply decided about an event.
type applyOutcome uint8

const (
	applyWrite    applyOutcome = iota // record the event
	applyConflict                     // another live node holds the name in another case
	applyStale                        // the event is older than the node's tombstone
)

// decideApply decides what an event about n does to old, the member the
// table holds (nil for none); m is the member the event describes, and its
// leave intent may turn it into leaving or left (classifyEvent). meta is
// n's decoded metadata, whose leaving flag (the previous release's intent)
// is recorded as an intent first. It runs inside the table's UpdateNode,
// under its lock, so the decision and the write are one step.
func (a *Agent) decideApply(old *Member, n *memberlist.Node, meta nodeMeta, m *Member) applyOutcome {
	if in, ok := metaIntent(n, meta); ok {
		a.intents.note(in, time.Now()) // our own too: our metadata is the truth about us
	}
	a.classifyEvent(old, m)
	keepDatacenters(old, m) // datacenters.go
	if old == nil {
		return applyWrite
	}
	if old.Name != n.Name && old.State == StateAlive && old.Addr != m.Addr {
		return applyConflict
	}
	if stale(*old, *m) {
		return applyStale
	}
	return applyWrite
}

// conflicts is memberlist's ConflictDelegate: a node announced a name
// that a live node at another address already holds. memberlist keeps the
// incumbent and ignores the newcomer; when the name is ours, the agent
// records it so that a Join in progress fails with both addresses named.
type conflicts struct{ a *Agent }

func (c *conflicts) NotifyConflict(existing, other *memberlist.Node) {
	c.a.counters.conflicts.Add(1)
	c.a.log.Error("node name conflict: names must be unique; the node already known keeps the name",
		"node", existing.Name, "known_addr", existing.Address(), "other_addr", other.Address())
	if existing.Name == c.a.cfg.NodeName {
		c.a.noteConflict(other.Address())
		return
	}
	c.a.claims.note(existing.Name, other.Address(), time.Now()) // reclaim.go
}
