//go:build race && !js

package conn

// raceEnabled reports whether the race detector is on; it allocates, so
// allocation counts are not checked then.
const raceEnabled = true
