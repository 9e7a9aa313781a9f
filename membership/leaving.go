package membership

import (
	"strings"
	"time"

	"github.com/hashicorp/memberlist"
)

// Telling a graceful leave from a failure.
//
// memberlist v0.7.0 does not tell its event delegate whether a node left
// or died, so a leaving agent first gossips a metadata update with the
// leaving flag, waits until that update has been sent, and only then sends
// memberlist's leave message (Agent.Leave). Both spread by gossip, and on
// a loaded host a member can get the leave before the update and record a
// failure (measured: one member of 64 under a CPU load, see
// docs/PERFORMANCE.md). So the leaving agent also sends its intent straight
// to every member it knows alive, one UDP packet each, before the leave
// message: a member that has it records the leave as left whichever order
// the two gossip messages reach it in. A member that misses both is put
// right by the tombstone exchange (tombstones.go).

// announceLeaving sends the leaving intent of this run to every other
// alive member, best effort.
func (a *Agent) announceLeaving() {
	msg := encodeMsg(msgLeaving, a.cfg.NodeName, a.runID())
	for _, n := range a.ml.Members() {
		if n.Name == a.cfg.NodeName {
			continue
		}
		if err := a.ml.SendBestEffort(n, msg); err != nil {
			a.log.Debug("could not send the leave intent", "node", n.Name, "error", err)
		}
	}
}

// applyLeaving records that the run run of node name (in any case) is
// leaving. An intent about another run (an old packet, or a node
// restarted since) is ignored, and so is one about this node: only the
// node itself decides that it leaves (its own leaving flag, Leave), so a
// peer's message naming it is hostile or confused. The check and the
// write are one UpdateNode.
func (a *Agent) applyLeaving(name, run string) {
	if strings.EqualFold(name, a.cfg.NodeName) {
		a.log.Warn("ignoring a peer's leave intent about this node", "node", name)
		return
	}
	m, changed := a.table.UpdateNode(name, func(cur *Member) (Member, bool) {
		if cur == nil || cur.Run == "" || cur.Run != run || cur.State != StateAlive {
			return Member{}, false
		}
		m := *cur
		m.State, m.StateChanged = StateLeaving, time.Now()
		return m, true
	})
	if changed {
		a.log.Info("member leaving", "node", m.Name, "learned_from", "its leave intent")
	}
}

// leftNotFailed reports whether a leave event about n, whose last
// metadata has no leaving flag, is a graceful leave after all: the table
// already holds it as leaving in the same run (from its intent).
func (a *Agent) leftNotFailed(old Member, n *memberlist.Node, run string) bool {
	return old.State == StateLeaving && old.Run != "" && old.Run == run && old.Name == n.Name
}

// runID returns this run's ID, gossiped in the node metadata.
func (a *Agent) runID() string {
	a.metaMu.Lock()
	defer a.metaMu.Unlock()
	return a.meta.Run
}
