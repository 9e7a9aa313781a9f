package membership

import "testing"

// TestEventCounts: the table's change hook counts each event once, as it
// happens.
func TestEventCounts(t *testing.T) {
	var c eventCounters
	tb := NewTable()
	tb.SetOnChange(c.change)
	up := func(name string, s State) { tb.Upsert(Member{Name: name, State: s}) }
	up("a", StateAlive)
	up("a", StateAlive) // metadata update: no event
	up("b", StateAlive)
	up("b", StateFailed)
	up("b", StateAlive) // back: a second join
	up("a", StateLeaving)
	up("a", StateLeft) // the same leave
	up("c", StateFailed)
	up("c", StateLeft) // force-leave: a leave
	tb.Remove("c")
	want := EventCounts{Joins: 3, Leaves: 2, Failures: 2, Reaps: 1}
	if got := c.snapshot(); got != want {
		t.Errorf("counts = %+v; want %+v", got, want)
	}
}
