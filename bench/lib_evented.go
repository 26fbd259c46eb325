package bench

import (
	"context"
	"time"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/evented"
)

// serveEvented is hybi's event-driven server (package evented): its own
// accept loop (Serve), the handshake read on the event loops, and OnMessage
// writing the message back.
func serveEvented(compress bool) (*Server, error) {
	ln, err := listen()
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln}
	srv := &evented.Server{
		ReadLimit:               64 << 20,
		MaxQueuedBytes:          128 << 20,
		InsecureSkipOriginCheck: true,
		OnOpen: func(c *evented.Conn) {
			if !s.track(c, func() { c.Close(1001, "") }) {
				c.Close(1001, "")
			}
		},
		OnMessage: func(c *evented.Conn, typ evented.MessageType, data []byte) { c.Write(typ, data) },
		OnClose: func(c *evented.Conn, _ *evented.CloseError) {
			s.mu.Lock()
			_, ok := s.closers[c]
			s.mu.Unlock()
			if ok {
				s.untrack(c)
			}
		},
	}
	if compress {
		srv.Compression = &deflate.Config{}
	}
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	s.shutdown = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	}
	return s, nil
}
