package membership

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
)

// TestFollowNodes: followNodes calls at once, again after a change of the
// node list, never sooner than every after the last call however many
// changes come, and returns as soon as stop is closed.
func TestFollowNodes(t *testing.T) {
	table := NewTable()
	const every = 100 * time.Millisecond
	var (
		mu    sync.Mutex
		calls []time.Time
	)
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(calls)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		followNodes(table, every, stop, func() {
			mu.Lock()
			calls = append(calls, time.Now())
			mu.Unlock()
		})
	}()
	testproc.WaitFor(t, 5*time.Second, "the first call", func() bool { return count() == 1 })
	// Each change comes right after a call: the next call still waits out
	// the interval. A burst of changes gives one call more.
	for i := range 3 {
		table.Upsert(Member{Name: fmt.Sprintf("Web-%d", i), State: StateAlive})
		testproc.WaitFor(t, 5*time.Second, fmt.Sprintf("call %d after a change", i+2), func() bool { return count() == i+2 })
	}
	for i := range 20 {
		table.Upsert(Member{Name: fmt.Sprintf("DB-%d", i), State: StateAlive})
	}
	testproc.WaitFor(t, 5*time.Second, "a call after the burst", func() bool { return count() >= 5 })
	close(stop)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("followNodes did not return after stop")
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].Sub(calls[i-1]); gap < every {
			t.Errorf("calls %d and %d were %v apart; want at least %v", i-1, i, gap, every)
		}
	}
}
