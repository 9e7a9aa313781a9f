package checks

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discod/discod/servicedef"
)

// closedAddr returns a loopback TCP address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln := listen(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func openAddr(t *testing.T) string {
	t.Helper()
	ln := listen(t, "127.0.0.1:0")
	wait := acceptAll(ln)
	t.Cleanup(func() { ln.Close(); wait() })
	return ln.Addr().String()
}

func TestStartReplacesAndStopStops(t *testing.T) {
	open, closed := openAddr(t), closedAddr(t)
	r, rec := newTestRunner(t, Config{})
	r.Start(servicedef.Check{ID: "c", TCP: open, Interval: fast})
	rec.waitFor(t, "c", "passing")

	// Replaced: the old run's goroutine ends, and only the new definition
	// reports after that.
	old := r.lookup("c")
	r.Start(servicedef.Check{ID: "c", TCP: closed, Interval: fast})
	waitDone(t, old)
	n := rec.count("c")
	r.Start(servicedef.Check{ID: "canary", TCP: open, Interval: fast})
	rec.waitCount(t, "canary", 3)
	rec.waitCount(t, "c", n+1)
	rec.mu.Lock()
	for _, rep := range rec.history["c"][n:] {
		if rep.status != "critical" {
			t.Errorf("report %+v from the replaced definition", rep)
		}
	}
	rec.mu.Unlock()

	// Stopped: its goroutine ends and no report follows, while the
	// canary goes on.
	old = r.lookup("c")
	r.Stop("c")
	waitDone(t, old)
	n = rec.count("c")
	m := rec.count("canary")
	rec.waitCount(t, "canary", m+3)
	if got := rec.count("c"); got != n {
		t.Errorf("%d reports after Stop", got-n)
	}
	r.Stop("c") // stopping again, or an unknown check, is harmless
	r.Stop("never started")
}

// TestStopDoesNotWaitForResult stops a check from inside its own Result
// call, as a caller holding a lock that Result takes would: Stop must not
// wait for the call.
func TestStopDoesNotWaitForResult(t *testing.T) {
	open := openAddr(t)
	var r *Runner
	stopped := make(chan struct{})
	var once sync.Once
	r = New(Config{Result: func(id, _, _ string) {
		once.Do(func() {
			r.Stop(id) // would deadlock if Stop waited for this call
			close(stopped)
		})
	}})
	r.minInterval = time.Millisecond
	t.Cleanup(r.Close)
	r.Start(servicedef.Check{ID: "self", TCP: open, Interval: fast})
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop called from Result did not return")
	}
}

// waitDone waits up to 10 s for a started check's goroutine to end.
func waitDone(t *testing.T, c *running) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("check %q still runs 10s after it was stopped", c.def.ID)
	}
}

func TestHangingCheckDelaysNoOther(t *testing.T) {
	open := openAddr(t)
	// A script that sleeps, and an h2ping to a listener that never
	// answers, hold their checks until the timeout.
	hang := listen(t, "127.0.0.1:0")
	t.Cleanup(func() { hang.Close() })
	r, rec := newTestRunner(t, Config{})
	r.Start(servicedef.Check{ID: "script", Args: []string{"sleep", "60"}, Interval: fast, Timeout: time.Minute})
	r.Start(servicedef.Check{ID: "h2", H2PING: hang.Addr().String(), Interval: fast, Timeout: time.Minute})
	r.Start(servicedef.Check{ID: "ok", TCP: open, Interval: fast})
	rec.waitCount(t, "ok", 5)
	if n := rec.count("script") + rec.count("h2"); n != 0 {
		t.Errorf("%d reports from the hanging checks", n)
	}
	// Close cuts the hanging runs short and waits for them.
	r.Close()
	if n := rec.count("script") + rec.count("h2"); n != 0 {
		t.Errorf("%d reports from hanging checks stopped by Close", n)
	}
	r.Start(servicedef.Check{ID: "late", TCP: open, Interval: fast}) // ignored after Close
	if r.lookup("late") != nil {
		t.Error("a check started after Close")
	}
}

func TestUnrunnableDefinitions(t *testing.T) {
	r, rec := newTestRunner(t, Config{})
	tests := []struct {
		name string
		def  servicedef.Check
		text string
	}{
		{"no type", servicedef.Check{ID: "none", Interval: fast}, `check "none" has no type`},
		{"no interval", servicedef.Check{ID: "lazy", TCP: "127.0.0.1:1"}, `check "lazy": tcp check without an interval`},
		{"bad grpc target", servicedef.Check{ID: "g", GRPC: "/svc", Interval: fast}, `check "g": grpc target "/svc" has no host:port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.Start(tt.def)
			got := rec.waitFor(t, tt.def.ID, "critical")
			if !strings.Contains(got.output, tt.text) {
				t.Errorf("output %q does not contain %q", got.output, tt.text)
			}
		})
	}
}

func TestDampeningThroughRunner(t *testing.T) {
	ln := listen(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	wait := acceptAll(ln)
	r, rec := newTestRunner(t, Config{})
	r.Start(servicedef.Check{ID: "d", TCP: addr, Interval: fast, FailuresBeforeCritical: 3, SuccessBeforePassing: 2})
	rec.waitFor(t, "d", "passing")
	ln.Close()
	wait()
	rec.waitFor(t, "d", "critical")
	rec.mu.Lock()
	var statuses []string
	for _, rep := range rec.history["d"] {
		statuses = append(statuses, rep.status)
	}
	rec.mu.Unlock()
	// Passing, held passing (with the failures' output) twice, critical.
	got := strings.Join(statuses, " ")
	if !strings.HasSuffix(got, "passing passing passing critical") {
		t.Errorf("statuses %s: want two held failures before critical", got)
	}
	rec.mu.Lock()
	held := rec.history["d"][len(rec.history["d"])-2]
	rec.mu.Unlock()
	if !strings.Contains(held.output, "refused") {
		t.Errorf("a held run reports its own output; got %q", held.output)
	}
}

func TestFirstRunsSpreadOverTheInterval(t *testing.T) {
	const interval = 10 * time.Second
	lo, hi := interval, time.Duration(0)
	for range 1000 {
		d := firstDelay(interval)
		if d < 0 || d >= interval {
			t.Fatalf("first delay %s outside [0, %s)", d, interval)
		}
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo > interval/10 || hi < interval*9/10 {
		t.Errorf("1000 first delays within [%s, %s]: not spread over %s", lo, hi, interval)
	}
}
