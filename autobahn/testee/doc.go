// Package testee holds the Autobahn testees built on hybi's conn package:
// an echo server that sends every message back unchanged, and a testee
// client that drives an Autobahn fuzzing server (getCaseCount, runCase with
// echo, updateReports), as the real Autobahn|Testsuite expects its testees.
package testee
