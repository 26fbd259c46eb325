// Package bench compares hybi with the other Go WebSocket libraries —
// gorilla/websocket, coder/websocket, gobwas/ws and lxzan/gws — on the same
// scenarios, side by side, in one run: masking, frame headers, echo round
// trips and pipelined throughput over loopback TCP, the server's cost alone
// against a fixed raw-frame client, memory per idle connection, handshakes
// per second, and the same with permessage-deflate.
//
// It is a module of its own, so that the main module never requires the
// peers. The benchmarks live in the test files; every library is used the
// way its documentation recommends for speed, through the small adapters in
// this package (one echo server and one client per library and style).
//
// Run everything and regenerate README.md with
//
//	go run ./cmd/benchrun          # full run, -count 6
//	go run ./cmd/benchrun -quick   # a smoke run in about two minutes
package bench
