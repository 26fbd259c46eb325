//go:build !js

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
// Write is sent as messages of type typ (one per Options.MaxFrameSize bytes), and Read returns the payload of
// the incoming messages one after another, whatever their type. Close closes
// c with 1000.
//
// Deadlines apply to the following reads and writes, as the net.Conn
// contract says: one that expires returns an error whose Timeout method
// reports true, and the connection stays usable, so that tunnels can use
// deadlines as idle timers. A read deadline may expire in the middle of a
// message, whose bytes are then delivered by the next reads.
//
// The stream's uncompressed messages have no size limit: a stream's memory
// is bounded by its reader's buffers whatever the messages' size, while
// Options.ReadLimit still applies to Read and Reader. A message compressed
// with permessage-deflate is collected whole before it is inflated, so
// ReadLimit bounds it in the stream too.
func NetConn(c *Conn, typ MessageType) net.Conn {
	return &netConn{c: c, typ: typ}
}

type netConn struct {
	c   *Conn
	typ MessageType

	rmu sync.Mutex // serializes Read, which owns r

	mu            sync.Mutex
	readDeadline  time.Time
	writeDeadline time.Time

	r *messageHandle // current message, read side only
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
	for {
		if n.r == nil {
			_, r, err := n.c.reader(ctx, true)
			if err != nil {
				return 0, n.mapErr(err)
			}
			n.r = r
		}
		n.r.r.ctx = ctx // this call's deadline, not the one Reader saw
		k, err := n.r.Read(p)
		if err == io.EOF {
			n.r = nil
			if k > 0 {
				return k, nil
			}
			continue
		}
		if err != nil {
			return k, n.mapErr(err)
		}
		return k, nil
	}
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
	// A message per frame's worth, so that a deadline that expires stops
	// the stream at a message's end: the part of a frame already on the
	// wire is finished by the next write, and the connection goes on.
	size := n.c.p.MaxFrameSize()
	written := 0
	for {
		k := min(len(p)-written, size)
		ok, err := n.c.write(ctx, n.typ, p[written:written+k], true, compDefault)
		if ok {
			written += k
		}
		if err != nil {
			return written, n.mapErr(err)
		}
		if written == len(p) {
			return written, nil
		}
	}
}
