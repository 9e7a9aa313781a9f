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

// The repair tests use 127.0.1.161–165.

// chain returns deltas from version 1 on, each From the previous To.
func chain(ds ...catalog.Delta) []catalog.Delta {
	for i := range ds {
		ds[i].From, ds[i].To = catalog.Version{Epoch: 9, Seq: uint64(i + 1)}, catalog.Version{Epoch: 9, Seq: uint64(i + 2)}
	}
	return ds
}

func chk(id, svc string) catalog.Check {
	return catalog.Check{CheckID: id, Name: id, Status: catalog.StatusPassing, ServiceID: svc}
}

func ext(name, service string) catalog.ExternalNode {
	return catalog.ExternalNode{Name: name, Address: "10.9.9.9", Services: []catalog.Service{{ID: service, Name: service, Port: 1}}}
}

// extNames returns owner o's external nodes in st as name/service pairs.
func extNames(st *catalog.Store) []string {
	var out []string
	for _, e := range st.ExternalNodes("o") {
		for _, sv := range e.Services {
			out = append(out, e.Name+"/"+sv.ID)
		}
	}
	return out
}

// mergeFixture returns a store holding owner o's records at version
// (9, 1) and a chain of changes from there.
func mergeFixture() (func() *catalog.Store, []catalog.Delta) {
	ds := chain(
		catalog.Delta{Services: []catalog.Service{svc("a", "a", 1), svc("b", "b", 2)}, Checks: []catalog.Check{chk("ca", "a")},
			Nodes: []catalog.ExternalNode{ext("Ext1", "db"), ext("ext2", "db")}},
		catalog.Delta{Services: []catalog.Service{svc("a", "a", 3)}, DeleteServices: []string{"c"}},
		catalog.Delta{DeleteServices: []string{"b"}, DeleteChecks: []string{"ca"}, DeleteNodes: []string{"ext1"}},
		catalog.Delta{Services: []catalog.Service{svc("b", "b", 4)}, Checks: []catalog.Check{chk("cb", "b")},
			Nodes: []catalog.ExternalNode{ext("ext2", "cache")}},
		catalog.Delta{DeleteServices: []string{"a"}},
	)
	base := func() *catalog.Store {
		st := catalog.NewStore()
		st.ReplaceRecords("o", ds[0].From, []catalog.Service{svc("c", "c", 5), svc("a", "a", 0)}, []catalog.Check{chk("cc", "c")})
		return st
	}
	return base, ds
}

func TestMergeDeltas(t *testing.T) {
	base, ds := mergeFixture()
	for from := range ds {
		t.Run(fmt.Sprintf("from delta %d", from), func(t *testing.T) {
			one, merged := base(), base()
			for _, d := range ds[:from] {
				one.ApplyDelta("o", d)
				merged.ApplyDelta("o", d)
			}
			for _, d := range ds[from:] {
				if r := one.ApplyDelta("o", d); r != catalog.DeltaApplied {
					t.Fatalf("delta %v: %v", d.To, r)
				}
			}
			if r := merged.ApplyDelta("o", mergeDeltas(ds[from:])); r != catalog.DeltaApplied {
				t.Fatalf("merged: %v", r)
			}
			v1, s1, c1 := stripIndexes(one.Records("o"))
			v2, s2, c2 := stripIndexes(merged.Records("o"))
			if v1 != v2 || !reflect.DeepEqual(s1, s2) || !reflect.DeepEqual(c1, c2) {
				t.Errorf("one by one %v %+v %+v;\nmerged %v %+v %+v", v1, s1, c1, v2, s2, c2)
			}
			if e1, e2 := extNames(one), extNames(merged); !reflect.DeepEqual(e1, e2) {
				t.Errorf("external nodes one by one %v; merged %v", e1, e2)
			}
		})
	}
}

// TestApplyOverlap: a merged repair applies over any version of the same
// run within it, and over nothing else.
func TestApplyOverlap(t *testing.T) {
	a := newAgent(t, testConfig(t, "h164", "127.0.1.164"))
	base, ds := mergeFixture()
	want := base()
	for _, d := range ds {
		want.ApplyDelta("o", d)
	}
	merged := mergeDeltas(ds)
	for at := 1; at < len(ds); at++ {
		a.Table().DropRecords("o")
		v, svcs, checks := func() (catalog.Version, []catalog.Service, []catalog.Check) {
			st := base()
			for _, d := range ds[:at] {
				st.ApplyDelta("o", d)
			}
			return st.Records("o")
		}()
		a.Table().ReplaceRecords("o", v, svcs, checks)
		if r := a.rec.applyOverlap("o", merged); r != catalog.DeltaApplied {
			t.Fatalf("at %v: %v", v, r)
		}
		v1, s1, c1 := stripIndexes(want.Records("o"))
		v2, s2, c2 := stripIndexes(a.Table().Records("o"))
		if v1 != v2 || !reflect.DeepEqual(s1, s2) || !reflect.DeepEqual(c1, c2) {
			t.Errorf("over %v: %v %+v %+v; want %v %+v %+v", v, v2, s2, c2, v1, s1, c1)
		}
	}
	a.Table().DropRecords("o")
	a.Table().ReplaceRecords("o", catalog.Version{Epoch: 8, Seq: 3}, nil, nil)
	if r := a.rec.applyOverlap("o", merged); r != catalog.DeltaGap {
		t.Errorf("over an earlier run's records: %v; want a gap", r)
	}
}

