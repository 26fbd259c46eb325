package bench

import (
	"net/http"

	"github.com/gorilla/websocket"
)

// serveGorilla is gorilla's echo server: Upgrader.Upgrade from a net/http
// handler, then ReadMessage + WriteMessage, or with stream NextReader +
// NextWriter. Compression is EnableCompression (no context takeover).
func serveGorilla(stream bool) func(bool) (*Server, error) {
	return func(compress bool) (*Server, error) {
		up := &websocket.Upgrader{
			CheckOrigin:       func(*http.Request) bool { return true },
			EnableCompression: compress,
		}
		return startHTTP(func(s *Server, w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			if !s.track(c, func() { c.Close() }) {
				c.Close()
				return
			}
			defer s.untrack(c)
			defer c.Close()
			if !stream {
				for {
					typ, p, err := c.ReadMessage()
					if err != nil {
						return
					}
					if err := c.WriteMessage(typ, p); err != nil {
						return
					}
				}
			}
			for {
				typ, rd, err := c.NextReader()
				if err != nil {
					return
				}
				wr, err := c.NextWriter(typ)
				if err != nil {
					return
				}
				if err := copyMessage(wr, rd); err != nil {
					return
				}
				if err := wr.Close(); err != nil {
					return
				}
			}
		})
	}
}

type gorillaClient struct {
	c      *websocket.Conn
	stream bool
	buf    []byte
}

func dialGorilla(stream bool) func(string, bool) (Client, error) {
	return func(addr string, compress bool) (Client, error) {
		d := websocket.Dialer{NetDialContext: netDial, EnableCompression: compress, HandshakeTimeout: dialTimeout}
		c, _, err := d.Dial("ws://"+addr+"/", nil)
		if err != nil {
			return nil, err
		}
		return &gorillaClient{c: c, stream: stream}, nil
	}
}

func (g *gorillaClient) Send(msg []byte) error {
	if !g.stream {
		return g.c.WriteMessage(websocket.BinaryMessage, msg)
	}
	w, err := g.c.NextWriter(websocket.BinaryMessage)
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	return w.Close()
}

func (g *gorillaClient) Recv() (int, error) {
	if !g.stream {
		_, p, err := g.c.ReadMessage()
		return len(p), err
	}
	_, r, err := g.c.NextReader()
	if err != nil {
		return 0, err
	}
	return readAll(r, &g.buf)
}

func (g *gorillaClient) Close() error { return g.c.Close() }
