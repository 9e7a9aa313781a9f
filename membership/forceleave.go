package membership

import (
	"errors"
	"fmt"
	"time"
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
	m, found, _ := a.applyForceLeave(name, prune)
	if !found {
		return fmt.Errorf("%w: %q", ErrUnknownMember, name)
	}
	if forceLeaveRefused(m) {
		return fmt.Errorf("%w: %s is %s; force-leave applies to failed members", ErrNotFailed, m.Name, m.State)
	}
	return nil
}

// forceLeaveRefused reports whether a force-leave must leave m alone: a
// live member would only refute it.
func forceLeaveRefused(m Member) bool { return m.State == StateAlive || m.State == StateLeaving }

// applyForceLeave records a force-leave (ours or a peer's) of the member
// called name, in any case, and passes it on once, the first time it
// changes something, so it spreads like any rumour and then dies out. The
// check of the member's state and the write are one step of the table
// (UpdateNode, or RemoveNodeIf to prune). It returns the member as it was
// before, whether there was one, and whether anything changed.
func (a *Agent) applyForceLeave(name string, prune bool) (m Member, found, changed bool) {
	if prune {
		m, changed = a.table.RemoveNodeIf(name, func(cur Member) bool {
			found = true
			return forceLeaveRefused(cur)
		})
	} else {
		_, changed = a.table.UpdateNode(name, func(cur *Member) (Member, bool) {
			if found = cur != nil; !found {
				return Member{}, false
			}
			m = *cur
			if forceLeaveRefused(m) || m.State == StateLeft {
				return Member{}, false
			}
			left := m
			left.State, left.StateChanged = StateLeft, time.Now()
			return left, true
		})
	}
	if !changed {
		return m, found, false
	}
	flag := "0"
	if prune {
		flag = "1"
	}
	a.log.Info("member forced to leave", "node", m.Name, "prune", prune)
	a.queue.QueueBroadcast(&broadcast{name: m.Name, msg: encodeMsg(msgForceLeave, m.Name, flag)})
	return m, true, true
}
