//go:build !race

package consulnode

// raceEnabled says the race detector is on (race_on_test.go).
const raceEnabled = false
