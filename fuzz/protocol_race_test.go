//go:build race

package fuzz

// protoRace reports whether the race detector is on: it makes sync.Pool drop
// items at random, so the allocation bound of FuzzProtocolInput is not
// checked then.
const protoRace = true