func TestHistoryBounds(t *testing.T) {
	a := newAgent(t, testConfig(t, "h161", "127.0.1.161"))
	s := a.rec
	var ds []catalog.Delta
	for range recordsHistoryDeltas + 10 {
		ds = append(ds, catalog.Delta{Services: []catalog.Service{svc("a", "a", len(ds))}})
	}
	for _, d := range chain(ds...) {
		s.remember(d)
	}
	if len(s.hist) != recordsHistoryDeltas {
		t.Errorf("history holds %d deltas; want %d", len(s.hist), recordsHistoryDeltas)
	}
	if _, ok := s.since(catalog.Version{Epoch: 9, Seq: 1}); ok {
		t.Error("a version older than the history was answered from it")
	}
	if d, ok := s.since(catalog.Version{Epoch: 9, Seq: 200}); !ok || d.To.Seq != uint64(recordsHistoryDeltas+11) || len(d.Services) != 1 {
		t.Errorf("since seq 200: %v %+v", ok, d)
	}
	s.remember(catalog.Delta{From: catalog.Version{Epoch: 10}, To: catalog.Version{Epoch: 10, Seq: 1}})
	if len(s.hist) != 1 {
		t.Errorf("a new run's first delta left %d deltas in the history; want 1", len(s.hist))
	}
	big := catalog.Delta{From: catalog.Version{Epoch: 10, Seq: 1}, To: catalog.Version{Epoch: 10, Seq: 2}, DeleteServices: make([]string, recordsHistoryRows+1)}
	s.remember(big)
	if len(s.hist) != 1 {
		t.Errorf("a delta over the row bound left %d deltas; want itself alone", len(s.hist))
	}
}

// TestPlainPullFallback: an owner that leaves a pull since a version
// unanswered gets plain pulls, until it sends a peer exchange or a set of
// a new run.
func TestPlainPullFallback(t *testing.T) {
	a := newAgent(t, testConfig(t, "h162", "127.0.1.162"))
	s := a.rec
	want := catalog.Version{Epoch: 1, Seq: 2}
	s.mu.Lock()
	s.pulls["old"] = pullState{at: time.Now().Add(-2 * recordsPullTimeout), want: want, since: true}
	s.mu.Unlock()
	s.requestPull("Old", want, time.Hour)
	s.mu.Lock()
	p, plain := s.pulls["old"], s.plain["old"]
	s.mu.Unlock()
	if !plain || p.since {
		t.Errorf("after an unanswered pull since: plain %v, next pull since %v; want plain", plain, p.since)
	}
	s.sinceCapable("OLD")
	s.mu.Lock()
	plain = s.plain["old"]
	s.mu.Unlock()
	if plain {
		t.Error("an exchange from the owner left it marked plain")
	}
	s.mu.Lock()
	s.plain["old"] = true
	s.mu.Unlock()
	msg, err := encodeRecordsMsg(msgRecordsSet, recordsMsg{Owner: "Old", Delta: catalog.Delta{To: catalog.Version{Epoch: 5, Seq: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	a.handleRecordsMsg(msg)
	s.mu.Lock()
	plain = s.plain["old"]
	s.mu.Unlock()
	if plain {
		t.Error("a set of a new run of the owner left it marked plain")
	}
}

// TestSpreadRepairSince: a receiver that lost one delta gets it back as
// a delta, not the owner's whole set.
func TestSpreadRepairSince(t *testing.T) {
	as := exchangeCluster(t, 163, 3)
	o := newTestOwner(as[0])
	o.register(t, svc("x", "x", 1))
	waitConverged(t, "the first registration everywhere", as[:1], as)
	var dropped atomic.Bool
	hook := func(to string, typ byte) bool {
		return to == "x165" && typ == msgRecordsDelta && dropped.CompareAndSwap(false, true)
	}
	as[0].rec.dropSend.Store(&hook)
	before := as[0].RecordsCounts()
	o.register(t, svc("y", "y", 2)) // lost to x165
	o.register(t, svc("z", "z", 3)) // a gap at x165: it pulls since its version
	waitConverged(t, "x165 repaired", as[:1], as)
	// The owner counts the repair once the send returned, which may be
	// after x165 applied it.
	testproc.WaitFor(t, 10*time.Second, "the owner counts the repair", func() bool {
		return as[0].RecordsCounts().RepairsSent > before.RepairsSent
	})
	after := as[0].RecordsCounts()
	if !dropped.Load() || after.RepairsSent != before.RepairsSent+1 || after.SetsSent != before.SetsSent {
		t.Errorf("owner counts before %+v, after %+v; want one repair and no set", before, after)
	}
}
