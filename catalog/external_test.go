package catalog

import (
	"testing"
)

func extDB(addr string, checkStatus string) ExternalNode {
	n := ExternalNode{Name: "RDS-1", Address: addr, Meta: map[string]string{"k": "v"},
		Services: []Service{{ID: "pg", Name: "postgres", Port: 5432}}}
	if checkStatus != "" {
		n.Checks = []Check{{CheckID: "pg-up", Name: "up", Status: checkStatus, ServiceID: "pg"}}
	}
	return n
}

func TestExternalNodeIsReadThroughItsOwner(t *testing.T) {
	s := NewStore()
	s.Upsert(node("agent-1", "127.0.0.1", StateAlive))
	if !s.ReplaceRecordSet("agent-1", Version{1, 1}, nil, nil, []ExternalNode{extDB("10.0.0.5", StatusPassing)}) {
		t.Fatal("set not applied")
	}
	nodes, _ := s.CatalogNodes(nil)
	if len(nodes) != 2 || nodes[0].Name != "RDS-1" || nodes[0].Owner != "agent-1" || nodes[0].ExternalAddress != "10.0.0.5" {
		t.Fatalf("catalog nodes: %+v", nodes)
	}
	if m := s.Members(); len(m) != 1 {
		t.Fatalf("members include the external node: %+v", m)
	}
	ins, _ := s.ServiceInstances("Postgres", nil)
	if len(ins) != 1 || ins[0].Node.Name != "RDS-1" || ins[0].Status() != StatusPassing || len(ins[0].Checks) != 1 {
		t.Fatalf("instances: %+v", ins)
	}
	if eps := s.AppendEndpoints(nil, "postgres", "", false); len(eps) != 1 || eps[0].NodeAddr.String() != "10.0.0.5" {
		t.Fatalf("endpoints: %+v", eps)
	}
	var n Node
	if !s.LookupExternalInto("rds-1", &n) || n.Addr.String() != "10.0.0.5" {
		t.Fatalf("lookup: %+v", n)
	}
	if _, svcs, ok, _ := s.NodeServices("rds-1", nil); !ok || len(svcs) != 1 {
		t.Fatalf("node services: %v %+v", ok, svcs)
	}
	if owner, ok := s.ExternalOwner("rds-1"); !ok || owner != "agent-1" {
		t.Fatalf("owner %q %v", owner, ok)
	}

	t.Run("owner failed", func(t *testing.T) {
		ws := NewWatchSet()
		defer ws.Close()
		s.ServiceInstances("postgres", ws)
		s.SetState("agent-1", StateFailed)
		if !fired(ws) {
			t.Fatal("the owner's failure did not wake the service's watchers")
		}
		ins, _ := s.ServiceInstances("postgres", nil)
		if len(ins) != 1 || ins[0].Status() != StatusCritical || ins[0].Checks[0].CheckID != OwnerCheckID {
			t.Fatalf("instances: %+v", ins)
		}
		if eps := s.AppendEndpoints(nil, "postgres", "", false); len(eps) != 0 {
			t.Fatalf("answered while the owner is failed: %+v", eps)
		}
		s.SetState("agent-1", StateAlive)
	})
	t.Run("critical check", func(t *testing.T) {
		s.ApplyDelta("agent-1", Delta{From: Version{1, 1}, To: Version{1, 2}, Nodes: []ExternalNode{extDB("10.0.0.5", StatusCritical)}})
		if eps := s.AppendEndpoints(nil, "postgres", "", false); len(eps) != 0 {
			t.Fatalf("answered with a critical check: %+v", eps)
		}
		cs, _ := s.NodeChecks("RDS-1", nil)
		if len(cs) != 1 || cs[0].Node != "RDS-1" || cs[0].ServiceName != "postgres" {
			t.Fatalf("node checks: %+v", cs)
		}
	})
	t.Run("a member of the same name hides it", func(t *testing.T) {
		s.Upsert(node("rds-1", "127.0.0.9", StateAlive))
		if ins, _ := s.ServiceInstances("postgres", nil); len(ins) != 0 {
			t.Fatalf("instances: %+v", ins)
		}
		s.RemoveNode("rds-1")
		if ins, _ := s.ServiceInstances("postgres", nil); len(ins) != 1 {
			t.Fatalf("instances after the member went: %+v", ins)
		}
	})
	t.Run("two owners: the first by name is seen", func(t *testing.T) {
		s.Upsert(node("agent-0", "127.0.0.2", StateAlive))
		other := extDB("10.0.0.6", "")
		s.ReplaceRecordSet("agent-0", Version{1, 1}, nil, nil, []ExternalNode{other})
		if owner, _ := s.ExternalOwner("rds-1"); owner != "agent-0" {
			t.Fatalf("owner %q", owner)
		}
		if ins, _ := s.ServiceInstances("postgres", nil); len(ins) != 1 || ins[0].Node.ExternalAddress != "10.0.0.6" {
			t.Fatalf("instances: %+v", ins)
		}
		s.ReplaceRecordSet("agent-0", Version{1, 2}, nil, nil, nil)
		if owner, _ := s.ExternalOwner("rds-1"); owner != "agent-1" {
			t.Fatalf("owner after agent-0 dropped it: %q", owner)
		}
	})
	t.Run("owner leaves", func(t *testing.T) {
		s.SetState("agent-1", StateLeft)
		if nodes, _ := s.CatalogNodes(nil); len(nodes) != 1 {
			t.Fatalf("catalog nodes: %+v", nodes)
		}
		if ins, _ := s.ServiceInstances("postgres", nil); len(ins) != 0 {
			t.Fatalf("instances: %+v", ins)
		}
		if _, ok := s.ExternalOwner("rds-1"); ok {
			t.Fatal("still owned")
		}
	})
}

func TestExternalNodeWithHostName(t *testing.T) {
	s := NewStore()
	s.Upsert(node("agent-1", "127.0.0.1", StateAlive))
	s.ReplaceRecordSet("agent-1", Version{1, 1}, nil, nil, []ExternalNode{extDB("db.example.com", "")})
	eps := s.AppendEndpoints(nil, "postgres", "", false)
	if len(eps) != 1 || eps[0].Address != "db.example.com" || eps[0].NodeAddr.IsValid() {
		t.Fatalf("endpoints: %+v", eps)
	}
	var n Node
	if s.LookupExternalInto("rds-1", &n) {
		t.Fatal("a host-name node answered a node lookup")
	}
	if got := s.ExternalNodes("agent-1"); len(got) != 1 || got[0].Address != "db.example.com" || len(got[0].Services) != 1 {
		t.Fatalf("external nodes: %+v", got)
	}
}
