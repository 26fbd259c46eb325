// Package testee holds the Autobahn testees built on hybi's conn package:
// an echo server that sends every message back unchanged, and a testee
// client that drives an Autobahn fuzzing server (getCaseCount, runCase with
// echo, updateReports), as the real Autobahn|Testsuite expects its testees.
// Both negotiate permessage-deflate with hybi's defaults (the compression
// categories 12 and 13): the server accepts the first acceptable offer,
// the client offers the extension without requests of its own and accepts
// any valid response.
package testee
