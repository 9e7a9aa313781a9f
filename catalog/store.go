package catalog

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
)

// Store is the catalog of one agent. It is safe for concurrent use; node
// lookups take a read lock and never allocate.
type Store struct {
	// mu guards every field from index to onChange. Writers hold it for
	// the whole decide-and-write, readers for the whole read and the
	// registration of their watch set.
	mu        sync.RWMutex
	index     uint64                          // the last write's index
	base      uint64                          // the index at start: the least index of any result
	nodes     map[string]*Node                // lower-case name → node
	byAddr    map[netip.Addr]string           // advertised address → lower-case name, for PTR
	records   map[string]*records             // lower-case node name → the services and checks it owns
	byService map[string]map[instanceRef]bool // lower-case service name → its instances
	ext       map[string]*extNode             // lower-case name → the external node readers see (external.go)
	keyIdx    map[Key]uint64                  // key → index of its last change
	onChange  func(name string, from, to State)

	// watchMu guards waiters. It is taken inside mu, never the other way.
	watchMu sync.Mutex
	waiters map[Key]map[*WatchSet]struct{}
}

// instanceRef names one service instance: its node (lower case) and ID.
type instanceRef struct{ node, id string }

// NewStore returns an empty store whose index is seeded from the clock, in
// microseconds since the Unix epoch, so that it keeps growing across
// restarts even without a data dir (a restart would have to come more
// than a second after a million writes a second to go backwards; with a
// data dir SetIndexFloor rules that out too).
func NewStore() *Store {
	seed := uint64(max(time.Now().UnixMicro(), 1))
	return &Store{
		index: seed, base: seed,
		nodes: map[string]*Node{}, byAddr: map[netip.Addr]string{},
		records: map[string]*records{}, byService: map[string]map[instanceRef]bool{}, ext: map[string]*extNode{},
		keyIdx: map[Key]uint64{}, waiters: map[Key]map[*WatchSet]struct{}{},
	}
}

// SetIndexFloor raises the index to at least floor (an index persisted by
// an earlier run) and makes it the least index of any result.
func (s *Store) SetIndexFloor(floor uint64) {
	s.mu.Lock()
	if floor > s.index {
		s.index = floor
	}
	s.base = max(s.base, s.index)
	s.mu.Unlock()
}

// SetOnChange sets a hook called after every node state transition with
// the old and new state (StateNone when there was no entry or none is
// left). It runs under no lock of the store, on the writer's goroutine:
// it must not block. Set it before the first write.
func (s *Store) SetOnChange(fn func(name string, from, to State)) {
	s.mu.Lock()
	s.onChange = fn
	s.mu.Unlock()
}

// Index returns the index of the last write: every change a reader could
// see raised it. It is never 0 and never goes backwards.
func (s *Store) Index() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.index
}

// Serial returns the zone's SOA serial: the index on 32 bits, compared by
// resolvers with RFC 1982 serial arithmetic, which a wrap keeps correct as
// long as fewer than 2³¹ writes fall between two reads of the SOA.
func (s *Store) Serial() uint32 { return uint32(s.Index()) }

// tx is one write in progress: the index it will have and the keys it
// touched. Create it with begin under s.mu's write lock and end it with
// commit before unlocking.
type tx struct {
	s       *Store
	next    uint64
	touched map[Key]struct{}
	events  []stateEvent
}

type stateEvent struct {
	name     string
	from, to State
}

func (s *Store) begin() *tx { return &tx{s: s, next: s.index + 1} }

func (t *tx) touch(keys ...Key) {
	if t.touched == nil {
		t.touched = map[Key]struct{}{}
	}
	for _, k := range keys {
		t.touched[k] = struct{}{}
	}
}

// commit raises the index if anything was touched and wakes the watchers.
// It returns the events for the onChange hook, to run after unlocking.
func (t *tx) commit() []stateEvent {
	if len(t.touched) == 0 {
		return nil
	}
	s := t.s
	s.index = t.next
	for k := range t.touched {
		s.keyIdx[k] = t.next
	}
	s.wake(t.touched)
	return t.events
}

