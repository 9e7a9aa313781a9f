package membership

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Telling a graceful leave from a failure: one leave intent.
//
// memberlist v0.7.0 does not tell its event delegate whether a node left
// or died: NotifyLeave passes a Node whose State it never fills in. So, as
// serf does, a leaving agent first says that it is leaving, in a leave
// intent, and only then sends memberlist's leave message. A peer records a
// leave event as a leave when it holds an intent of that node's run, and
// as a failure otherwise. Everything that says "this node is leaving"
// becomes a leaveIntent and goes through one decision, decideIntent:
//
//   - the intent message (msgLeaveIntent: name, run, generation), which the
//     leaver sends straight to every member it knows alive and queues for
//     gossip; each member that learns something from it gossips it on, so
//     it spreads like a rumour and then dies out;
//   - the tombstones of the push/pull exchange (tombstones.go), which are
//     intents whose leave is done;
//   - from builds of the previous release, the leaving flag in the node
//     metadata and the run-only intent message msgLeaving.
//
// An intent is ordered by the node's Run and Gen (tombstones.go): it is
// about one run, and only up to the generation it names, so a node that
// refutes a leave (a higher Gen) or restarts (a new Run) is never taken
// for leaving by an old intent. Gossip does not keep order, so an intent
// may arrive before the event it is about (before the node's join, or
// before the leave message) or after it. The agent therefore keeps every
// intent it learns for intentTTL in a buffer, and decides each event with
// it (classifyEvent): an alive event of a run with an intent is leaving,
// a leave event is left. An intent that arrives after the leave event
// turns the failure it caused into the leave it was. The buffer holds the
// latest generation per name and run, at most maxIntents entries.
//
// For one release this build still writes what the previous one reads:
// the leaving flag in the metadata, gossiped and waited for
// (ml.UpdateNode) before the leave message, and msgLeaving. Both are
// marked "previous release" below; the next release drops them.

// intentTTL is how long a leave intent is kept for the events it is about.
// A leave takes at most two LeaveTimeouts; serf keeps its intents five
// minutes.
const intentTTL = 5 * time.Minute

// maxIntents bounds the intent buffer; when it is full the oldest entry
// gives way.
const maxIntents = 4096

// anyGen is the generation of an intent that names none (msgLeaving of the
// previous release): it covers every generation of its run.
const anyGen = math.MaxUint64

// leaveIntent says that run Run of node Name, up to generation Gen, is
// leaving; Done says it has left (a tombstone).
type leaveIntent struct {
	Name, Run string
	Gen       uint64
	Done      bool
}

// covers reports whether the intent is about m's run at m's generation.
func (in leaveIntent) covers(m *Member) bool {
	return in.Run != "" && in.Run == m.Run && m.Gen <= in.Gen
}

// intents is the buffer of recent leave intents, keyed by lower-case name
// and run. It is read and written inside the table's UpdateNode, under the
// table's lock, so its own lock is always taken second.
type intents struct {
	mu sync.Mutex
	m  map[intentKey]heldIntent
}

type intentKey struct{ name, run string }

type heldIntent struct {
	leaveIntent
	at time.Time
}

// note records in and reports whether it is news: a name and run not held
// yet, a higher generation, or now done.
func (b *intents) note(in leaveIntent, now time.Time) bool {
	if in.Run == "" {
		return false
	}
	k := intentKey{strings.ToLower(in.Name), in.Run}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[intentKey]heldIntent{}
	}
	old, ok := b.m[k]
	if ok && now.Sub(old.at) < intentTTL && old.Gen >= in.Gen && (old.Done || !in.Done) {
		return false
	}
	if ok {
		in.Gen, in.Done = max(in.Gen, old.Gen), in.Done || old.Done
	}
	if !ok && len(b.m) >= maxIntents {
		b.evict(now)
	}
	b.m[k] = heldIntent{in, now}
	return true
}

// evict drops the expired entries, or the oldest one when none has
// expired. b.mu is held.
func (b *intents) evict(now time.Time) {
	var oldest intentKey
	var at time.Time
	for k, h := range b.m {
		if now.Sub(h.at) >= intentTTL {
			delete(b.m, k)
			continue
		}
		if at.IsZero() || h.at.Before(at) {
			oldest, at = k, h.at
		}
	}
	if len(b.m) >= maxIntents {
		delete(b.m, oldest)
	}
}

