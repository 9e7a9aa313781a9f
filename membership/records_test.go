package membership

import (
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/internal/testproc"
)

// The records tests use 127.0.0.200–127.0.0.230.

// testOwner plays the local state of one agent: it writes the agent's
// records into its store and publishes each change, as the owner does.
type testOwner struct {
	a *Agent
	v catalog.Version
}

func newTestOwner(a *Agent) *testOwner { return &testOwner{a: a} }

// change applies d (From and To filled in) to the owner's store and
// publishes it.
func (o *testOwner) change(t *testing.T, d catalog.Delta) {
	t.Helper()
	d.From = o.v
	if o.v.IsZero() {
		o.v = catalog.Version{Epoch: uint64(time.Now().UnixNano()), Seq: 1}
	} else {
		o.v.Seq++
	}
	d.To = o.v
	if r := o.a.Table().ApplyDelta(o.a.Config().NodeName, d); r != catalog.DeltaApplied {
		t.Fatalf("owner's own delta: %v", r)
	}
	o.a.PublishDelta(d)
}

func (o *testOwner) register(t *testing.T, svcs ...catalog.Service) {
	t.Helper()
	o.change(t, catalog.Delta{Services: svcs})
}

func (o *testOwner) deregister(t *testing.T, ids ...string) {
	t.Helper()
	o.change(t, catalog.Delta{DeleteServices: ids})
}

func svc(id, name string, port int, tags ...string) catalog.Service {
	return catalog.Service{ID: id, Name: name, Port: port, Tags: tags, Address: "10.1.2.3",
		Meta: map[string]string{"version": "1.0.0", "zone": "a"}}
}

// recordsCluster starts n agents on 127.0.0.<first>… and joins them.
func recordsCluster(t *testing.T, first, n int) []*Agent {
	t.Helper()
	var out []*Agent
	for i := range n {
		a := newAgent(t, testConfig(t, fmt.Sprintf("r%d", first+i), fmt.Sprintf("127.0.0.%d", first+i)))
		var addrs []string
		for _, o := range out {
			addrs = append(addrs, joinAddr(o))
		}
		if len(addrs) > 0 {
			if _, err := a.Join(addrs); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, a)
	}
	waitAlive(t, out)
	return out
}

// waitPushesSent waits until every agent has sent the sets it queued for
// the nodes that joined it.
func waitPushesSent(t *testing.T, as []*Agent) {
	t.Helper()
	testproc.WaitFor(t, 10*time.Second, "the join pushes sent", func() bool {
		for _, a := range as {
			a.rec.mu.Lock()
			queued := len(a.rec.sets)
			a.rec.mu.Unlock()
			if queued > 0 || len(a.rec.bulk) > 0 {
				return false
			}
		}
		return true
	})
}

