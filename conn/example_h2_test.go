package conn_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/hybi/ws/conn"
)

// A server taking WebSockets over HTTP/1.1 and over HTTP/2 (RFC 8441). Run
// the process with GODEBUG=http2xconnect=1 in its environment for net/http
// to advertise extended CONNECT; without it, browsers use HTTP/1.1 for the
// WebSocket, and the same handler serves them.
func ExampleAccept_http2() {
	ws := func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Accept(w, r, nil)
		if err != nil {
			return
		}
		// Over HTTP/2 the stream ends when the handler returns: read
		// (or wait for c.Done()) until the connection ends.
		ctx := context.Background()
		for {
			typ, msg, err := c.Read(ctx, nil)
			if err != nil {
				return
			}
			if c.Write(ctx, typ, msg) != nil {
				return
			}
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", ws)     // HTTP/1.1: Upgrade
	mux.HandleFunc("CONNECT /ws", ws) // HTTP/2: extended CONNECT
	srv := &http.Server{
		Addr:              "127.0.0.1:8443",
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		HTTP2:             &http.HTTP2Config{MaxConcurrentStreams: 1000},
	}
	log.Fatal(srv.ListenAndServeTLS("cert.pem", "key.pem"))
}
