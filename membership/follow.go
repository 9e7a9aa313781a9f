package membership

import (
	"time"

	"github.com/discod/discod/catalog"
)

// followNodes calls fn at once and then after every change of t's node
// list, waiting on a catalog watch set rather than polling, and no more
// often than once per every: changes that come sooner are gathered into
// one call when every has passed. It returns when stop is closed, at once
// even while it waits. The watch is registered before fn reads the table,
// so a change during fn is never missed.
func followNodes(t *Table, every time.Duration, stop <-chan struct{}, fn func()) {
	for {
		ws := catalog.NewWatchSet()
		t.NodesIndex(ws)
		next := time.Now().Add(every)
		fn()
		select {
		case <-stop:
			ws.Close()
			return
		case <-ws.C():
		}
		ws.Close()
		if wait := time.Until(next); wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-stop:
				timer.Stop()
				return
			case <-timer.C:
			}
		}
	}
}