func waitAlive(t *testing.T, as []*Agent) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for _, a := range as {
		for a.Table().Count(StateAlive, "", "") != len(as) {
			if time.Now().After(deadline) {
				for _, m := range a.Table().Members() {
					t.Logf("on %s: %s %s %v", a.Config().NodeName, m.Name, m.State, m.Addr)
				}
				t.Fatalf("%s does not see %d alive members", a.Config().NodeName, len(as))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// comparable strips what each store sets for itself.
func stripIndexes(v catalog.Version, svcs []catalog.Service, checks []catalog.Check) (catalog.Version, []catalog.Service, []catalog.Check) {
	for i := range svcs {
		svcs[i].CreateIndex, svcs[i].ModifyIndex = 0, 0
	}
	for i := range checks {
		checks[i].CreateIndex, checks[i].ModifyIndex = 0, 0
	}
	return v, svcs, checks
}

// sameRecords reports whether every agent holds owner's records as owner does.
func sameRecords(owner *Agent, as []*Agent) bool {
	name := owner.Config().NodeName
	v, s, c := stripIndexes(owner.Table().Records(name))
	for _, a := range as {
		v2, s2, c2 := stripIndexes(a.Table().Records(name))
		if v2 != v || !reflect.DeepEqual(s2, s) || !reflect.DeepEqual(c2, c) {
			return false
		}
	}
	return true
}

func waitConverged(t *testing.T, what string, owners []*Agent, as []*Agent) {
	t.Helper()
	testproc.WaitFor(t, 15*time.Second, what, func() bool {
		for _, o := range owners {
			if !sameRecords(o, as) {
				return false
			}
		}
		return true
	})
}

func TestSpreadConverges(t *testing.T) {
	as := recordsCluster(t, 200, 4)
	one, two := newTestOwner(as[0]), newTestOwner(as[1])
	one.register(t, svc("web-1", "web", 80, "rails"), svc("web-2", "web", 81), svc("db", "db", 5432))
	one.change(t, catalog.Delta{Checks: []catalog.Check{{CheckID: "service:db", Name: "db", Status: catalog.StatusPassing, ServiceID: "db", Type: "tcp",
		Definition: catalog.CheckDefinition{TCP: "10.1.2.3:5432", Interval: time.Second}}}})
	two.register(t, svc("cache", "redis", 6379))
	one.register(t, svc("web-1", "web", 8080, "rails", "v2"))
	one.deregister(t, "web-2")
	waitConverged(t, "every agent holds both owners' records", []*Agent{as[0], as[1]}, as)

	if _, svcs, _ := as[3].Table().Records("r200"); len(svcs) != 2 || svcs[1].Port != 8080 {
		t.Errorf("r203 holds r200's services %+v; want db and web-1 on 8080", svcs)
	}
	c := as[3].RecordsCounts()
	if c.DeltasApplied == 0 || c.BytesReceived == 0 {
		t.Errorf("r203 counts %+v; want deltas applied and bytes received", c)
	}
	if c := as[0].RecordsCounts(); c.DeltasPublished != 4 || c.DeltasSent != 12 || c.BytesSent == 0 {
		t.Errorf("r200 counts %+v; want 4 published, sent to 3 members each", c)
	}
	for _, a := range as {
		t.Logf("%s: %+v", a.Config().NodeName, a.RecordsCounts())
	}

	// A new run of r201 replaces its whole set and announces it: the
	// others pull it well before the next digest period (9 s at least).
	restart := catalog.Version{Epoch: uint64(time.Now().UnixNano()), Seq: 1}
	as[1].Table().ReplaceRecords("r201", restart, []catalog.Service{svc("cache-2", "redis", 6380)}, nil)
	as[1].AnnounceRecords()
	testproc.WaitFor(t, 5*time.Second, "the new run's set everywhere", func() bool { return sameRecords(as[1], as) })
}

// TestSpreadRepairsLostDeltas: a receiver that misses a delta (a lost
// packet) finds the gap at the next one and pulls; one that misses every
// delta learns from the owner's digest and pulls.
func TestSpreadRepairsLostDeltas(t *testing.T) {
	as := recordsCluster(t, 205, 3)
	owner := newTestOwner(as[0])
	var dropTo atomic.Value     // node name whose deltas are dropped
	var dropLeft atomic.Int64   // how many more to drop; < 0: all
	var dropDigests atomic.Bool // drop the digests to dropTo too
	hook := func(to string, typ byte) bool {
		if to != dropTo.Load() {
			return false
		}
		if typ == msgRecordsDigest {
			return dropDigests.Load()
		}
		if typ != msgRecordsDelta {
			return false
		}
		return dropLeft.Load() < 0 || dropLeft.Add(-1) >= 0
	}
	as[0].rec.dropSend.Store(&hook)

	t.Run("gap", func(t *testing.T) {
		// The sets pushed to each node as it joined go out from a queue;
		// one sent after the first change would carry it and hide the gap.
		waitPushesSent(t, as)
		dropTo.Store("r207")
		dropLeft.Store(1) // only the first delta to r207 is lost
		owner.register(t, svc("a", "a", 1))
		owner.register(t, svc("b", "b", 2))
		waitConverged(t, "r207 repaired after a gap", []*Agent{as[0]}, as)
		if c := as[2].RecordsCounts(); c.DeltaGaps == 0 || c.PullsSent == 0 || c.SetsApplied == 0 {
			t.Errorf("r207 counts %+v; want a gap, a pull and a set applied", c)
		}
	})
	t.Run("digest", func(t *testing.T) {
		dropTo.Store("r206") // every delta to r206 is lost, and the digests until the check below
		dropLeft.Store(-1)
		dropDigests.Store(true)
		owner.register(t, svc("c", "c", 3))
		owner.deregister(t, "a")
		testproc.WaitFor(t, 10*time.Second, "r207 has the changes", func() bool { return sameRecords(as[0], as[2:]) })
		if sameRecords(as[0], as[1:2]) {
			t.Fatal("r206 got the changes although its deltas were dropped")
		}
		dropDigests.Store(false)
		as[0].rec.setDigestEvery(200 * time.Millisecond)
		waitConverged(t, "r206 repaired by the digest", []*Agent{as[0]}, as)
		if c := as[1].RecordsCounts(); c.DigestsReceived == 0 || c.PullsSent == 0 {
			t.Errorf("r206 counts %+v; want a digest and a pull", c)
		}
		if as[0].RecordsCounts().PullsServed == 0 {
			t.Error("the owner served no pull")
		}
	})
}

// TestSpreadNewcomer: a node that joins gets every owner's set pushed,
// and its own records, registered before it joined, reach everyone.
func TestSpreadNewcomer(t *testing.T) {
	as := recordsCluster(t, 210, 3)
	for i, a := range as {
		newTestOwner(a).register(t, svc(fmt.Sprintf("s%d", i), "svc", 100+i))
	}
	waitConverged(t, "the first three converged", as, as)

	late := newAgent(t, testConfig(t, "r213", "127.0.0.213"))
	newTestOwner(late).register(t, svc("late", "late", 9))
	if _, err := late.Join([]string{joinAddr(as[1])}); err != nil {
		t.Fatal(err)
	}
	all := append(as, late)
	waitAlive(t, all)
	waitConverged(t, "the newcomer and the others converged", all, all)
	if c := late.RecordsCounts(); c.SetsApplied < 3 || c.SetsSent < 3 {
		t.Errorf("newcomer counts %+v; want 3 sets in and 3 out", c)
	}
}

// TestRecordsOrdering: what a receiver stores is the newest version the
// owner published, whatever a peer sends: an old run never overwrites a
// newer one, a stale copy never brings back a deregistered service, and
// nobody overwrites this node's own records or revives a node that left.
func TestRecordsOrdering(t *testing.T) {
	a := newAgent(t, testConfig(t, "r220", "127.0.0.220"))
	deliver := func(typ byte, m recordsMsg) {
		t.Helper()
		msg, err := encodeRecordsMsg(typ, m)
		if err != nil {
			t.Fatal(err)
		}
		a.handleRecordsMsg(msg)
	}
	set := func(owner string, v catalog.Version, svcs ...catalog.Service) recordsMsg {
		return recordsMsg{Owner: owner, Delta: catalog.Delta{To: v, Services: svcs}}
	}
	ids := func(owner string) []string {
		_, svcs, _ := a.Table().Records(owner)
		var out []string
		for _, s := range svcs {
			out = append(out, s.ID)
		}
		return out
	}
	newRun, oldRun := catalog.Version{Epoch: 200, Seq: 1}, catalog.Version{Epoch: 100, Seq: 99}

	t.Run("old epoch", func(t *testing.T) {
		deliver(msgRecordsSet, set("peer", newRun, svc("new", "x", 1)))
		deliver(msgRecordsSet, set("peer", oldRun, svc("old", "x", 1)))
		deliver(msgRecordsDelta, recordsMsg{Owner: "peer", Delta: catalog.Delta{From: oldRun, To: catalog.Version{Epoch: 100, Seq: 100}, Services: []catalog.Service{svc("old2", "x", 1)}}})
		if got := ids("peer"); !reflect.DeepEqual(got, []string{"new"}) || a.Table().RecordsVersion("peer") != newRun {
			t.Errorf("peer's records %v at %v; want [new] at %v", got, a.Table().RecordsVersion("peer"), newRun)
		}
	})
	t.Run("deregistered stays away", func(t *testing.T) {
		v2 := catalog.Version{Epoch: 200, Seq: 2}
		deliver(msgRecordsDelta, recordsMsg{Owner: "peer", Delta: catalog.Delta{From: newRun, To: v2, DeleteServices: []string{"new"}}})
		deliver(msgRecordsSet, set("peer", newRun, svc("new", "x", 1)))                                                                                                 // a stale copy
		deliver(msgRecordsDelta, recordsMsg{Owner: "peer", Delta: catalog.Delta{From: catalog.Version{}, To: newRun, Services: []catalog.Service{svc("new", "x", 1)}}}) // a replayed first delta
		if got := ids("peer"); len(got) != 0 {
			t.Errorf("peer's records %v; want none after the deregistration", got)
		}
	})
	t.Run("own records", func(t *testing.T) {
		self := a.Config().NodeName
		own := newTestOwner(a)
		own.register(t, svc("mine", "m", 1))
		later := catalog.Version{Epoch: uint64(time.Now().UnixNano())}
		deliver(msgRecordsSet, set(self, later, svc("impostor", "m", 2)))
		deliver(msgRecordsSet, set("R220", later))
		if a.RecordsCounts().Ignored != 2 {
			t.Errorf("ignored %d; want 2", a.RecordsCounts().Ignored)
		}
		if got := ids(self); !reflect.DeepEqual(got, []string{"mine"}) {
			t.Errorf("own records %v; want [mine]", got)
		}
	})
	t.Run("left node", func(t *testing.T) {
		a.Table().Upsert(Member{Name: "gone", State: StateLeft})
		deliver(msgRecordsSet, set("gone", newRun, svc("ghost", "g", 1)))
		if got := ids("gone"); len(got) != 0 {
			t.Errorf("records of a left node %v; want none", got)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		before := a.RecordsCounts().Malformed
		a.handleRecordsMsg([]byte{msgRecordsDelta, 3, 1, 2, 3})
		a.handleRecordsMsg([]byte{msgRecordsSet, 200})
		deliver(msgRecordsSet, set("peer", catalog.Version{Epoch: 1 << 63})) // an epoch from the future
		if got := a.RecordsCounts().Malformed - before; got != 3 {
			t.Errorf("malformed count +%d; want +3", got)
		}
		if a.Table().RecordsVersion("peer").Epoch != 200 {
			t.Error("a set from the future was applied")
		}
	})
}

// TestSpreadBytesPerChange measures the bytes each agent receives per
// change, against the size of the changed record encoded alone.
func TestSpreadBytesPerChange(t *testing.T) {
	const n, changes = 5, 40
	as := recordsCluster(t, 215, n)
	owner := newTestOwner(as[0])
	record := svc("web-1", "web", 80, "rails", "v2")
	owner.register(t, record)
	waitConverged(t, "first registration", as[:1], as)
	before := make([]uint64, n)
	for i, a := range as {
		before[i] = a.RecordsCounts().BytesReceived
	}
	for i := range changes {
		record.Port = 1000 + i
		owner.register(t, record)
	}
	waitConverged(t, "every change", as[:1], as)
	w := &wireWriter{}
	encodeService(w, &record)
	var total uint64
	for i, a := range as[1:] {
		total += a.RecordsCounts().BytesReceived - before[i+1]
	}
	perAgent := float64(total) / float64(n-1) / changes
	ratio := perAgent / float64(len(w.b))
	t.Logf("%d agents: %.1f bytes received per agent per change; the record is %d bytes: %.2f×", n, perAgent, len(w.b), ratio)
	if ratio > 3 {
		t.Errorf("%.2f× the record per agent per change; want ≤ 3×", ratio)
	}
}
