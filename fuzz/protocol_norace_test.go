//go:build !race

package fuzz

const protoRace = false
