package bench

import (
	"context"
	"net"
	"net/http"

	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
)

// hybiOptions are the connection options of both ends: no read limit to
// speak of (the echo goes up to 1 MiB) and, when compress is set,
// permessage-deflate with the default Config (flate.BestSpeed, context
// takeover) or, with nct, without context takeover on either side.
func hybiOptions(compress, nct bool) conn.Options {
	o := conn.Options{ReadLimit: 64 << 20}
	if compress {
		o.Compression = &deflate.Config{}
		if nct {
			o.Compression = &deflate.Config{NoContextTakeover: true, PeerNoContextTakeover: true}
		}
	}
	return o
}

// serveHybi is hybi's echo server: conn.Accept from a net/http handler, then
// Read into a reused buffer and Write, or with stream Reader and Writer.
func serveHybi(stream, nct bool) func(bool) (*Server, error) {
	return func(compress bool) (*Server, error) {
		opts := &conn.AcceptOptions{Options: hybiOptions(compress, nct), InsecureSkipOriginCheck: true}
		return startHTTP(func(s *Server, w http.ResponseWriter, r *http.Request) {
			c, err := conn.Accept(w, r, opts)
			if err != nil {
				return
			}
			if !s.track(c, func() { c.CloseNow() }) {
				c.CloseNow()
				return
			}
			defer s.untrack(c)
			defer c.CloseNow()
			ctx := context.Background()
			if stream {
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
			}
			var buf []byte
			for {
				typ, b, err := c.Read(ctx, buf)
				if err != nil {
					return
				}
				buf = b
				if err := c.Write(ctx, typ, buf); err != nil {
					return
				}
			}
		})
	}
}

type hybiClient struct {
	c      *conn.Conn
	stream bool
	buf    []byte
}

func dialHybi(stream, nct bool) func(string, bool) (Client, error) {
	return func(addr string, compress bool) (Client, error) {
		ctx, cancel := dialCtx()
		defer cancel()
		c, err := conn.Dial(ctx, "ws://"+addr+"/", &conn.DialOptions{Options: hybiOptions(compress, nct), NetDial: netDial})
		if err != nil {
			return nil, err
		}
		return &hybiClient{c: c, stream: stream}, nil
	}
}

func (h *hybiClient) Send(msg []byte) error {
	ctx := context.Background()
	if !h.stream {
		return h.c.Write(ctx, conn.Binary, msg)
	}
	w, err := h.c.Writer(ctx, conn.Binary)
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	return w.Close()
}

func (h *hybiClient) Recv() (int, error) {
	ctx := context.Background()
	if !h.stream {
		_, b, err := h.c.Read(ctx, h.buf)
		h.buf = b
		return len(b), err
	}
	_, r, err := h.c.Reader(ctx)
	if err != nil {
		return 0, err
	}
	return readAll(r, &h.buf)
}

func (h *hybiClient) Close() error { return h.c.CloseNow() }

// serveHybiRaw is hybi without net/http: its own accept loop and
// conn.AcceptConn on each accepted connection, then Read into a reused
// buffer and Write, as gobwas and gws are used.
func serveHybiRaw(compress bool) (*Server, error) {
	opts := &conn.AcceptOptions{Options: hybiOptions(compress, false), InsecureSkipOriginCheck: true}
	return startRaw(func(s *Server, nc net.Conn) {
		c, err := conn.AcceptConn(context.Background(), nc, opts)
		if err != nil {
			return
		}
		if !s.track(c, func() { c.CloseNow() }) {
			c.CloseNow()
			return
		}
		defer s.untrack(c)
		defer c.CloseNow()
		ctx := context.Background()
		var buf []byte
		for {
			typ, b, err := c.Read(ctx, buf)
			if err != nil {
				return
			}
			buf = b
			if err := c.Write(ctx, typ, buf); err != nil {
				return
			}
		}
	})
}
