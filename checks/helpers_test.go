package checks

import (
	"sync"
	"testing"
	"time"
)

// report is one Result call.
type report struct {
	id, status, output string
}

// recorder collects a Runner's reports.
type recorder struct {
	mu      sync.Mutex
	last    map[string]report
	counts  map[string]int
	history map[string][]report
}

func newRecorder() *recorder {
	return &recorder{last: map[string]report{}, counts: map[string]int{}, history: map[string][]report{}}
}

func (rec *recorder) result(id, status, output string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	r := report{id, status, output}
	rec.last[id] = r
	rec.counts[id]++
	rec.history[id] = append(rec.history[id], r)
}

func (rec *recorder) count(id string) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.counts[id]
}

func (rec *recorder) lastOf(id string) (report, bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	r, ok := rec.last[id]
	return r, ok
}

// waitFor polls until id's last report has status, for up to 10 s, and
// returns that report.
func (rec *recorder) waitFor(t *testing.T, id, status string) report {
	t.Helper()
	return rec.waitUntil(t, id, "status "+status, func(r report) bool { return r.status == status })
}

// waitUntil polls until id's last report satisfies ok, for up to 10 s.
func (rec *recorder) waitUntil(t *testing.T, id, what string, ok func(report) bool) report {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, seen := rec.lastOf(id)
		if seen && ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("check %q: no report with %s within 10s; last: %+v (seen %v)", id, what, r, seen)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitCount polls until id has at least n reports, for up to 10 s.
func (rec *recorder) waitCount(t *testing.T, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for rec.count(id) < n {
		if time.Now().After(deadline) {
			t.Fatalf("check %q: %d reports within 10s, want %d", id, rec.count(id), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// newTestRunner returns a Runner reporting to a recorder, with short
// minimum intervals, closed when the test ends.
func newTestRunner(t *testing.T, cfg Config) (*Runner, *recorder) {
	t.Helper()
	rec := newRecorder()
	cfg.Result = rec.result
	r := New(cfg)
	r.minInterval = time.Millisecond
	r.aliasEvery = 10 * time.Millisecond
	t.Cleanup(r.Close)
	return r, rec
}

// fast is the interval of test checks.
const fast = 20 * time.Millisecond
