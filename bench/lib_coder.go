package bench

import (
	"context"
	"net/http"

	"github.com/coder/websocket"
)

// coderMode is coder's compression mode when compression is on.
func coderMode(compress bool) websocket.CompressionMode {
	if compress {
		return websocket.CompressionContextTakeover
	}
	return websocket.CompressionDisabled
}

// serveCoder is coder's echo server: websocket.Accept from a net/http
// handler, then Reader + Writer.
func serveCoder(compress bool) (*Server, error) {
	opts := &websocket.AcceptOptions{InsecureSkipVerify: true, CompressionMode: coderMode(compress)}
	return startHTTP(func(s *Server, w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		if !s.track(c, func() { c.CloseNow() }) {
			c.CloseNow()
			return
		}
		defer s.untrack(c)
		defer c.CloseNow()
		c.SetReadLimit(64 << 20)
		ctx := context.Background()
		for {
			typ, rd, err := c.Reader(ctx)
			if err != nil {
				return
			}
			wr, err := c.Writer(ctx, typ)
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

// coderHTTP is the HTTP client coder dials through.
var coderHTTP = &http.Client{Transport: &http.Transport{DialContext: netDial}}

type coderClient struct {
	c   *websocket.Conn
	buf []byte
}

func dialCoder(addr string, compress bool) (Client, error) {
	ctx, cancel := dialCtx()
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+addr+"/", &websocket.DialOptions{
		HTTPClient:      coderHTTP,
		CompressionMode: coderMode(compress),
	})
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(64 << 20)
	return &coderClient{c: c}, nil
}

func (c *coderClient) Send(msg []byte) error {
	w, err := c.c.Writer(context.Background(), websocket.MessageBinary)
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	return w.Close()
}

func (c *coderClient) Recv() (int, error) {
	_, r, err := c.c.Reader(context.Background())
	if err != nil {
		return 0, err
	}
	return readAll(r, &c.buf)
}

func (c *coderClient) Close() error { return c.c.CloseNow() }
