package catalog

import (
	"context"
	"strings"
)

// Key names a part of the catalog that a result depends on. Every write
// touches the keys of what it changed: their index becomes the write's, and
// every WatchSet registered on one of them is woken.
type Key string

// The keys. Per-name keys fold case, as every lookup does.
const (
	// KeyNodes is the node list (any node added, changed or removed).
	KeyNodes Key = "nodes"
	// KeyServices is the set of service names and their tags.
	KeyServices Key = "services"
	// KeyChecks is every check of every node, the synthetic ones included.
	KeyChecks Key = "checks"
)

// KeyNode is one node's row.
func KeyNode(name string) Key { return Key("node/" + strings.ToLower(name)) }

// KeyNodeRecords is the services and checks one node owns.
func KeyNodeRecords(name string) Key { return Key("noderec/" + strings.ToLower(name)) }

// KeyService is every instance of one service name: the instances, their
// checks and the nodes they run on.
func KeyService(name string) Key { return Key("service/" + strings.ToLower(name)) }

// WatchSet collects the keys a query read and, once registered by the
// query, is woken when any of them changes. Use one WatchSet per attempt of
// a blocking read and Close it when done; the zero value is not usable
// (NewWatchSet).
type WatchSet struct {
	keys []Key
	ch   chan struct{} // capacity 1: a wake-up is never lost, never blocks the writer
	s    *Store        // the store it is registered with, nil before
}

// NewWatchSet returns an empty watch set.
func NewWatchSet() *WatchSet { return &WatchSet{ch: make(chan struct{}, 1)} }

// C receives a value once any watched key changes after registration.
func (w *WatchSet) C() <-chan struct{} { return w.ch }

// Wait blocks until a watched key changes (nil) or ctx ends (ctx.Err()).
func (w *WatchSet) Wait(ctx context.Context) error {
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Keys returns the keys registered so far.
func (w *WatchSet) Keys() []Key { return w.keys }

// Close unregisters the set from its store. It is idempotent; a nil
// WatchSet is fine.
func (w *WatchSet) Close() {
	if w == nil || w.s == nil {
		return
	}
	s := w.s
	s.watchMu.Lock()
	for _, k := range w.keys {
		if set := s.waiters[k]; set != nil {
			delete(set, w)
			if len(set) == 0 {
				delete(s.waiters, k)
			}
		}
	}
	s.watchMu.Unlock()
	w.s = nil
}

// watch registers ws (which may be nil) on keys and returns the index of a
// result that depends on them: the highest index at which any of them
// changed, and at least the store's base index. It must be called with
// s.mu held (read or write), so that no write can fall between the read
// and the registration.
func (s *Store) watch(ws *WatchSet, keys ...Key) uint64 {
	idx := s.base
	for _, k := range keys {
		idx = max(idx, s.keyIdx[k])
	}
	if ws == nil {
		return idx
	}
	s.watchMu.Lock()
	ws.s = s
	for _, k := range keys {
		set := s.waiters[k]
		if set == nil {
			set = map[*WatchSet]struct{}{}
			s.waiters[k] = set
		}
		if _, dup := set[ws]; !dup {
			set[ws] = struct{}{}
			ws.keys = append(ws.keys, k)
		}
	}
	s.watchMu.Unlock()
	return idx
}

// wake signals every watch set registered on the touched keys. It runs
// under s.mu's write lock.
func (s *Store) wake(keys map[Key]struct{}) {
	s.watchMu.Lock()
	for k := range keys {
		for ws := range s.waiters[k] {
			select {
			case ws.ch <- struct{}{}:
			default:
			}
		}
	}
	s.watchMu.Unlock()
}

// Watchers returns how many watch sets are registered now (a gauge).
func (s *Store) Watchers() int {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	seen := map[*WatchSet]struct{}{}
	for _, set := range s.waiters {
		for ws := range set {
			seen[ws] = struct{}{}
		}
	}
	return len(seen)
}

// Watch registers ws on keys without reading anything and returns the
// index of a result that depends on them. Background tasks use it to wait
// for the next change of a part of the catalog.
func (s *Store) Watch(ws *WatchSet, keys ...Key) uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.watch(ws, keys...)
}
