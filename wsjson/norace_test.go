//go:build !race

package wsjson_test

const raceEnabled = false
