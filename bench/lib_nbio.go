package bench

import (
	"net"
	"net/http"

	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

// serveNbio is lesismal/nbio's event-driven HTTP engine in non-blocking mode
// (nbhttp.IOModNonBlocking: connections on its epoll loops, no goroutine
// each) with its websocket Upgrader, OnMessage writing the message back.
func serveNbio(compress bool) (*Server, error) {
	logging.SetLevel(logging.LevelNone) // it logs to stdout, which the memory benchmark reads
	ln, err := listen()
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln}
	up := websocket.NewUpgrader()
	up.CheckOrigin = func(*http.Request) bool { return true }
	up.EnableCompression(compress)
	up.OnMessage(func(c *websocket.Conn, mt websocket.MessageType, data []byte) { c.WriteMessage(mt, data) })
	up.OnClose(func(c *websocket.Conn, _ error) {
		s.mu.Lock()
		_, ok := s.closers[c]
		s.mu.Unlock()
		if ok {
			s.untrack(c)
		}
	})
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		if !s.track(c, func() { c.Close() }) {
			c.Close()
		}
	})
	engine := nbhttp.NewEngine(nbhttp.Config{
		Network: "tcp",
		Addrs:   []string{s.Addr},
		Handler: mux,
		IOMod:   nbhttp.IOModNonBlocking,
		Listen:  func(string, string) (net.Listener, error) { return ln, nil },
	})
	if err := engine.Start(); err != nil {
		return nil, err
	}
	s.shutdown = engine.Stop
	return s, nil
}
