//go:build race

package suite_test

// raceEnabled: the race detector makes the big messages of category 9 too
// slow, so race runs use the quick case subset.
const raceEnabled = true
