package membership

import (
	"strings"

	"github.com/hashicorp/memberlist"
)

// Send targets for point-to-point messages (SendReliable, SendBestEffort).
// They are built from the member table, never taken from ml.Members():
// memberlist hands out pointers to its own Node values and rewrites their
// Addr and Port under its node lock when a peer restarts or refutes a
// suspicion (state.go aliveNode), so reading them outside that lock is a
// data race.

// peers returns a send target for every other alive member.
func (a *Agent) peers() []*memberlist.Node {
	var out []*memberlist.Node
	a.table.Each(func(m *Member) {
		if m.State == StateAlive && m.Addr.IsValid() && !strings.EqualFold(m.Name, a.cfg.NodeName) {
			out = append(out, sendTarget(m))
		}
	})
	return out
}

// peer returns the send target for the alive member called name (without
// regard to case), or nil.
func (a *Agent) peer(name string) *memberlist.Node {
	m, ok := a.table.LookupFold(name)
	if !ok || m.State != StateAlive || !m.Addr.IsValid() {
		return nil
	}
	return sendTarget(&m)
}

// sendTarget is the memberlist.Node that messages to m are addressed to.
func sendTarget(m *Member) *memberlist.Node {
	return &memberlist.Node{Name: m.Name, Addr: m.Addr.AsSlice(), Port: m.Port}
}
