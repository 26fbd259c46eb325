//go:build race

package broadcast_test

// raceEnabled reports whether the race detector is on; it allocates.
const raceEnabled = true
