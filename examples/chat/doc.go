// Command chat is a small chat room: it serves a web page and a WebSocket
// endpoint, and broadcasts every message a client sends to all connected
// clients.
//
//	go run ./examples/chat -addr 127.0.0.1:8080
//
// then open http://127.0.0.1:8080/ in a few browser tabs.
//
// It shows what a real server has to take care of:
//
//   - Slow clients do not stall the others: the room is a broadcast.Hub,
//     which frames and compresses each message once, gives each client a
//     bounded send queue and a writer of its own, and closes one that falls
//     too far behind with 1008 (policy violation) and a reason.
//   - Dead clients are reaped by hybi's built-in keepalive: the server pings
//     every 25 s and drops a client that does not answer. The page sends no
//     heartbeat of its own: browsers answer pings themselves.
//   - On SIGINT or SIGTERM every client is closed with 1001 "going away",
//     with a complete close handshake, before the process exits.
//
// The page shows the connection state, the code, reason and wasClean of each
// close, and reconnects with exponential backoff and jitter. Messages go
// through a broker (package broker), which numbers them: the page keeps the
// position of the last one it got and reconnects with it (/ws?since=), and
// gets what it missed, or hears that it is lost. GET /status says whether
// the broker is reachable.
//
// This command runs one node, on the in-memory broker. The same server on
// Redis, for several nodes behind a load balancer, is the command
// github.com/hybi/ws/redisbroker/cmd/chat, with the flag -redis ADDR; it
// lives in the redisbroker module so that this module does not depend on a
// Redis client:
//
//	cd redisbroker && go run ./cmd/chat -addr 127.0.0.1:8080 -redis 127.0.0.1:6379
//
// The server itself is package chatserver, which both commands run.
package main
