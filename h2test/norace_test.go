//go:build !race

package h2test

const raceEnabled = false
