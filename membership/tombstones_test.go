package membership

import (
	"net"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
	"github.com/hashicorp/memberlist"
)

// The tombstone, maintenance and tuning tests use 127.0.1.71–127.0.1.79.

// rumour is a memberlist node announcing name with the given run and
// generation, as a stale alive message would.
func rumour(t *testing.T, name string, m Member, run string, gen uint64) *memberlist.Node {
	t.Helper()
	b, err := nodeMeta{ID: m.ID, Datacenter: m.Datacenter, Role: m.Role, Run: run, Gen: gen}.encode()
	if err != nil {
		t.Fatal(err)
	}
	return &memberlist.Node{Name: name, Addr: net.IP(m.Addr.AsSlice()), Port: m.Port, Meta: b}
}

// TestLateRumourAfterLeave: once a node has left, an alive rumour of the
// run that left (as memberlist passes on after forgetting the node) does
// not bring it back; the node restarted, with a new run, does.
func TestLateRumourAfterLeave(t *testing.T) {
	one := newAgent(t, testConfig(t, "one", "127.0.1.71"))
	two := newAgent(t, testConfig(t, "two", "127.0.1.72"))
	if _, err := two.Join([]string{joinAddr(one)}); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "two alive on one", func() bool { return state(one, "two") == StateAlive })
	if err := two.Leave(); err != nil {
		t.Fatal(err)
	}
	_ = two.Shutdown()
	testproc.WaitFor(t, 10*time.Second, "two left on one", func() bool { return state(one, "two") == StateLeft })
	left, _ := one.Table().Lookup("two")
	if left.Run == "" {
		t.Fatal("the tombstone has no run ID")
	}

	ev := &events{a: one}
	ev.NotifyJoin(rumour(t, "two", left, left.Run, left.Gen))
	ev.NotifyLeave(rumour(t, "two", left, left.Run, left.Gen))
	if s := state(one, "two"); s != StateLeft {
		t.Errorf("after a stale rumour of the run that left: %v; want left", s)
	}
	ev.NotifyJoin(rumour(t, "two", left, newRunID(), 0))
	if s := state(one, "two"); s != StateAlive {
		t.Errorf("after the node came back with a new run: %v; want alive", s)
	}
}

// TestRefuteTombstone: a node recorded as left while it is alive (a
// force-leave while it was cut off) learns of it in the push/pull
// exchange, raises its generation and is alive everywhere again; the same
// exchange carries a leave a peer missed.
func TestRefuteTombstone(t *testing.T) {
	one := newAgent(t, testConfig(t, "one", "127.0.1.73"))
	two := newAgent(t, testConfig(t, "two", "127.0.1.74"))
	if _, err := two.Join([]string{joinAddr(one)}); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "two alive on one", func() bool { return state(one, "two") == StateAlive })

	m, _ := one.Table().Lookup("two")
	m.State, m.StateChanged = StateLeft, time.Time{}
	one.Table().Upsert(m)
	ghost := Member{Name: "ghost", Run: "0123456789abcdef", Gen: 2, Role: RoleClient}
	ghost.State = StateLeft
	one.Table().Upsert(ghost)
	ghost.State, ghost.Gen = StateFailed, 1
	two.Table().Upsert(ghost)

	// A join is a push/pull exchange: each side merges the other's state.
	if _, err := two.Join([]string{joinAddr(one)}); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "two alive again on one", func() bool {
		m, _ := one.Table().Lookup("two")
		return m.State == StateAlive && m.Gen == 1
	})
	if s := state(two, "ghost"); s != StateLeft {
		t.Errorf("ghost on two after the exchange: %v; want left from one's tombstone", s)
	}
}

func TestTombstoneStateRoundTrip(t *testing.T) {
	ms := []Member{
		{Name: "a", Run: "r1", Gen: 3, State: StateLeft},
		{Name: "b", Run: "r2", State: StateAlive}, // not a tombstone
		{Name: "c", State: StateLeft},             // an old build: no run
		{Name: "d", Run: "r4", Gen: 0, State: StateLeft},
	}
	got := decodeTombstones(encodeTombstones(ms))
	want := []tombstone{{"a", "r1", 3}, {"d", "r4", 0}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %+v; want %+v", got, want)
	}
	for _, bad := range [][]byte{nil, {9, 1, 'a'}, {1, 5, 'a'}} {
		if got := decodeTombstones(bad); len(got) != 0 {
			t.Errorf("decodeTombstones(%q) = %+v; want nothing", bad, got)
		}
	}
}
