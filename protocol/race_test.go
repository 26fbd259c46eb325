//go:build race

package protocol_test

// raceEnabled reports whether the race detector is on; it allocates (and
// sync.Pool drops items at random), so allocation counts are not checked.
const raceEnabled = true
