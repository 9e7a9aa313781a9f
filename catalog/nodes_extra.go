package catalog

import "strings"

// RemoveNodeIf drops the node called name (compared without regard to
// case) and its records when keep returns false for it, deciding and
// removing under one hold of the store's write lock, as UpdateNode does
// for writes. keep receives a copy of the node and must not call the
// store. RemoveNodeIf returns the node as it was and whether it was
// removed; the zero Node and false when there was none.
func (s *Store) RemoveNodeIf(name string, keep func(cur Node) bool) (Node, bool) {
	key := strings.ToLower(name)
	s.mu.Lock()
	n, ok := s.nodes[key]
	if !ok {
		s.mu.Unlock()
		return Node{}, false
	}
	cur := *n
	if keep(cur) {
		s.mu.Unlock()
		return cur, false
	}
	t := s.begin()
	s.removeLocked(t, key)
	s.unlockAndNotify(t.commit())
	return cur, true
}
