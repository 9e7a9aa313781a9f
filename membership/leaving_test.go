package membership

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLeaveIntentBeforeFlag: a member that gets a node's direct leave
// intent but not its leaving flag records the leave message that follows
// as a leave, not a failure; an intent of another run changes nothing.
func TestLeaveIntentBeforeFlag(t *testing.T) {
	one := newAgent(t, testConfig(t, "one", "127.0.1.79"))
	two := newAgent(t, testConfig(t, "two", "127.0.1.80"))
	if _, err := two.Join([]string{joinAddr(one)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "two alive on one", func() bool { return state(one, "two") == StateAlive })
	m, _ := one.Table().Lookup("two")

	one.handleMsg(encodeMsg(msgLeaving, "two", "another-run"))
	if s := state(one, "two"); s != StateAlive {
		t.Fatalf("after an intent of another run: %v; want alive", s)
	}
	one.handleMsg(encodeMsg(msgLeaving, "two", m.Run))
	if s := state(one, "two"); s != StateLeaving {
		t.Fatalf("after its leave intent: %v; want leaving", s)
	}
	// The leave message arrives with metadata that never got the flag.
	(&events{a: one}).NotifyLeave(rumour(t, "two", m, m.Run, m.Gen))
	if s := state(one, "two"); s != StateLeft {
		t.Errorf("leave after the intent: %v; want left", s)
	}
}

// TestLeaveAnnounced: the leave intent reaches every other member
// directly (UDP, not gossip), and they hold the node as leaving; the
// leave that follows is recorded as left.
func TestLeaveAnnounced(t *testing.T) {
	one := newAgent(t, testConfig(t, "one", "127.0.1.81"))
	two := newAgent(t, testConfig(t, "two", "127.0.1.82"))
	three := newAgent(t, testConfig(t, "three", "127.0.1.83"))
	for _, a := range []*Agent{two, three} {
		if _, err := a.Join([]string{joinAddr(one)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []*Agent{one, two} {
		waitFor(t, 10*time.Second, "three alive", func() bool { return state(a, "three") == StateAlive })
	}
	three.announceLeaving()
	for _, a := range []*Agent{one, two} {
		waitFor(t, 10*time.Second, "three leaving from its intent alone", func() bool { return state(a, "three") == StateLeaving })
	}
	if err := three.Leave(); err != nil {
		t.Fatal(err)
	}
	_ = three.Shutdown()
	for _, a := range []*Agent{one, two} {
		waitFor(t, 10*time.Second, "three left", func() bool { return state(a, "three") == StateLeft })
	}
}

// TestLeaveIntentOrder: the leave intent is one decision, ordered by run
// and generation, whichever order it and the events arrive in: before the
// node is known (buffered, applied to its join and its leave), after the
// leave event (the failure becomes a leave), and never to another run or
// to a generation the node has refuted past. Uses 127.0.1.84.
func TestLeaveIntentOrder(t *testing.T) {
	one := newAgent(t, testConfig(t, "one", "127.0.1.84"))
	ev := &events{a: one}
	base := Member{ID: NewNodeID(), Datacenter: "dc1", Role: RoleClient, Addr: netip.MustParseAddr("127.0.1.85"), Port: 8301}
	intent := func(name, run string, gen uint64) {
		one.handleMsg(encodeLeaveIntent(leaveIntent{Name: name, Run: run, Gen: gen}))
	}
	tests := []struct {
		name string
		// steps run in order; want is the state after the last.
		steps func(name, run string)
		want  State
	}{
		{"intent before the join, then the join", func(n, r string) {
			intent(n, r, 1)
			ev.NotifyJoin(rumour(t, n, base, r, 1))
		}, StateLeaving},
		{"intent before the join, then the join and the leave", func(n, r string) {
			intent(n, r, 1)
			ev.NotifyJoin(rumour(t, n, base, r, 1))
			ev.NotifyLeave(rumour(t, n, base, r, 1))
		}, StateLeft},
		{"leave event before the intent", func(n, r string) {
			ev.NotifyJoin(rumour(t, n, base, r, 1))
			ev.NotifyLeave(rumour(t, n, base, r, 1))
			intent(n, r, 1)
		}, StateLeft},
		{"intent, then an update without it", func(n, r string) {
			ev.NotifyJoin(rumour(t, n, base, r, 1))
			intent(n, r, 1)
			ev.NotifyUpdate(rumour(t, n, base, r, 1))
		}, StateLeaving},
		{"intent of another run", func(n, r string) {
			intent(n, "another-run", 1)
			ev.NotifyJoin(rumour(t, n, base, r, 1))
			ev.NotifyLeave(rumour(t, n, base, r, 1))
		}, StateFailed},
		{"intent the node has refuted past", func(n, r string) {
			ev.NotifyJoin(rumour(t, n, base, r, 2))
			intent(n, r, 1)
			ev.NotifyLeave(rumour(t, n, base, r, 2))
		}, StateFailed},
		{"no intent: a failure", func(n, r string) {
			ev.NotifyJoin(rumour(t, n, base, r, 1))
			ev.NotifyLeave(rumour(t, n, base, r, 1))
		}, StateFailed},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "Node-" + strconv.Itoa(i)
			tt.steps(name, newRunID())
			if s := state(one, strings.ToLower(name)); s != tt.want {
				t.Errorf("%s: %v; want %v", name, s, tt.want)
			}
		})
	}
}

// TestLeaveIntentGossipedOn: an intent that is news is queued to be
// gossiped on; the same intent again is not.
func TestLeaveIntentGossipedOn(t *testing.T) {
	one := newAgent(t, testConfig(t, "one", "127.0.1.86"))
	before := one.queue.NumQueued()
	msg := encodeLeaveIntent(leaveIntent{Name: "web", Run: newRunID(), Gen: 3})
	one.handleMsg(msg)
	if got := one.queue.NumQueued(); got != before+1 {
		t.Fatalf("queued %d after a new intent; want %d", got, before+1)
	}
	one.handleMsg(msg)
	if got := one.queue.NumQueued(); got != before+1 {
		t.Errorf("queued %d after the same intent again; want %d", got, before+1)
	}
}

func TestIntentBufferBounded(t *testing.T) {
	var b intents
	now := time.Now()
	for i := range maxIntents + 10 {
		b.note(leaveIntent{Name: "n" + strconv.Itoa(i), Run: "r", Gen: 1}, now.Add(time.Duration(i)))
	}
	if len(b.m) > maxIntents {
		t.Errorf("buffer holds %d intents; want at most %d", len(b.m), maxIntents)
	}
	m := Member{Name: "N0", Run: "r", Gen: 1}
	if _, ok := b.lookup(&m, now.Add(intentTTL)); ok {
		t.Error("an expired intent was found")
	}
}