// lookup returns the unexpired intent that covers m, if any.
func (b *intents) lookup(m *Member, now time.Time) (leaveIntent, bool) {
	if m.Run == "" {
		return leaveIntent{}, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	h, ok := b.m[intentKey{strings.ToLower(m.Name), m.Run}]
	if !ok || now.Sub(h.at) >= intentTTL || !h.covers(m) {
		return leaveIntent{}, false
	}
	return h.leaveIntent, true
}

// classifyEvent decides, under the table's lock, the state an event gives
// m: m.State is alive for a join or update, failed for a leave event. A
// run with an intent (in the buffer, or applied already: old is leaving
// in the same run) is leaving, and its leave event is a leave.
func (a *Agent) classifyEvent(old *Member, m *Member) {
	_, intended := a.intents.lookup(m, time.Now())
	if !intended && old != nil && old.State == StateLeaving && old.Run != "" && old.Run == m.Run && m.Gen <= old.Gen {
		intended = true
	}
	if !intended {
		return
	}
	switch m.State {
	case StateAlive:
		m.State = StateLeaving
	case StateFailed:
		m.State = StateLeft
	}
}

// decideIntent is the UpdateNode decision for intent in about cur (nil
// when the table has no such member): of the run and generation the
// intent covers, an alive member becomes leaving (left when the intent is
// done), a leaving one left when it is done, and a failed one left — the
// failure was the leave, reached before its intent.
func decideIntent(cur *Member, in leaveIntent) (Member, bool) {
	if cur == nil || !in.covers(cur) {
		return Member{}, false
	}
	m := *cur
	when := time.Now()
	if in.Done {
		when = time.Time{} // a tombstone: the leave happened some time ago
	}
	switch {
	case cur.State == StateAlive && !in.Done:
		m.State, m.StateChanged = StateLeaving, when
	case cur.State == StateAlive, cur.State == StateLeaving && in.Done, cur.State == StateFailed:
		m.State, m.StateChanged = StateLeft, when
		if in.Gen != anyGen {
			m.Gen = max(m.Gen, in.Gen)
		}
	default:
		return Member{}, false
	}
	return m, true
}

// applyIntent records intent in, from how (for the log), and applies it
// to the member it is about. It reports whether it was news, which the
// caller gossips on. An intent about this node itself is ignored: our own
// row is ours to keep (a tombstone about us is refuted instead).
func (a *Agent) applyIntent(in leaveIntent, how string) bool {
	if strings.EqualFold(in.Name, a.cfg.NodeName) {
		return false
	}
	var news bool
	m, changed := a.table.UpdateNode(in.Name, func(cur *Member) (Member, bool) {
		// Tombstones about members we do not know are not buffered: the
		// peers that hold them send them at every push/pull.
		if cur != nil || !in.Done {
			news = a.intents.note(in, time.Now())
		}
		return decideIntent(cur, in)
	})
	if changed {
		a.log.Info("member "+m.State.String(), "node", m.Name, "learned_from", how)
	}
	return news || changed
}

// handleLeaveIntent is the handler of msgLeaveIntent: it applies the
// intent and, when it was news, gossips it on.
func (a *Agent) handleLeaveIntent(name, run, gen string) {
	g, err := strconv.ParseUint(gen, 10, 64)
	if err != nil {
		a.log.Warn("ignoring a leave intent with an unreadable generation", "node", name, "gen", gen)
		return
	}
	in := leaveIntent{Name: name, Run: run, Gen: g}
	if a.applyIntent(in, "its leave intent") {
		a.queue.QueueBroadcast(&broadcast{name: strings.ToLower(name), msg: encodeLeaveIntent(in)})
	}
}

// handleLegacyLeaving is the handler of msgLeaving, which the previous
// release sends: an intent about a run at any generation. It is not
// gossiped on (the previous release does not either).
func (a *Agent) handleLegacyLeaving(name, run string) {
	a.applyIntent(leaveIntent{Name: name, Run: run, Gen: anyGen}, "its leave intent")
}

// encodeLeaveIntent returns the msgLeaveIntent message for in.
func encodeLeaveIntent(in leaveIntent) []byte {
	return encodeMsg(msgLeaveIntent, in.Name, in.Run, strconv.FormatUint(in.Gen, 10))
}

// announceLeaving sends this run's leave intent: queued for gossip, and
// straight to every other alive member, one UDP packet each, best effort
// (measured: gossip alone lets a member on a loaded host get the leave
// message first; see docs/PERFORMANCE.md).
func (a *Agent) announceLeaving() {
	a.metaMu.Lock()
	in := leaveIntent{Name: a.cfg.NodeName, Run: a.meta.Run, Gen: a.meta.Gen}
	a.metaMu.Unlock()
	msg := encodeLeaveIntent(in)
	a.queue.QueueBroadcast(&broadcast{name: strings.ToLower(in.Name), msg: msg})
	// Previous release: it reads msgLeaving only. Remove next release.
	legacy := encodeMsg(msgLeaving, in.Name, in.Run)
	for _, n := range a.peers() { // peers.go
		for _, b := range [][]byte{msg, legacy} {
			if err := a.ml.SendBestEffort(n, b); err != nil {
				a.log.Debug("could not send the leave intent", "node", n.Name, "error", err)
			}
		}
	}
}

// metaIntent returns the intent a node's metadata carries: the previous
// release's leaving flag, about the run and generation it gossips.
func metaIntent(n *memberlist.Node, meta nodeMeta) (leaveIntent, bool) {
	if !meta.Leaving || meta.Run == "" {
		return leaveIntent{}, false
	}
	return leaveIntent{Name: n.Name, Run: meta.Run, Gen: meta.Gen}, true
}
