//go:build js && wasm

package conn

import (
	"context"
	"io"
	"net"
	"sync"
	"time"

	"github.com/hybi/ws/closecode"
)

// NetConn returns a net.Conn over c for code that wants a byte stream: each
// Write is sent as messages of type typ (one per DefaultMaxFrameSize bytes,
// 64 KiB), and Read returns the payload of the incoming messages one after
// another, whatever their type. Close closes c with 1000.
//
// Deadlines apply to the following reads and writes, as the net.Conn
// contract says: one that expires returns an error whose Timeout method
// reports true, and the connection stays usable. In the browser a write
// waits only for the browser's buffer (see Conn.Write), and the stream's
// messages are not bounded by Options.ReadLimit.
func NetConn(c *Conn, typ MessageType) net.Conn {
	return &netConn{c: c, typ: typ}
}

type netConn struct {
	c   *Conn
	typ MessageType

	rmu  sync.Mutex // serializes Read, which owns buf and rest
	buf  []byte
	rest []byte

	mu            sync.Mutex
	readDeadline  time.Time
	writeDeadline time.Time
}

func (n *netConn) ctx(deadline time.Time) (context.Context, context.CancelFunc) {
	if deadline.IsZero() {
		return context.Background(), func() {}
	}
	return context.WithDeadline(context.Background(), deadline)
}

func (n *netConn) Read(p []byte) (int, error) {
	n.mu.Lock()
	dl := n.readDeadline
	n.mu.Unlock()
	ctx, cancel := n.ctx(dl)
	defer cancel()
	n.rmu.Lock()
	defer n.rmu.Unlock()
	for len(n.rest) == 0 {
		_, msg, err := n.c.read(ctx, n.buf, -1)
		if err != nil {
			return 0, n.mapErr(err)
		}
		n.buf, n.rest = msg, msg
	}
	k := copy(p, n.rest)
	n.rest = n.rest[k:]
	return k, nil
}

// mapErr turns a clean close into io.EOF, as a byte stream reports its end.
func (n *netConn) mapErr(err error) error {
	if ce, ok := err.(*CloseError); ok && (ce.Code == closecode.Normal || ce.Code == closecode.NoStatus) && ce.Clean {
		return io.EOF
	}
	if err == context.DeadlineExceeded {
		return timeoutError{}
	}
	return err
}

func (n *netConn) Write(p []byte) (int, error) {
	n.mu.Lock()
	dl := n.writeDeadline
	n.mu.Unlock()
	ctx, cancel := n.ctx(dl)
	defer cancel()
	written := 0
	for {
		k := min(len(p)-written, DefaultMaxFrameSize)
		if err := n.c.Write(ctx, n.typ, p[written:written+k]); err != nil {
			return written, n.mapErr(err)
		}
		if written += k; written == len(p) {
			return written, nil
		}
	}
}
