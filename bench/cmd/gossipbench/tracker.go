package main

import (
	"slices"
	"sync"
	"time"

	"github.com/discod/discod/catalog"
)

// tracker times changes of owners' records until every observer's store
// holds them. Each observer has one goroutine that waits on a catalog
// WatchSet over the records of the owners it still waits for, so a
// change is seen the moment the observer's store applies it, without
// polling.
type tracker struct {
	stores []*catalog.Store // one per observer
	names  []string         // the observers' node names

	mu      sync.Mutex
	pending []*change
	poke    []chan struct{} // one per observer: the pending list changed
	stop    chan struct{}
	wg      sync.WaitGroup
}

// change is one change of owner's records to version v, published at t0.
type change struct {
	owner string
	v     catalog.Version
	t0    time.Time
	// seen is when each observer first held v or newer (zero: not yet;
	// the owner's own entry is t0).
	seen []time.Time
	left int
	done chan struct{}
}

// all returns how long the last observer took, or -1 if one has not seen
// the change.
func (c *change) all() time.Duration {
	var last time.Time
	for _, s := range c.seen {
		if s.IsZero() {
			return -1
		}
		if s.After(last) {
			last = s
		}
	}
	return last.Sub(c.t0)
}

// observerDelays returns each other observer's delay, in seconds, sorted.
func (c *change) observerDelays(owner int) []float64 {
	var out []float64
	for i, s := range c.seen {
		if i != owner && !s.IsZero() {
			out = append(out, s.Sub(c.t0).Seconds())
		}
	}
	slices.Sort(out)
	return out
}

func newTracker(stores []*catalog.Store, names []string) *tracker {
	t := &tracker{stores: stores, names: names, stop: make(chan struct{})}
	// Every poke channel exists before the first observer reads t.poke.
	for range stores {
		t.poke = append(t.poke, make(chan struct{}, 1))
	}
	for i := range stores {
		t.wg.Add(1)
		go t.observe(i)
	}
	return t
}

// close stops the observers.
func (t *tracker) close() {
	close(t.stop)
	t.wg.Wait()
}

// expect registers a change of owner (an observer index, whose own store
// already holds it) to v, published now.
func (t *tracker) expect(owner int, v catalog.Version, t0 time.Time) *change {
	c := &change{owner: t.names[owner], v: v, t0: t0, seen: make([]time.Time, len(t.stores)), left: len(t.stores) - 1, done: make(chan struct{})}
	c.seen[owner] = t0
	t.mu.Lock()
	t.pending = append(t.pending, c)
	t.mu.Unlock()
	for _, p := range t.poke {
		select {
		case p <- struct{}{}:
		default:
		}
	}
	return c
}

// forget drops changes still pending (those that timed out).
func (t *tracker) forget() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.pending)
	t.pending = nil
	return n
}

func (t *tracker) observe(i int) {
	defer t.wg.Done()
	st := t.stores[i]
	var keys []catalog.Key
	for {
		ws := catalog.NewWatchSet()
		keys = keys[:0]
		t.mu.Lock()
		// Watch first, then read: a write after the read wakes ws.
		for _, c := range t.pending {
			if k := catalog.KeyNodeRecords(c.owner); c.seen[i].IsZero() && !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		if len(keys) > 0 {
			st.Watch(ws, keys...)
		}
		now := time.Now()
		kept := t.pending[:0]
		for _, c := range t.pending {
			if c.seen[i].IsZero() && !st.RecordsVersion(c.owner).Less(c.v) {
				c.seen[i] = now
				c.left--
			}
			if c.left == 0 {
				close(c.done)
				continue
			}
			kept = append(kept, c)
		}
		clear(t.pending[len(kept):])
		t.pending = kept
		t.mu.Unlock()
		select {
		case <-ws.C():
		case <-t.poke[i]:
		case <-t.stop:
			ws.Close()
			return
		}
		ws.Close()
	}
}
