package catalog

import (
	"slices"
	"testing"
)

func TestAnsweredServices(t *testing.T) {
	s := NewStore()
	s.Upsert(node("n1", "127.0.5.1", StateAlive))
	s.Upsert(node("n2", "127.0.5.2", StateFailed))
	maint := node("n3", "127.0.5.3", StateAlive)
	maint.Maintenance = "upgrade"
	s.Upsert(maint)
	v := Version{Epoch: 1, Seq: 1}
	s.ReplaceRecords("n1", v, []Service{
		{ID: "web", Name: "Web"}, {ID: "warn", Name: "warn"}, {ID: "crit", Name: "crit"},
	}, []Check{
		{CheckID: "w", Status: StatusWarning, ServiceID: "warn"},
		{CheckID: "c", Status: StatusCritical, ServiceID: "crit"},
	})
	s.ReplaceRecords("n2", v, []Service{{ID: "db", Name: "db"}}, nil)
	s.ReplaceRecords("n3", v, []Service{{ID: "cache", Name: "cache"}}, nil)

	for _, tt := range []struct {
		onlyPassing bool
		want        []string
	}{
		{false, []string{"warn", "web"}},
		{true, []string{"web"}},
	} {
		if got := s.AnsweredServices(tt.onlyPassing); !slices.Equal(got, tt.want) {
			t.Errorf("AnsweredServices(%t) = %v; want %v (failed, maintenance and critical left out)", tt.onlyPassing, got, tt.want)
		}
	}
}

func TestServiceIndex(t *testing.T) {
	s := NewStore()
	before := s.ServiceIndex("web")
	s.Upsert(node("n1", "127.0.5.1", StateAlive))
	s.ReplaceRecords("n1", Version{Epoch: 1, Seq: 1}, []Service{{ID: "web", Name: "Web"}}, nil)
	registered := s.ServiceIndex("web")
	if registered == before || registered != s.keyIdx[KeyService("web")] {
		t.Fatalf("ServiceIndex after a registration = %d (was %d); want the key's index %d", registered, before, s.keyIdx[KeyService("web")])
	}
	s.Upsert(node("n2", "127.0.5.2", StateAlive)) // another node: not web's
	if got := s.ServiceIndex("web"); got != registered {
		t.Errorf("ServiceIndex moved on another node's change: %d → %d", registered, got)
	}
	s.SetState("n1", StateFailed) // web's node
	if got := s.ServiceIndex("web"); got == registered {
		t.Error("ServiceIndex did not move when the instance's node failed")
	}
	if allocs := testing.AllocsPerRun(100, func() { s.ServiceIndex("web") }); allocs != 0 {
		t.Errorf("ServiceIndex allocates %v times; want 0", allocs)
	}
}
