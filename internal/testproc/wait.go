package testproc

import (
	"testing"
	"time"
)

// WaitFor polls cond until it holds, for at most d, and fails the test
// naming what it waited for when it does not. It is the one bounded wait
// of discod's tests: it polls every 10 ms for the first second and every
// 50 ms after, so a quick condition is seen quickly and a slow one does
// not take the CPU from what it waits for.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		if time.Since(start) < time.Second {
			time.Sleep(10 * time.Millisecond)
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
}
