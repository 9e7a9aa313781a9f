package local

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// checkCommitted fails t unless the store, a replica fed only the
// published deltas, and a rebuild of every row from the State agree.
func checkCommitted(t *testing.T, s *State, store, replica *catalog.Store, rec *recorder, applied *int) {
	t.Helper()
	ds := rec.all()
	for ; *applied < len(ds); *applied++ {
		if got := replica.ApplyDelta("node-a", ds[*applied]); got != catalog.DeltaApplied {
			t.Fatalf("delta %d (%v → %v) = %v; want applied", *applied, ds[*applied].From, ds[*applied].To, got)
		}
	}
	s.mu.Lock()
	wantS, wantC, v := s.serviceRows(), s.checkRows(false), s.version
	pubS, pubC := len(s.pubServices), len(s.pubChecks)
	for _, r := range wantS {
		if !reflect.DeepEqual(s.pubServices[r.ID], r) {
			t.Errorf("published row of service %s is %+v; want %+v", r.ID, s.pubServices[r.ID], r)
		}
	}
	for _, r := range wantC {
		if !reflect.DeepEqual(s.pubChecks[r.CheckID], r) {
			t.Errorf("published row of check %s is %+v; want %+v", r.CheckID, s.pubChecks[r.CheckID], r)
		}
	}
	s.mu.Unlock()
	if pubS != len(wantS) || pubC != len(wantC) {
		t.Errorf("%d services and %d checks published; want %d and %d", pubS, pubC, len(wantS), len(wantC))
	}
	for name, st := range map[string]*catalog.Store{"store": store, "replica": replica} {
		gv, svcs, checks := st.Records("node-a")
		if gv != v {
			t.Errorf("%s: version %v; want %v", name, gv, v)
		}
		if !sameRows(svcs, wantS) {
			t.Errorf("%s: %d services differ from the %d rebuilt", name, len(svcs), len(wantS))
		}
		if !sameCheckRows(checks, wantC) {
			t.Errorf("%s: %d checks differ from the %d rebuilt:\n got %+v\nwant %+v", name, len(checks), len(wantC), checks, wantC)
		}
	}
}

func TestCommitWritesWhatChanged(t *testing.T) {
	s, store, rec := newState(t, nil)
	replica := catalog.NewStore()
	applied := 0
	rng := rand.New(rand.NewPCG(1, 2))
	id := func() string { return fmt.Sprintf("svc-%d", rng.IntN(12)) }
	ops := []struct {
		name string
		do   func() error
	}{
		{"register", func() error {
			d := servicedef.Service{ID: id(), Name: fmt.Sprintf("name-%d", rng.IntN(3)), Port: rng.IntN(3) + 1,
				Checks: []servicedef.Check{{TTL: time.Hour}}}
			return s.AddService(d, rng.IntN(2) == 0)
		}},
		{"rename", func() error {
			return s.AddService(servicedef.Service{ID: id(), Name: fmt.Sprintf("name-%d", rng.IntN(3))}, false)
		}},
		{"deregister", func() error { _, err := s.RemoveService(id()); return err }},
		{"service check", func() error {
			return ignoreInvalid(s.AddCheck(servicedef.Check{ID: fmt.Sprintf("c-%d", rng.IntN(6)), Name: "c", TTL: time.Hour, ServiceID: id()}))
		}},
		{"node check", func() error {
			return ignoreInvalid(s.AddCheck(servicedef.Check{ID: fmt.Sprintf("c-%d", rng.IntN(6)), Name: "n", TTL: time.Hour}))
		}},
		{"remove check", func() error { _, err := s.RemoveCheck(fmt.Sprintf("c-%d", rng.IntN(6))); return err }},
		{"ttl", func() error {
			st := []string{"pass", "warn", "fail"}[rng.IntN(3)]
			return ignoreNotFound(s.UpdateTTL(fmt.Sprintf("service:%s", id()), st, st))
		}},
		{"maintenance", func() error { return ignoreNotFound(s.SetServiceMaintenance(id(), rng.IntN(2) == 0, "")) }},
		{"file sync", func() error {
			return s.SyncFiles([]servicedef.Service{{ID: "file", Name: fmt.Sprintf("file-%d", rng.IntN(2)), Checks: []servicedef.Check{{TTL: time.Hour}}}}, nil)
		}},
	}
	for i := range 400 {
		op := ops[rng.IntN(len(ops))]
		if err := op.do(); err != nil {
			t.Fatalf("step %d (%s): %v", i, op.name, err)
		}
		checkCommitted(t, s, store, replica, rec, &applied)
		if t.Failed() {
			t.Fatalf("after step %d (%s)", i, op.name)
		}
	}
}

func ignoreInvalid(err error) error {
	if errors.Is(err, ErrInvalid) {
		return nil
	}
	return err
}

func ignoreNotFound(err error) error {
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalid) {
		return nil
	}
	return err
}

// TestThousandInstances fills one agent to its limit and checks every row
// in the store, then a change and a removal at that size.
func TestThousandInstances(t *testing.T) {
	rec := &recorder{}
	s, store := fullState(t, DefaultMaxServices, rec.publish)
	replica := catalog.NewStore()
	applied := 0
	checkCommitted(t, s, store, replica, rec, &applied)
	if _, svcs, checks := store.Records("node-a"); len(svcs) != DefaultMaxServices || len(checks) != DefaultMaxServices {
		t.Fatalf("store holds %d services and %d checks; want %d each", len(svcs), len(checks), DefaultMaxServices)
	}
	steps := []struct {
		name     string
		do       func() error
		services int // in the delta
		deletes  int
	}{
		{"change", func() error { return s.AddService(instance(500, 1), false) }, 1, 0},
		{"remove", func() error { _, err := s.RemoveService(instance(7, 0).ID); return err }, 0, 1},
		{"add again", func() error { return s.AddService(instance(7, 2), false) }, 1, 0},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			ds := rec.all()
			d := ds[len(ds)-1]
			if len(d.Services) != st.services || len(d.DeleteServices) != st.deletes {
				t.Errorf("delta: %d services, %d deletions; want %d, %d", len(d.Services), len(d.DeleteServices), st.services, st.deletes)
			}
			checkCommitted(t, s, store, replica, rec, &applied)
		})
	}
	if _, svcs, _ := store.Records("node-a"); len(svcs) != DefaultMaxServices {
		t.Errorf("store holds %d services at the end; want %d", len(svcs), DefaultMaxServices)
	}
}

// TestCommitRepairsAStoreThatLostTheRecords: when the store no longer
// holds the version a delta follows, the whole set is written again.
func TestCommitRepairsAStoreThatLostTheRecords(t *testing.T) {
	s, store, rec := newState(t, nil)
	if err := s.AddService(web(), false); err != nil {
		t.Fatal(err)
	}
	store.DropRecords("node-a")
	if err := s.AddService(servicedef.Service{Name: "db"}, false); err != nil {
		t.Fatal(err)
	}
	replica := catalog.NewStore()
	applied := 0
	checkCommitted(t, s, store, replica, rec, &applied)
}
