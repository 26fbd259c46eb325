package bench

import (
	"context"
	"io"
	"net"
	"runtime"
	"sync/atomic"
)

// serveTCP is a plain TCP echo server: the floor under every WebSocket row.
func serveTCP(bool) (*Server, error) {
	return startRaw(func(s *Server, nc net.Conn) {
		if !s.track(nc, func() { nc.Close() }) {
			nc.Close()
			return
		}
		defer s.untrack(nc)
		defer nc.Close()
		buf := make([]byte, 512)
		for {
			n, err := nc.Read(buf)
			if err != nil {
				return
			}
			if _, err := nc.Write(buf[:n]); err != nil {
				return
			}
			if n == len(buf) && len(buf) < 64<<10 {
				buf = make([]byte, 2*len(buf))
			}
		}
	})
}

type tcpClient struct {
	nc   net.Conn
	size atomic.Int64 // length of the messages sent
	buf  []byte
}

func dialTCP(addr string, _ bool) (Client, error) {
	nc, err := netDial(context.Background(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &tcpClient{nc: nc}, nil
}

func (c *tcpClient) Send(msg []byte) error {
	c.size.Store(int64(len(msg)))
	_, err := c.nc.Write(msg)
	return err
}

func (c *tcpClient) Recv() (int, error) {
	n := int(c.size.Load())
	for n == 0 { // a pipelined reader may start before the first Send
		runtime.Gosched()
		n = int(c.size.Load())
	}
	if cap(c.buf) < n {
		c.buf = make([]byte, n)
	}
	return io.ReadFull(c.nc, c.buf[:n])
}

func (c *tcpClient) Close() error { return c.nc.Close() }
