package catalog

import "testing"

func TestRemoveNodeIf(t *testing.T) {
	s := NewStore()
	s.Upsert(node("Web-1", "127.0.0.1", StateAlive))
	ws := NewWatchSet()
	defer ws.Close()
	s.NodesIndex(ws)
	before := s.Index()

	keepAlive := func(cur Node) bool { return cur.State == StateAlive }
	if got, removed := s.RemoveNodeIf("WEB-1", keepAlive); removed || got.Name != "Web-1" {
		t.Fatalf("alive node: got %q, removed %v; want it kept and returned", got.Name, removed)
	}
	if s.Index() != before || fired(ws) {
		t.Fatalf("a kept node changed the index (%d → %d) or woke the watch", before, s.Index())
	}
	s.SetState("web-1", StateFailed)
	if got, removed := s.RemoveNodeIf("web-1", keepAlive); !removed || got.State != StateFailed {
		t.Fatalf("failed node: got %+v, removed %v; want it removed", got, removed)
	}
	if _, ok := s.LookupFold("Web-1"); ok {
		t.Error("the node is still there")
	}
	if !fired(ws) || s.Index() <= before {
		t.Error("the removal did not raise the index or wake the node list's watch")
	}
	if _, removed := s.RemoveNodeIf("nobody", func(Node) bool { return false }); removed {
		t.Error("removed a node that does not exist")
	}
}
