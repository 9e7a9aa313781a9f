package membership

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Table is the member table: every member this agent has heard of, alive,
// failed or left, keyed by lower-case name. It is safe for concurrent use;
// lookups take a read lock and never allocate.
type Table struct {
	// generation counts changes; the DNS plugin uses it as the SOA serial.
	generation atomic.Uint32

	// mu guards byName and byAddr.
	mu     sync.RWMutex
	byName map[string]*Member    // lower-case name → member
	byAddr map[netip.Addr]string // advertised address → lower-case name, for PTR

	// onChange, if set, is called after every change with the old and new
	// state (StateNone when there was no entry). It runs under no lock of the
	// table but on memberlist's event path: it must not block.
	onChange func(name string, from, to State)
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{byName: map[string]*Member{}, byAddr: map[netip.Addr]string{}}
}

// Upsert records m, replacing any entry of the same name (compared without
// regard to case). A zero StateChanged is set to now. It is the one write
// path: gossip events, tests and benchmarks all go through it.
func (t *Table) Upsert(m Member) {
	if m.StateChanged.IsZero() {
		m.StateChanged = time.Now()
	}
	key := strings.ToLower(m.Name)
	t.mu.Lock()
	old, had := t.byName[key]
	from := StateNone
	if had {
		from = old.State
		if old.State == m.State {
			m.StateChanged = old.StateChanged // a metadata update is no state change
		}
		if t.byAddr[old.Addr] == key {
			delete(t.byAddr, old.Addr)
		}
	}
	t.byName[key] = &m
	if m.Addr.IsValid() {
		t.byAddr[m.Addr] = key
	}
	t.mu.Unlock()
	t.generation.Add(1)
	if t.onChange != nil {
		t.onChange(m.Name, from, m.State)
	}
}

// setState changes the state of an existing member and reports whether it
// did.
func (t *Table) setState(name string, s State) bool {
	key := strings.ToLower(name)
	t.mu.Lock()
	m, ok := t.byName[key]
	if !ok || m.State == s {
		t.mu.Unlock()
		return false
	}
	from := m.State
	cp := *m
	cp.State, cp.StateChanged = s, time.Now()
	t.byName[key] = &cp
	t.mu.Unlock()
	t.generation.Add(1)
	if t.onChange != nil {
		t.onChange(cp.Name, from, s)
	}
	return true
}

// Remove drops a member from the table (reaping, force-leave -prune).
func (t *Table) Remove(name string) bool {
	key := strings.ToLower(name)
	t.mu.Lock()
	m, ok := t.byName[key]
	if ok {
		delete(t.byName, key)
		if t.byAddr[m.Addr] == key {
			delete(t.byAddr, m.Addr)
		}
	}
	t.mu.Unlock()
	if ok {
		t.generation.Add(1)
		if t.onChange != nil {
			t.onChange(m.Name, m.State, StateNone)
		}
	}
	return ok
}

// Lookup returns the member called name. The name must already be lower
// case (DNS names arrive lower-cased from CoreDNS's request.Name); callers
// with mixed-case input use LookupFold.
func (t *Table) Lookup(name string) (Member, bool) {
	t.mu.RLock()
	m, ok := t.byName[name]
	var cp Member
	if ok {
		cp = *m
	}
	t.mu.RUnlock()
	return cp, ok
}

// LookupFold is Lookup for a name in any case.
func (t *Table) LookupFold(name string) (Member, bool) {
	return t.Lookup(strings.ToLower(name))
}

// LookupAddr returns the member advertising addr, for reverse lookups.
func (t *Table) LookupAddr(addr netip.Addr) (Member, bool) {
	t.mu.RLock()
	var cp Member
	key, ok := t.byAddr[addr.Unmap()]
	if ok {
		cp = *t.byName[key]
	}
	t.mu.RUnlock()
	return cp, ok
}

// Members returns a copy of every entry, sorted by name.
func (t *Table) Members() []Member {
	t.mu.RLock()
	out := make([]Member, 0, len(t.byName))
	for _, m := range t.byName {
		out = append(out, *m)
	}
	t.mu.RUnlock()
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Count returns how many members are in state s, optionally only those of
// datacenter dc ("" for all) and role r ("" for all).
func (t *Table) Count(s State, dc string, r Role) int {
	n := 0
	t.mu.RLock()
	for _, m := range t.byName {
		if m.State == s && (dc == "" || m.Datacenter == dc) && (r == "" || m.Role == r) {
			n++
		}
	}
	t.mu.RUnlock()
	return n
}

// Generation returns a number that changes whenever the table does. It
// starts at 1 so a serial of 0 is never seen.
func (t *Table) Generation() uint32 { return t.generation.Load() + 1 }

// reap removes failed members older than reconnect and left members older
// than tombstone, and returns them.
func (t *Table) reap(now time.Time, reconnect, tombstone time.Duration) []Member {
	var gone []Member
	t.mu.Lock()
	for key, m := range t.byName {
		age := now.Sub(m.StateChanged)
		if (m.State == StateFailed && age > reconnect) || (m.State == StateLeft && age > tombstone) {
			gone = append(gone, *m)
			delete(t.byName, key)
			if t.byAddr[m.Addr] == key {
				delete(t.byAddr, m.Addr)
			}
		}
	}
	t.mu.Unlock()
	for _, m := range gone {
		t.generation.Add(1)
		if t.onChange != nil {
			t.onChange(m.Name, m.State, StateNone)
		}
	}
	return gone
}

// each calls fn for every entry under the read lock, without copying the
// table. fn must not call back into the table.
func (t *Table) each(fn func(*Member)) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, m := range t.byName {
		fn(m)
	}
}
