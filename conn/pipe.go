//go:build !js

package conn

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"
)

// Pipe returns the two ends of a WebSocket connection held in memory, for
// the unit tests of code that uses a *Conn: no listener, no network. The
// opening handshake runs between the ends as it would over TCP, with opts
// for both (nil means the defaults), so that opts.Compression set
// negotiates permessage-deflate. The ends buffer up to 1 MiB each way, as
// sockets do, so that one goroutine can write a few messages before it
// reads the answers. Pipe fails only for opts a handshake refuses.
func Pipe(opts *Options) (client, server *Conn, err error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	ce, se := memPipe()
	type accepted struct {
		c   *Conn
		err error
	}
	ch := make(chan accepted, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		c, err := AcceptConn(ctx, se, &AcceptOptions{Options: o})
		ch <- accepted{c, err}
	}()
	client, err = Dial(ctx, "ws://pipe/", &DialOptions{
		Options: o,
		NetDial: func(context.Context, string, string) (net.Conn, error) { return ce, nil },
		Proxy:   func(*http.Request) (*url.URL, error) { return nil, nil },
	})
	a := <-ch
	if err != nil || a.err != nil {
		ce.Close()
		se.Close()
		if err == nil {
			client.CloseNow()
			err = a.err
		}
		if a.c != nil {
			a.c.CloseNow()
		}
		return nil, nil, err
	}
	return client, a.c, nil
}

// pipeBuffer is how much one direction of a memPipe holds.
const pipeBuffer = 1 << 20

// memPipe returns two connected in-memory net.Conns which, unlike
// net.Pipe's, buffer what is written, support CloseWrite, and honour
// deadlines.
func memPipe() (net.Conn, net.Conn) {
	ab, ba := newPipeBuf(), newPipeBuf()
	a := &memConn{in: ba, out: ab, local: pipeAddr("client"), remote: pipeAddr("server")}
	b := &memConn{in: ab, out: ba, local: pipeAddr("server"), remote: pipeAddr("client")}
	return a, b
}

// pipeBuf is one direction of a memPipe. Its reader and its writer are
// one goroutine at a time each, as a Conn's are, so one signal channel per
// side wakes them without allocating.
type pipeBuf struct {
	mu       sync.Mutex
	data     []byte // unread from off on, reused once all is read
	off      int
	closed   bool          // the writer closed: reads return io.EOF once data is drained
	gone     bool          // the reader closed: writes fail
	readable chan struct{} // a signal for the reader: data or flags changed
	writable chan struct{} // a signal for the writer: room or flags changed
}

func newPipeBuf() *pipeBuf {
	return &pipeBuf{readable: make(chan struct{}, 1), writable: make(chan struct{}, 1)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

type memConn struct {
	in, out       *pipeBuf
	local, remote pipeAddr
	rdl, wdl      deadline
	closeOnce     sync.Once
}

func (c *memConn) Read(p []byte) (int, error) {
	for {
		c.in.mu.Lock()
		if len(c.in.data) > c.in.off && len(p) > 0 {
			n := copy(p, c.in.data[c.in.off:])
			c.in.off += n
			if c.in.off == len(c.in.data) {
				c.in.data, c.in.off = c.in.data[:0], 0
			}
			c.in.mu.Unlock()
			signal(c.in.writable)
			return n, nil
		}
		closed, gone := c.in.closed, c.in.gone
		c.in.mu.Unlock()
		switch {
		case gone:
			return 0, net.ErrClosed
		case closed:
			return 0, io.EOF
		case len(p) == 0:
			return 0, nil
		}
		if err := c.rdl.wait(c.in.readable); err != nil {
			return 0, err
		}
	}
}

func (c *memConn) Write(p []byte) (int, error) {
	written := 0
	for {
		c.out.mu.Lock()
		if c.out.closed {
			c.out.mu.Unlock()
			return written, net.ErrClosed
		}
		if c.out.gone {
			c.out.mu.Unlock()
			return written, io.ErrClosedPipe
		}
		if room := pipeBuffer - (len(c.out.data) - c.out.off); room > 0 {
			n := min(room, len(p)-written)
			c.out.data = append(c.out.data, p[written:written+n]...)
			written += n
			signal(c.out.readable)
		}
		c.out.mu.Unlock()
		if written == len(p) {
			return written, nil
		}
		if err := c.wdl.wait(c.out.writable); err != nil {
			return written, err
		}
	}
}

// CloseWrite ends the stream the peer reads, which then returns io.EOF.
func (c *memConn) CloseWrite() error {
	c.out.mu.Lock()
	defer c.out.mu.Unlock()
	if !c.out.closed {
		c.out.closed = true
		signal(c.out.readable)
		signal(c.out.writable)
	}
	return nil
}

func (c *memConn) Close() error {
	c.closeOnce.Do(func() {
		c.CloseWrite()
		c.in.mu.Lock()
		c.in.gone = true
		c.in.data, c.in.off = nil, 0
		c.in.mu.Unlock()
		signal(c.in.readable)
		signal(c.in.writable)
		c.rdl.set(time.Time{})
		c.wdl.set(time.Time{})
	})
	return nil
}

func (c *memConn) LocalAddr() net.Addr  { return c.local }
func (c *memConn) RemoteAddr() net.Addr { return c.remote }

func (c *memConn) SetDeadline(t time.Time) error {
	c.rdl.set(t)
	c.wdl.set(t)
	return nil
}
func (c *memConn) SetReadDeadline(t time.Time) error  { c.rdl.set(t); return nil }
func (c *memConn) SetWriteDeadline(t time.Time) error { c.wdl.set(t); return nil }

// deadline is a memConn's read or write deadline.
type deadline struct {
	mu      sync.Mutex
	timer   *time.Timer
	expired chan struct{} // closed once the deadline passed; nil without one
	changed chan struct{} // closed when the deadline is set again
}

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.changed != nil {
		close(d.changed) // the waiters look at the new deadline
		d.changed = nil
	}
	d.expired = nil
	if t.IsZero() {
		return
	}
	ch := make(chan struct{})
	d.expired = ch
	if dur := time.Until(t); dur <= 0 {
		close(ch)
	} else {
		d.timer = time.AfterFunc(dur, func() { close(ch) })
	}
}

// wait waits for a signal on change, for the deadline to be set again
// (both return nil: the caller looks again), or for the deadline to pass.
func (d *deadline) wait(change <-chan struct{}) error {
	d.mu.Lock()
	if d.changed == nil {
		d.changed = make(chan struct{})
	}
	expired, changed := d.expired, d.changed
	d.mu.Unlock()
	select {
	case <-change:
		return nil
	case <-changed:
		return nil
	case <-expired:
		return os.ErrDeadlineExceeded
	}
}

// pipeAddr is the address of an end of a memPipe.
type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return string(a) }