// unlockAndNotify releases the write lock and runs the onChange hook.
func (s *Store) unlockAndNotify(events []stateEvent) {
	hook := s.onChange
	s.mu.Unlock()
	if hook == nil {
		return
	}
	for _, e := range events {
		hook(e.name, e.from, e.to)
	}
}

// touchNode records that node key (lower case) changed in a way readers
// of the node, of the node list, of every check and of every service on
// the node can see.
func (t *tx) touchNode(key string) {
	t.touch(KeyNodes, Key("node/"+key), Key("noderec/"+key), KeyChecks)
	if r := t.s.records[key]; r != nil {
		for _, svc := range r.services {
			t.touch(KeyService(svc.Name))
		}
		for _, e := range r.nodes {
			t.touchExt(e)
		}
	}
	if e := t.s.ext[key]; e != nil {
		t.touchExt(e) // a member of the same name hides it, or stops hiding it
	}
}

// UpdateNode is the one write path for a node. fn receives the node called
// name (compared without regard to case), or nil when there is none, and
// returns the node to store and whether to store it. fn runs under the
// store's write lock and must not call the store. A zero StateChanged is
// set to now, or kept from the old entry when the state is unchanged. A
// node that becomes left loses its services and checks. UpdateNode
// returns the stored node and whether anything changed.
func (s *Store) UpdateNode(name string, fn func(cur *Node) (Node, bool)) (Node, bool) {
	key := strings.ToLower(name)
	s.mu.Lock()
	old := s.nodes[key]
	var cur *Node
	if old != nil {
		cp := *old
		cur = &cp
	}
	next, write := fn(cur)
	if !write || (old != nil && old.sameAs(&next)) {
		s.mu.Unlock()
		if old != nil {
			return *old, false
		}
		return Node{}, false
	}
	t := s.begin()
	from := StateNone
	if old != nil {
		from = old.State
		next.CreateIndex = old.CreateIndex
		if next.StateChanged.IsZero() || old.State == next.State {
			next.StateChanged = old.StateChanged
		}
		if s.byAddr[old.Addr] == key {
			delete(s.byAddr, old.Addr)
		}
	} else {
		next.CreateIndex = t.next
	}
	if next.StateChanged.IsZero() {
		next.StateChanged = time.Now()
	}
	next.ModifyIndex = t.next
	t.touchNode(key)
	s.nodes[key] = &next
	if next.Addr.IsValid() {
		s.byAddr[next.Addr] = key
	}
	if next.State == StateLeft {
		s.dropRecords(t, key)
	}
	if from != next.State {
		t.events = append(t.events, stateEvent{next.Name, from, next.State})
	}
	s.unlockAndNotify(t.commit())
	return next, true
}

// Upsert records n, replacing any node of the same name (compared without
// regard to case). It is UpdateNode for a writer that needs no decision.
func (s *Store) Upsert(n Node) {
	s.UpdateNode(n.Name, func(*Node) (Node, bool) { return n, true })
}

// SetState changes the state of an existing node and reports whether it
// did.
func (s *Store) SetState(name string, st State) bool {
	_, changed := s.UpdateNode(name, func(cur *Node) (Node, bool) {
		if cur == nil || cur.State == st {
			return Node{}, false
		}
		n := *cur
		n.State, n.StateChanged = st, time.Now()
		return n, true
	})
	return changed
}

// RemoveNode drops a node and its records (reaping, force-leave -prune)
// and reports whether there was one.
func (s *Store) RemoveNode(name string) bool {
	key := strings.ToLower(name)
	s.mu.Lock()
	t := s.begin()
	ok := s.removeLocked(t, key)
	s.unlockAndNotify(t.commit())
	return ok
}

// Remove is RemoveNode, under the member table's old name.
func (s *Store) Remove(name string) bool { return s.RemoveNode(name) }

