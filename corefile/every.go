package corefile

import "time"

// every calls f every d until stop closes: the loop of the process-wide
// settings that follow the process while a Server runs (the stack
// reserve, the garbage collector's target).
func every(d time.Duration, stop <-chan struct{}, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			f()
		}
	}
}

// isClosed reports whether c is closed.
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
