package catalog

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

func node(name, addr string, st State) Node {
	return Node{Name: name, Addr: netip.MustParseAddr(addr), State: st, Datacenter: "dc1"}
}

// fired reports whether ws was woken, without blocking.
func fired(ws *WatchSet) bool {
	select {
	case <-ws.C():
		return true
	default:
		return false
	}
}

func TestIndexNeverZeroNeverBackwards(t *testing.T) {
	s := NewStore()
	if s.Index() == 0 {
		t.Fatal("index 0")
	}
	last := s.Index()
	s.Upsert(node("Web-1", "127.0.0.1", StateAlive))
	if s.Index() != last+1 {
		t.Fatalf("one write: index %d → %d", last, s.Index())
	}
	last = s.Index()
	s.Upsert(node("Web-1", "127.0.0.1", StateAlive)) // same node, same data
	if s.Index() != last {
		t.Fatalf("a write that changes nothing raised the index %d → %d", last, s.Index())
	}
	s.SetIndexFloor(last - 10)
	if s.Index() != last {
		t.Fatal("a lower floor moved the index")
	}
	s.SetIndexFloor(last + 1000)
	if s.Index() != last+1000 {
		t.Fatal("floor not applied")
	}
	// A store seeded later (a restart) starts above the old one.
	time.Sleep(time.Millisecond) // the clock must move; not a wait for a condition
	if s2 := NewStore(); s2.Index() <= last {
		t.Fatalf("new store index %d not above %d", s2.Index(), last)
	}
}

func TestUpdateNodeFoldsCase(t *testing.T) {
	s := NewStore()
	s.Upsert(node("Web-1", "127.0.0.1", StateAlive))
	for _, name := range []string{"web-1", "WEB-1", "Web-1"} {
		if !s.SetState(name, StateLeaving) && name == "web-1" {
			t.Fatalf("SetState(%q) found nothing", name)
		}
	}
	n, ok := s.LookupFold("WEB-1")
	if !ok || n.State != StateLeaving || n.Name != "Web-1" {
		t.Fatalf("got %+v %v", n, ok)
	}
	if !s.RemoveNode("wEb-1") {
		t.Fatal("remove by other case failed")
	}
}

func TestCreateModifyIndex(t *testing.T) {
	s := NewStore()
	s.Upsert(node("a", "127.0.0.1", StateAlive))
	a, _ := s.Lookup("a")
	if a.CreateIndex != s.Index() || a.ModifyIndex != s.Index() {
		t.Fatalf("indexes %d/%d, store %d", a.CreateIndex, a.ModifyIndex, s.Index())
	}
	s.SetState("a", StateFailed)
	b, _ := s.Lookup("a")
	if b.CreateIndex != a.CreateIndex || b.ModifyIndex <= a.ModifyIndex {
		t.Fatalf("after change: %d/%d", b.CreateIndex, b.ModifyIndex)
	}
}

func TestWatchWakesOnlyOwnResult(t *testing.T) {
	s := NewStore()
	s.Upsert(node("a", "127.0.0.1", StateAlive))
	s.Upsert(node("b", "127.0.0.2", StateAlive))
	s.ReplaceRecords("a", Version{1, 1}, []Service{{ID: "web", Name: "web"}}, nil)
	s.ReplaceRecords("b", Version{1, 1}, []Service{{ID: "db", Name: "db"}}, nil)

	wsNodeA := NewWatchSet()
	_, _, _, idxA := s.NodeServices("a", wsNodeA)
	wsWeb := NewWatchSet()
	_, idxWeb := s.ServiceInstances("web", wsWeb)
	wsList := NewWatchSet()
	s.AllNodes(wsList)
	defer wsNodeA.Close()
	defer wsWeb.Close()
	defer wsList.Close()

	// b's service changes: nobody watching a or web wakes.
	s.ReplaceRecords("b", Version{1, 2}, []Service{{ID: "db", Name: "db", Port: 5432}}, nil)
	if fired(wsNodeA) || fired(wsWeb) || fired(wsList) {
		t.Fatal("woken by another node's service change")
	}
	// b fails: the node list changes, a and web do not.
	s.SetState("b", StateFailed)
	if fired(wsNodeA) || fired(wsWeb) {
		t.Fatal("woken by another node's failure")
	}
	if !fired(wsList) {
		t.Fatal("node list watcher not woken by a failure")
	}
	// a fails: web's instances and a change.
	s.SetState("a", StateFailed)
	if !fired(wsNodeA) || !fired(wsWeb) {
		t.Fatal("not woken by own node's failure")
	}
	_, _, _, idxA2 := s.NodeServices("a", nil)
	_, idxWeb2 := s.ServiceInstances("web", nil)
	if idxA2 <= idxA || idxWeb2 <= idxWeb {
		t.Fatal("result index did not move")
	}
}

func TestDeletionRaisesResultIndex(t *testing.T) {
	s := NewStore()
	s.Upsert(node("a", "127.0.0.1", StateAlive))
	s.ReplaceRecords("a", Version{1, 1}, []Service{{ID: "web", Name: "web"}, {ID: "web2", Name: "web"}}, nil)
	_, before := s.ServiceInstances("web", nil)
	ws := NewWatchSet()
	defer ws.Close()
	s.ServiceInstances("web", ws)
	s.ApplyDelta("a", Delta{From: Version{1, 1}, To: Version{1, 2}, DeleteServices: []string{"web2"}})
	if !fired(ws) {
		t.Fatal("not woken by a deregistration")
	}
	ins, after := s.ServiceInstances("web", nil)
	if len(ins) != 1 || after <= before {
		t.Fatalf("%d instances, index %d → %d", len(ins), before, after)
	}
}

