// Command echo is the smallest hybi server and client.
//
// As a server it echoes every message it receives, at any path:
//
//	go run ./examples/echo -addr 127.0.0.1:8080        # ws://127.0.0.1:8080/
//	go run ./examples/echo -addr 127.0.0.1:8443 -tls   # wss:// with a self-signed certificate
//
// The server is an http.Server with a ReadHeaderTimeout (10 s, set with
// -read-header-timeout), which cuts off clients that send their handshake
// slowly to hold connections open (slowloris); see newServer.
//
// As a client it sends a few text and binary messages, checks each echo and
// closes with 1000; it exits 0 only when every echo matched and the
// connection ended with a clean close handshake, whichever side started it:
//
//	go run ./examples/echo -dial ws://127.0.0.1:8080/
//	go run ./examples/echo -dial wss://127.0.0.1:8443/ -insecure
package main
