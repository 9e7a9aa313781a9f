package membership

import (
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
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
	testproc.WaitFor(t, 10*time.Second, "two alive on one", func() bool { return state(one, "two") == StateAlive })
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
		testproc.WaitFor(t, 10*time.Second, "three alive", func() bool { return state(a, "three") == StateAlive })
	}
	three.announceLeaving()
	for _, a := range []*Agent{one, two} {
		testproc.WaitFor(t, 10*time.Second, "three leaving from its intent alone", func() bool { return state(a, "three") == StateLeaving })
	}
	if err := three.Leave(); err != nil {
		t.Fatal(err)
	}
	_ = three.Shutdown()
	for _, a := range []*Agent{one, two} {
		testproc.WaitFor(t, 10*time.Second, "three left", func() bool { return state(a, "three") == StateLeft })
	}
}
