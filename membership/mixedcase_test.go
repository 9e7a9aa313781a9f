package membership

import (
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
)

// The table is keyed in lower case while nodes spell their names as they
// like. These tests name nodes in mixed case and use 127.0.1.140–147.

// TestLeaveIntentMixedCase: the direct leave intent of a node named
// Web-1, sent with the name as the node spells it, makes it leaving, and
// the leave message that follows records it as left.
func TestLeaveIntentMixedCase(t *testing.T) {
	one := newAgent(t, testConfig(t, "One", "127.0.1.140"))
	web := newAgent(t, testConfig(t, "Web-1", "127.0.1.141"))
	if _, err := web.Join([]string{joinAddr(one)}); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "Web-1 alive on One", func() bool { return state(one, "Web-1") == StateAlive })
	m, _ := one.Table().LookupFold("Web-1")

	one.handleMsg(encodeMsg(msgLeaving, "Web-1", m.Run))
	if s := state(one, "web-1"); s != StateLeaving {
		t.Fatalf("after the intent of Web-1: %v; want leaving", s)
	}
	(&events{a: one}).NotifyLeave(rumour(t, "Web-1", m, m.Run, m.Gen))
	if s := state(one, "web-1"); s != StateLeft {
		t.Errorf("leave after the intent: %v; want left", s)
	}
}

// TestTombstoneExchangeMixedCase: a peer's tombstone for Ghost-1 turns the
// failed Ghost-1 into left; Web-1, recorded as left while alive, refutes
// the tombstone and is alive again everywhere with a higher generation,
// whichever case the tombstone spells its name in.
func TestTombstoneExchangeMixedCase(t *testing.T) {
	one := newAgent(t, testConfig(t, "One", "127.0.1.142"))
	web := newAgent(t, testConfig(t, "Web-1", "127.0.1.143"))
	if _, err := web.Join([]string{joinAddr(one)}); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "Web-1 alive on One", func() bool { return state(one, "Web-1") == StateAlive })

	m, _ := one.Table().LookupFold("Web-1")
	m.State, m.StateChanged = StateLeft, time.Time{}
	one.Table().Upsert(m)
	ghost := Member{Name: "Ghost-1", Run: "0123456789abcdef", Gen: 2, Role: RoleClient, State: StateLeft}
	one.Table().Upsert(ghost)
	ghost.State, ghost.Gen = StateFailed, 1
	web.Table().Upsert(ghost)

	// A join is a push/pull exchange: each side merges the other's state.
	if _, err := web.Join([]string{joinAddr(one)}); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "Web-1 alive again on One at gen 1", func() bool {
		m, _ := one.Table().LookupFold("Web-1")
		return m.State == StateAlive && m.Gen == 1
	})
	if g, _ := web.Table().LookupFold("ghost-1"); g.State != StateLeft || g.Gen != 2 {
		t.Errorf("Ghost-1 on Web-1 after the exchange: %v at gen %d; want left at gen 2 from One's tombstone", g.State, g.Gen)
	}

	// A tombstone naming this node in another case is about this node: it
	// is refuted, never applied to the node's own row.
	self, _ := web.Table().LookupFold("Web-1")
	web.mergeState(encodeTombstones([]Member{{Name: "WEB-1", Run: self.Run, Gen: self.Gen, State: StateLeft}}), false)
	if s := state(web, "Web-1"); s != StateAlive {
		t.Fatalf("Web-1's own row after a tombstone spelled WEB-1: %v; want alive", s)
	}
	testproc.WaitFor(t, 10*time.Second, "Web-1 refuting WEB-1's tombstone on One", func() bool {
		m, _ := one.Table().LookupFold("Web-1")
		return m.State == StateAlive && m.Gen == self.Gen+1
	})
}