func (s *Store) removeLocked(t *tx, key string) bool {
	n, ok := s.nodes[key]
	if !ok {
		return false
	}
	t.touchNode(key)
	s.dropRecords(t, key)
	delete(s.nodes, key)
	if s.byAddr[n.Addr] == key {
		delete(s.byAddr, n.Addr)
	}
	t.events = append(t.events, stateEvent{n.Name, n.State, StateNone})
	return true
}

// ReapNodes removes failed nodes whose state is older than reconnect and
// left ones older than tombstone, with their records, and returns them.
func (s *Store) ReapNodes(now time.Time, reconnect, tombstone time.Duration) []Node {
	var gone []Node
	s.mu.Lock()
	t := s.begin()
	for key, n := range s.nodes {
		age := now.Sub(n.StateChanged)
		if (n.State == StateFailed && age > reconnect) || (n.State == StateLeft && age > tombstone) {
			gone = append(gone, *n)
			s.removeLocked(t, key)
		}
	}
	s.unlockAndNotify(t.commit())
	return gone
}

// Lookup returns the node called name. The name must already be lower
// case (DNS names arrive lower-cased); callers with mixed-case input use
// LookupFold.
func (s *Store) Lookup(name string) (Node, bool) {
	s.mu.RLock()
	n, ok := s.nodes[name]
	var cp Node
	if ok {
		cp = *n
	}
	s.mu.RUnlock()
	return cp, ok
}

// LookupInto copies the node called name (lower case) into dst and
// reports whether there is one. It lets a caller keep the copy off its
// own stack frame.
func (s *Store) LookupInto(name string, dst *Node) bool {
	s.mu.RLock()
	n, ok := s.nodes[name]
	if ok {
		*dst = *n
	}
	s.mu.RUnlock()
	return ok
}

// LookupFold is Lookup for a name in any case.
func (s *Store) LookupFold(name string) (Node, bool) { return s.Lookup(strings.ToLower(name)) }

// LookupAddr returns the node advertising addr, for reverse lookups.
func (s *Store) LookupAddr(addr netip.Addr) (Node, bool) {
	s.mu.RLock()
	var cp Node
	key, ok := s.byAddr[addr.Unmap()]
	if ok {
		cp = *s.nodes[key]
	}
	s.mu.RUnlock()
	return cp, ok
}

// Members returns a copy of every node, left and failed ones included,
// sorted by name.
func (s *Store) Members() []Node {
	out, _ := s.AllNodes(nil)
	return out
}

// AllNodes returns every node, sorted by name, and the index of the node
// list, registering ws on it.
func (s *Store) AllNodes(ws *WatchSet) ([]Node, uint64) {
	s.mu.RLock()
	out := make([]Node, 0, len(s.nodes))
	for _, n := range s.nodes {
		out = append(out, *n)
	}
	idx := s.watch(ws, KeyNodes)
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Node) int { return strings.Compare(a.Name, b.Name) })
	return out, idx
}

// Count returns how many nodes are in state st, optionally only those of
// datacenter dc ("" for all) and role r ("" for all).
func (s *Store) Count(st State, dc string, r Role) int {
	c := 0
	s.mu.RLock()
	for _, n := range s.nodes {
		if n.State == st && (dc == "" || n.Datacenter == dc) && (r == "" || n.Role == r) {
			c++
		}
	}
	s.mu.RUnlock()
	return c
}

// Each calls fn for every node under the read lock, without copying. fn
// must not keep the pointer or call back into the store.
func (s *Store) Each(fn func(*Node)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, n := range s.nodes {
		fn(n)
	}
}

// NodesIndex returns the index of the node list and registers ws on it:
// background tasks that follow the table (gauges, datacenter lists,
// snapshots) wait on ws instead of polling.
func (s *Store) NodesIndex(ws *WatchSet) uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.watch(ws, KeyNodes)
}
