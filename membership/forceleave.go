package membership

import (
	"errors"
	"fmt"
)

// ErrNotFailed is returned by ForceLeave for a member that is alive: only a
// failed member can be forced out (a live one would just refute it).
var ErrNotFailed = errors.New("member is not failed")

// ErrUnknownMember is returned for a name the table does not hold.
var ErrUnknownMember = errors.New("no such member")

// ForceLeave turns a failed member into left at once, here and, by
// gossip, on every other agent, so it stops being retried and its name is
// free; with prune it is removed from the tables entirely. A real rejoin
// by that node later still wins: it arrives as a new alive message.
func (a *Agent) ForceLeave(name string, prune bool) error {
	m, ok := a.table.LookupFold(name)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownMember, name)
	}
	if m.State == StateAlive || m.State == StateLeaving {
		return fmt.Errorf("%w: %s is %s; force-leave applies to failed members", ErrNotFailed, m.Name, m.State)
	}
	if m.State == StateLeft && !prune {
		return nil
	}
	a.applyForceLeave(m.Name, prune)
	return nil
}

// applyForceLeave records a force-leave (ours or a peer's) and passes it
// on once, the first time it changes something, so it spreads like any
// rumour and then dies out.
func (a *Agent) applyForceLeave(name string, prune bool) {
	m, ok := a.table.LookupFold(name)
	if !ok || m.State == StateAlive || m.State == StateLeaving {
		return
	}
	changed := false
	switch {
	case prune:
		changed = a.table.Remove(name)
	case m.State != StateLeft:
		changed = a.table.SetState(name, StateLeft)
	}
	if !changed {
		return
	}
	flag := "0"
	if prune {
		flag = "1"
	}
	a.log.Info("member forced to leave", "node", m.Name, "prune", prune)
	a.queue.QueueBroadcast(&broadcast{name: m.Name, msg: encodeMsg(msgForceLeave, m.Name, flag)})
}
