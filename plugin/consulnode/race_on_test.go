//go:build race

package consulnode

// raceEnabled says the race detector is on: sync.Pool then drops a
// random quarter of what is put back, so pooled buffers are sometimes
// allocated again.
const raceEnabled = true
