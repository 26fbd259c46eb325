//go:build !race

package testee_test

const raceEnabled = false
