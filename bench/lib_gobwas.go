package bench

import (
	"bufio"
	"io"
	"net"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// serveGobwas is gobwas' echo server: its zero-copy ws.Upgrade on the raw
// connection, then either the wsutil helpers of its README
// (ReadClientData / WriteServerMessage) or, with lowLevel, ws.ReadHeader
// and ws.WriteHeader over bufio with a reused payload buffer.
func serveGobwas(lowLevel bool) func(bool) (*Server, error) {
	return func(bool) (*Server, error) {
		return startRaw(func(s *Server, nc net.Conn) {
			defer nc.Close()
			if _, err := ws.Upgrade(nc); err != nil {
				return
			}
			if !s.track(nc, func() { nc.Close() }) {
				return
			}
			defer s.untrack(nc)
			if !lowLevel {
				for {
					msg, op, err := wsutil.ReadClientData(nc)
					if err != nil {
						return
					}
					if err := wsutil.WriteServerMessage(nc, op, msg); err != nil {
						return
					}
				}
			}
			br := bufio.NewReaderSize(nc, 4096)
			bw := bufio.NewWriterSize(nc, 4096)
			var payload []byte
			for {
				h, err := ws.ReadHeader(br)
				if err != nil {
					return
				}
				if h.Length > 64<<20 {
					return
				}
				if int64(cap(payload)) < h.Length {
					payload = make([]byte, h.Length)
				}
				p := payload[:h.Length]
				if _, err := io.ReadFull(br, p); err != nil {
					return
				}
				if h.Masked {
					ws.Cipher(p, h.Mask, 0)
					h.Masked = false
				}
				switch h.OpCode {
				case ws.OpClose:
					return
				case ws.OpPing:
					h.OpCode = ws.OpPong
				case ws.OpPong:
					continue
				}
				if err := ws.WriteHeader(bw, h); err != nil {
					return
				}
				if _, err := bw.Write(p); err != nil {
					return
				}
				if err := bw.Flush(); err != nil {
					return
				}
			}
		})
	}
}

type gobwasClient struct {
	nc       net.Conn
	r        io.Reader
	lowLevel bool
	br       *bufio.Reader
	bw       *bufio.Writer
	masked   []byte // low level: the masked copy of the message
	buf      []byte
}

func dialGobwas(lowLevel bool) func(string, bool) (Client, error) {
	return func(addr string, _ bool) (Client, error) {
		ctx, cancel := dialCtx()
		defer cancel()
		d := ws.Dialer{NetDial: netDial}
		nc, br, _, err := d.Dial(ctx, "ws://"+addr+"/")
		if err != nil {
			return nil, err
		}
		c := &gobwasClient{nc: nc, r: nc, lowLevel: lowLevel}
		if br != nil {
			c.r = io.MultiReader(br, nc)
		}
		if lowLevel {
			c.br = bufio.NewReaderSize(c.r, 4096)
			c.bw = bufio.NewWriterSize(nc, 4096)
		}
		return c, nil
	}
}

func (c *gobwasClient) Send(msg []byte) error {
	if !c.lowLevel {
		return wsutil.WriteClientMessage(c.nc, ws.OpBinary, msg)
	}
	if cap(c.masked) < len(msg) {
		c.masked = make([]byte, len(msg))
	}
	p := c.masked[:len(msg)]
	copy(p, msg)
	h := ws.Header{Fin: true, OpCode: ws.OpBinary, Masked: true, Mask: ws.NewMask(), Length: int64(len(p))}
	ws.Cipher(p, h.Mask, 0)
	if err := ws.WriteHeader(c.bw, h); err != nil {
		return err
	}
	if _, err := c.bw.Write(p); err != nil {
		return err
	}
	return c.bw.Flush()
}

func (c *gobwasClient) Recv() (int, error) {
	if !c.lowLevel {
		p, _, err := wsutil.ReadServerData(struct {
			io.Reader
			io.Writer
		}{c.r, c.nc})
		return len(p), err
	}
	for {
		h, err := ws.ReadHeader(c.br)
		if err != nil {
			return 0, err
		}
		if h.Length > 64<<20 {
			return 0, errShort
		}
		if int64(cap(c.buf)) < h.Length {
			c.buf = make([]byte, h.Length)
		}
		p := c.buf[:h.Length]
		if _, err := io.ReadFull(c.br, p); err != nil {
			return 0, err
		}
		if h.OpCode.IsControl() {
			if h.OpCode == ws.OpClose {
				return 0, io.EOF
			}
			continue
		}
		return len(p), nil
	}
}

func (c *gobwasClient) Close() error { return c.nc.Close() }
