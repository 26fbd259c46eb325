package testee

import (
	"net/http"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/evented"
)

// Evented returns the echo server on hybi's event-driven server: it accepts
// WebSocket connections on any path and echoes every text and binary
// message unchanged, with the options of Handler. Serve it from a
// net.Listener (the handshake is then read on its event loops) or as an
// http.Handler.
func Evented() *evented.Server {
	return &evented.Server{
		OnMessage: func(c *evented.Conn, typ evented.MessageType, data []byte) {
			c.Write(typ, data)
		},
		ReadLimit:               ReadLimit,
		PingInterval:            -1,
		Compression:             &deflate.Config{},
		InsecureSkipOriginCheck: true,
		Header:                  http.Header{"Server": {"hybi-evented"}},
		// Room for the echoes of category 9's 16 MiB messages, which the
		// fuzzing client reads only after it sent them all.
		MaxQueuedBytes: 4 * ReadLimit,
	}
}
