package fuzz

import (
	"bytes"
	"io"
	"net"
	"sync"
	"time"
)

// scriptConn is a net.Conn that reads a script and records what is written
// to it. Reads return the script in chunks of chunk bytes (all at once when 0),
// then io.EOF; prepare, if set, is called before the first read, with what was
// written so far, and returns the script. Deadlines are accepted and ignored:
// the script never blocks.
type scriptConn struct {
	mu      sync.Mutex
	in      []byte
	chunk   int
	prepare func(written []byte) []byte
	// prepared is free for the prepare function to keep its result.
	prepared []byte
	out      bytes.Buffer
	closed   bool
	onClose  func() // called once, at the first Close
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }

func (c *scriptConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	if c.prepare != nil {
		c.in = c.prepare(c.out.Bytes())
		c.prepare = nil
	}
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	n := len(p)
	if c.chunk > 0 {
		n = min(n, c.chunk)
	}
	n = copy(p[:n], c.in)
	c.in = c.in[n:]
	return n, nil
}

func (c *scriptConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	return c.out.Write(p)
}

func (c *scriptConn) Close() error {
	c.mu.Lock()
	first := !c.closed
	c.closed = true
	c.mu.Unlock()
	if first && c.onClose != nil {
		c.onClose()
	}
	return nil
}

func (c *scriptConn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// unread returns the part of the script not read yet.
func (c *scriptConn) unread() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.in
}

func (c *scriptConn) written() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.out.Bytes()...)
}

func (c *scriptConn) LocalAddr() net.Addr                { return fakeAddr("127.0.0.1:80") }
func (c *scriptConn) RemoteAddr() net.Addr               { return fakeAddr("127.0.0.1:50000") }
func (c *scriptConn) SetDeadline(t time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(t time.Time) error { return nil }

// watchdogTimeout bounds the handling of any one input.
const watchdogTimeout = 10 * time.Second

// watchdog makes a hang visible to the fuzzing engine: if the returned stop
// is not called within watchdogTimeout, it panics from another goroutine,
// which kills the process with all goroutines' stacks and makes the engine
// record the input as a crasher.
func watchdog() (stop func() bool) {
	return time.AfterFunc(watchdogTimeout, func() {
		panic("fuzz: watchdog: an input took longer than " + watchdogTimeout.String())
	}).Stop
}