func TestVersionsOrderRecords(t *testing.T) {
	s := NewStore()
	v1, v2 := Version{Epoch: 10, Seq: 5}, Version{Epoch: 20, Seq: 1}
	if !s.ReplaceRecords("a", v2, []Service{{ID: "new", Name: "new"}}, nil) {
		t.Fatal("first set refused")
	}
	if s.ReplaceRecords("a", v1, []Service{{ID: "old", Name: "old"}}, nil) {
		t.Fatal("an older run overwrote a newer one")
	}
	tests := []struct {
		name string
		d    Delta
		want DeltaResult
	}{
		{"stale", Delta{From: Version{20, 0}, To: Version{20, 1}}, DeltaStale},
		{"gap", Delta{From: Version{20, 2}, To: Version{20, 3}}, DeltaGap},
		{"old run", Delta{From: Version{10, 5}, To: Version{10, 6}}, DeltaStale},
		{"next", Delta{From: Version{20, 1}, To: Version{20, 2}, DeleteServices: []string{"new"}}, DeltaApplied},
		{"replayed", Delta{From: Version{20, 0}, To: Version{20, 1}, Services: []Service{{ID: "new", Name: "new"}}}, DeltaStale},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.ApplyDelta("A", tc.d); got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
	if s.HasService("new") {
		t.Fatal("a replayed delta resurrected a deregistered service")
	}
}

func TestLeftNodeLosesRecords(t *testing.T) {
	s := NewStore()
	s.Upsert(node("a", "127.0.0.1", StateAlive))
	s.ReplaceRecords("a", Version{1, 1}, []Service{{ID: "web", Name: "web"}}, []Check{{CheckID: "c", ServiceID: "web", Status: StatusPassing}})
	s.SetState("a", StateFailed)
	if ins, _ := s.ServiceInstances("web", nil); len(ins) != 1 || ins[0].Status() != StatusCritical {
		t.Fatalf("failed node's instance: %+v", ins)
	}
	if eps := s.AppendEndpoints(nil, "web", "", false); len(eps) != 0 {
		t.Fatal("DNS answers a failed node's instance")
	}
	s.SetState("a", StateLeft)
	if s.HasService("web") {
		t.Fatal("left node kept its services")
	}
}

func TestEndpointsHealth(t *testing.T) {
	s := NewStore()
	s.Upsert(node("a", "127.0.0.1", StateAlive))
	s.ReplaceRecords("a", Version{1, 1}, []Service{
		{ID: "p", Name: "Web", Tags: []string{"Rails"}, Weights: Weights{Passing: 10, Warning: 2}},
		{ID: "w", Name: "web", Weights: Weights{Passing: 10, Warning: 2}},
		{ID: "c", Name: "web"},
	}, []Check{
		{CheckID: "cw", ServiceID: "w", Status: StatusWarning},
		{CheckID: "cc", ServiceID: "c", Status: StatusCritical},
	})
	cases := []struct {
		tag         string
		onlyPassing bool
		want        int
	}{{"", false, 2}, {"", true, 1}, {"rails", false, 1}, {"nope", false, 0}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%v", c.tag, c.onlyPassing), func(t *testing.T) {
			if got := len(s.AppendEndpoints(nil, "web", c.tag, c.onlyPassing)); got != c.want {
				t.Fatalf("got %d endpoints, want %d", got, c.want)
			}
		})
	}
	for _, e := range s.AppendEndpoints(nil, "web", "", false) {
		if (e.ServiceID == "w") != (e.Weight == 2) {
			t.Fatalf("weight %d for %s", e.Weight, e.ServiceID)
		}
	}
	s.Upsert(Node{Name: "a", Addr: netip.MustParseAddr("127.0.0.1"), State: StateAlive, Datacenter: "dc1", Maintenance: "x"})
	if len(s.AppendEndpoints(nil, "web", "", false)) != 0 {
		t.Fatal("node in maintenance answered")
	}
}

func TestConcurrentWriters(t *testing.T) {
	s := NewStore()
	var wg sync.WaitGroup
	start := s.Index()
	const writers, each = 8, 200
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				name := fmt.Sprintf("N%d", i%10)
				switch w % 4 {
				case 0:
					s.Upsert(node(name, "127.0.0.1", StateAlive))
				case 1:
					s.SetState(name, StateFailed)
				case 2:
					s.ReplaceRecords(name, Version{uint64(w), uint64(i + 1)}, []Service{{ID: "s", Name: "s", Port: i}}, nil)
				case 3:
					ws := NewWatchSet()
					s.ServiceInstances("s", ws)
					ws.Close()
				}
			}
		}()
	}
	var last uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 2000 {
			idx := s.Index()
			if idx < last {
				t.Errorf("index went backwards: %d < %d", idx, last)
				return
			}
			last = idx
		}
	}()
	wg.Wait()
	<-done
	if s.Index() <= start {
		t.Fatal("no writes counted")
	}
	if s.Watchers() != 0 {
		t.Fatalf("%d watch sets left registered", s.Watchers())
	}
}

func TestWaitContext(t *testing.T) {
	s := NewStore()
	ws := NewWatchSet()
	defer ws.Close()
	s.AllNodes(ws)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ws.Wait(ctx); err == nil {
		t.Fatal("Wait ignored a done context")
	}
	go s.Upsert(node("x", "127.0.0.3", StateAlive))
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if err := ws.Wait(ctx2); err != nil {
		t.Fatal("not woken by a join")
	}
}
