package chatserver

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/evented"
)

// eventedRoom is the chat room on hybi's event-driven server (-evented):
// its connections hold no goroutine between messages. Its behaviour is the
// hub's: text messages are broadcast to everyone, a client whose output
// queue is full is closed with 1008, and shutdown closes every client with
// 1001.
type eventedRoom struct {
	srv     *evented.Server
	mu      sync.Mutex
	clients map[*evented.Conn]struct{}
}

// newEventedChat returns the chat's routes served by an eventedRoom, and
// its shutdown.
func newEventedChat(logf func(format string, args ...any)) (http.Handler, func(context.Context) error) {
	r := &eventedRoom{clients: make(map[*evented.Conn]struct{})}
	r.srv = &evented.Server{
		ReadLimit:        64 << 10, // chat lines, not files
		MaxQueuedBytes:   256 << 10,
		CloseOnQueueFull: true,
		OnOpen: func(c *evented.Conn) {
			r.mu.Lock()
			r.clients[c] = struct{}{}
			r.mu.Unlock()
			logf("%s: joined", c.RemoteAddr())
		},
		OnMessage: func(c *evented.Conn, typ evented.MessageType, msg []byte) {
			if typ != evented.Text {
				c.Close(closecode.UnsupportedData, "text messages only")
				return
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			for cl := range r.clients {
				if err := cl.Write(evented.Text, msg); errors.Is(err, evented.ErrQueueFull) {
					delete(r.clients, cl) // closed with 1008 by the server
				}
			}
		},
		OnClose: func(c *evented.Conn, err *evented.CloseError) {
			r.mu.Lock()
			delete(r.clients, c)
			r.mu.Unlock()
			logf("%s: left: %v", c.RemoteAddr(), err)
		},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(page)
	})
	mux.Handle("GET /ws", r.srv)
	return mux, r.srv.Shutdown
}
