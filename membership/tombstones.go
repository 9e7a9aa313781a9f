package membership

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Ordering leaves against late rumours.
//
// memberlist forgets a dead or left node after GossipToTheDeadTime (30 s
// with the LAN profile). From then on it takes any alive message about
// that node as news, including a stale one: a peer that was cut off when
// the node left, healing and pushing its old view. Serf guards against
// this with Lamport-timed intents; discod does the same with two fields
// every node gossips in its metadata:
//
//   - Run, a random ID new at every start of the agent, and
//   - Gen, a counter within the run that only the node itself raises.
//
// The table keeps a left member as a tombstone for TombstoneTimeout
// (24 h), with the Run and Gen it had when it left. An event about it with
// the same Run and a Gen no higher is stale and ignored: the run that left
// cannot come back. A restarted node has a new Run, so a real rejoin
// always wins.
//
// A node that is recorded as left while it is in fact alive (force-leave
// of a node that was only cut off) refutes it: agents send their
// tombstones in memberlist's push/pull exchange, and a node that finds its
// own current Run and Gen among them raises its Gen past the tombstone's
// and gossips it, which every agent accepts as newer. The same exchange
// spreads leaves that a partitioned side never heard.

// tombstoneStateVersion is the first byte of the push/pull state.
const tombstoneStateVersion = 1

// newRunID returns a fresh random run ID (16 hex digits).
func newRunID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on Linux; fall back to the clock.
		binary.BigEndian.PutUint64(b[:], uint64(time.Now().UnixNano()))
	}
	return hex.EncodeToString(b[:])
}

// stale reports whether news about a member, m, is older than the
// tombstone old: the same run, not a higher generation. Members from
// builds without run IDs are never stale (nothing to order them by).
func stale(old, m Member) bool {
	return old.State == StateLeft && m.State != StateLeft &&
		old.Run != "" && old.Run == m.Run && m.Gen <= old.Gen
}

// tombstone is one left member in the push/pull state.
type tombstone struct {
	Name, Run string
	Gen       uint64
}

// encodeTombstones returns the push/pull state: the left members with a
// run ID, in the length-prefixed string encoding of the node metadata.
func encodeTombstones(ms []Member) []byte {
	b := []byte{tombstoneStateVersion}
	for _, m := range ms {
		if m.State != StateLeft || m.Run == "" {
			continue
		}
		b = appendString(b, m.Name)
		b = appendString(b, m.Run)
		b = appendString(b, strconv.FormatUint(m.Gen, 10))
	}
	return b
}

// decodeTombstones parses encodeTombstones' output. A state it cannot
// read (another version, a truncated buffer) yields what was read so far.
func decodeTombstones(b []byte) []tombstone {
	if len(b) == 0 || b[0] != tombstoneStateVersion {
		return nil
	}
	b = b[1:]
	var out []tombstone
	for len(b) > 0 {
		name, ok1 := readString(&b)
		run, ok2 := readString(&b)
		gen, ok3 := readString(&b)
		if !ok1 || !ok2 || !ok3 {
			break
		}
		g, err := strconv.ParseUint(gen, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, tombstone{Name: name, Run: run, Gen: g})
	}
	return out
}

// localState is the delegate's LocalState: our tombstones.
func (a *Agent) localState(join bool) []byte {
	return encodeTombstones(a.table.Members())
}

// mergeState is the delegate's MergeRemoteState: a peer's tombstones.
// One about this very run is refuted; each other one is a leave intent
// that is done, applied like any other (applyIntent, leaving.go): a member
// we still hold as alive, leaving or failed in the same run, at the
// tombstone's generation or before, becomes left. Names compare without
// regard to case, as the table keys them.
func (a *Agent) mergeState(buf []byte, join bool) {
	for _, ts := range decodeTombstones(buf) {
		if strings.EqualFold(ts.Name, a.cfg.NodeName) {
			a.refute(ts) // never a tombstone on our own row: we know we are alive
			continue
		}
		a.applyIntent(leaveIntent{Name: ts.Name, Run: ts.Run, Gen: ts.Gen, Done: true}, "a peer's tombstone")
	}
}

// refute answers a tombstone about ourselves: when it names our current
// run at our generation or later, we raise our generation past it and
// gossip the change, so that every agent takes us as alive again.
func (a *Agent) refute(ts tombstone) {
	if a.left.Load() {
		return // we are leaving: the tombstone is right
	}
	var gen uint64
	if ok, _ := a.setMeta(func(m *nodeMeta) bool {
		if ts.Run != m.Run || ts.Gen < m.Gen {
			return false
		}
		m.Gen = ts.Gen + 1
		gen = m.Gen
		return true
	}); !ok {
		return
	}
	a.log.Warn("the cluster recorded this node as left while it is alive (a force-leave while it was cut off?); refuting", "gen", gen)
	// memberlist calls MergeRemoteState from its push/pull handler;
	// UpdateNode waits on gossip, so it runs on its own.
	go func() {
		if a.isShut() {
			return
		}
		if err := a.ml.UpdateNode(a.cfg.LeaveTimeout); err != nil {
			a.log.Debug("refutation did not finish spreading; gossip will carry it", "error", err)
		}
	}()
}
