//go:build js && wasm

package conn

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall/js"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/handshake"
	"github.com/hybi/ws/protocol"
)

// The browser build: a Conn drives the page's WebSocket object through
// syscall/js. The browser does the framing, masking, pings, compression and
// the close handshake; a Conn queues the messages its events deliver, hands
// them to Read and Reader, sends whole messages with send(), and waits for
// the close event.

// bufferedHigh is the bufferedAmount above which Write waits: 1 MiB, as
// documented in the package doc's "In the browser".
const bufferedHigh = 1 << 20

// maxPoll bounds the interval at which a waiting Write looks at
// bufferedAmount again; the browser has no event for it going down.
const maxPoll = 16 * time.Millisecond

// uint8Array is the JavaScript Uint8Array constructor.
var uint8Array = js.Global().Get("Uint8Array")

// The browser's readyState values.
const (
	wsConnecting = 0
	wsOpen       = 1
	wsClosing    = 2
)

// errBrowserAbnormal is the cause of an end the browser reports as not
// clean: it tells nothing more (its console may).
var errBrowserAbnormal = fmt.Errorf("conn: the browser reports the connection lost without a close handshake")

// Conn is a WebSocket connection; in the browser, the page's WebSocket
// object. Its methods are safe for concurrent use, with one reader and any
// number of writers at a time.
type Conn struct {
	ws           js.Value // the browser's WebSocket; undefined for New's
	url          string   // the URL the browser resolved
	subprotocol  string   // set by the open event
	extensions   string   // set by the open event
	readLimit    atomic.Int64
	closeTimeout time.Duration

	// mu guards the queue, the event handlers and closing.
	mu      sync.Mutex
	queue   []message // received and not read yet, from qhead on
	qhead   int
	funcs   []js.Func // the event handlers, released at the end
	closing bool      // Close called the browser's close()

	wake   chan struct{} // a message arrived (capacity 1)
	opened chan struct{} // closed by the open event

	// Read side, owned by the holder of rmu.
	rmu  gate
	gen  uint64 // generation of the message read last: Reader's readers check it
	rbuf []byte // the message Reader returned

	// Write side: wmu serializes messages; msgw is guarded by it.
	wmu  gate
	msgw messageWriter

	ended atomic.Pointer[CloseError] // how the connection ended, set once
	done  chan struct{}              // closed when the connection ended
}

// message is one message the browser delivered.
type message struct {
	typ  MessageType
	data js.Value // a string for Text, an ArrayBuffer for Binary
}

func newJSConn() *Conn {
	c := &Conn{
		wake:   make(chan struct{}, 1),
		opened: make(chan struct{}),
		done:   make(chan struct{}),
	}
	return c
}

// listen installs the event handlers on c.ws.
func (c *Conn) listen() {
	on := func(name string, f func(ev js.Value)) {
		fn := js.FuncOf(func(this js.Value, args []js.Value) any {
			if len(args) > 0 {
				f(args[0])
			}
			return nil
		})
		c.funcs = append(c.funcs, fn)
		c.ws.Set("on"+name, fn)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	on("open", c.onOpen)
	on("message", c.onMessage)
	on("close", c.onClose)
}

// The event handlers run on the goroutine syscall/js calls them on, while
// the browser's event loop waits: they never block.

func (c *Conn) onOpen(js.Value) {
	c.subprotocol = c.ws.Get("protocol").String()
	c.extensions = c.ws.Get("extensions").String()
	close(c.opened)
}

func (c *Conn) onMessage(ev js.Value) {
	m := message{typ: Binary, data: ev.Get("data")}
	if m.data.Type() == js.TypeString {
		m.typ = Text
	}
	c.mu.Lock()
	if c.ended.Load() == nil {
		c.queue = append(c.queue, m)
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *Conn) onClose(ev js.Value) {
	ce := &CloseError{
		Code:   closecode.Code(ev.Get("code").Int()),
		Reason: ev.Get("reason").String(),
		Clean:  ev.Get("wasClean").Bool(),
	}
	if !ce.Clean {
		ce.Err = errBrowserAbnormal
	}
	c.end(ce, false)
}

// end records how the connection ended, unless it already had: it detaches
// and releases the event handlers and closes done. With drop, the messages
// not read yet are dropped; without, Read returns them before the end.
// It reports whether this call ended the connection.
func (c *Conn) end(ce *CloseError, drop bool) bool {
	c.mu.Lock()
	if c.ended.Load() != nil {
		c.mu.Unlock()
		return false
	}
	c.ended.Store(ce)
	if drop {
		c.dropQueue()
	}
	funcs := c.funcs
	c.funcs = nil
	if len(funcs) > 0 {
		for _, name := range [...]string{"onopen", "onmessage", "onclose"} {
			c.ws.Set(name, js.Null())
		}
	}
	c.mu.Unlock()
	for _, f := range funcs {
		f.Release() // allowed while f runs, as onClose's does
	}
	close(c.done)
	return true
}

// dropQueue drops the messages not read yet; the caller holds mu.
func (c *Conn) dropQueue() {
	clear(c.queue)
	c.queue, c.qhead = c.queue[:0], 0
}

// closeWS calls the browser's close() without a code, which sends a close
// frame without a status (the peer sees 1005).
func (c *Conn) closeWS() {
	if !c.ws.IsUndefined() {
		jsCall(func() { c.ws.Call("close") })
	}
}

// jsCall runs f, which calls into JavaScript, and returns the exception it
// raised as an error.
func jsCall(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(js.Error)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	f()
	return nil
}

// Close starts the close handshake with code and reason through the
// browser's close(), waits for the browser's close event (at most
// Options.CloseTimeout) and returns nil when the handshake completed
// cleanly (the CloseEvent's wasClean), a *CloseError describing the end
// otherwise. It is safe to call from any goroutine, any number of times;
// later calls wait for the same end. A code or reason that cannot be sent
// is refused without closing anything: with an error wrapping
// closecode.ErrInvalidCode, ErrReasonTooLong or ErrReasonNotUTF8 as in
// every build, and, since the browser sends only 1000 and 3000-4999 (and
// closecode.NoStatus with an empty reason, a close frame without status),
// with an error matching ErrNotInBrowser for any other valid code.
func (c *Conn) Close(code closecode.Code, reason string) error {
	var buf [2 + closecode.MaxReasonLen]byte
	if _, err := closecode.Append(buf[:0], code, reason); err != nil {
		return err
	}
	if code != closecode.NoStatus && code != closecode.Normal && (code < 3000 || code > 4999) {
		return fmt.Errorf("conn: close code %v: the browser sends only 1000 and 3000-4999: %w", code, ErrNotInBrowser)
	}
	c.mu.Lock()
	start := !c.closing && c.ended.Load() == nil
	c.closing = true
	c.mu.Unlock()
	if start {
		var err error
		if code == closecode.NoStatus {
			err = jsCall(func() { c.ws.Call("close") })
		} else {
			err = jsCall(func() { c.ws.Call("close", int(code), reason) })
		}
		if err != nil {
			c.end(&CloseError{Code: closecode.Abnormal, Reason: "the browser refused to close", Err: err}, true)
		}
	}
	timeout := c.closeTimeout
	if timeout <= 0 {
		timeout = DefaultCloseTimeout
	}
	t := time.NewTimer(timeout)
	select {
	case <-c.done:
	case <-t.C:
		c.end(&CloseError{Code: closecode.Abnormal, Reason: "close handshake timed out", Err: ErrCloseTimeout}, true)
	}
	t.Stop()
	if c.rmu.tryLock() {
		// Nobody is reading: the messages that came before the end are
		// dropped, as Close reads and drops them in other builds.
		c.gen++
		c.mu.Lock()
		c.dropQueue()
		c.mu.Unlock()
		c.rmu.unlock()
	}
	if ce := c.ended.Load(); !ce.Clean {
		return ce
	}
	return nil
}

// CloseNow ends the connection at once: pending and later reads return a
// *CloseError with code 1006 wrapping ErrClosedNow. The browser has no way
// to drop a connection without a close handshake, so CloseNow calls its
// close() without a code and lets it finish the handshake on its own. It
// is safe to call from any goroutine, any number of times.
func (c *Conn) CloseNow() error {
	if c.end(&CloseError{Code: closecode.Abnormal, Reason: "closed by CloseNow", Err: ErrClosedNow}, true) {
		c.closeWS()
	}
	return nil
}

// State returns the connection's current state: the browser's readyState,
// and Closed once the Conn saw the end.
func (c *Conn) State() State {
	if c.ended.Load() != nil || c.ws.IsUndefined() {
		return Closed
	}
	switch c.ws.Get("readyState").Int() {
	case wsConnecting:
		return Connecting
	case wsOpen:
		return Open
	case wsClosing:
		return Closing
	}
	return Closed
}

// errNotOpen builds the error for an operation refused in the current
// state.
func (c *Conn) errNotOpen() error {
	return &protocol.NotOpenError{State: c.State(), Close: c.ended.Load()}
}

// Subprotocol returns the subprotocol the server chose (the browser's
// protocol attribute), or "" if none.
func (c *Conn) Subprotocol() string { return c.subprotocol }

// Compression returns the permessage-deflate parameters the browser
// negotiated on its own (from its extensions attribute), and whether it
// negotiated compression at all.
func (c *Conn) Compression() (deflate.Params, bool) {
	if c.extensions == "" {
		return deflate.Params{}, false
	}
	exts, err := handshake.ParseExtensions(http.Header{"Sec-Websocket-Extensions": {c.extensions}})
	if err != nil {
		return deflate.Params{}, false
	}
	p, ok, err := new(deflate.Config).Accept(exts)
	if err != nil || !ok {
		return deflate.Params{}, false
	}
	return p, true
}

// BufferedAmount returns the browser's bufferedAmount: the bytes of the
// messages Write handed to the browser that it has not sent yet. Write
// waits while it is above 1 MiB. It exists only in the browser build.
func (c *Conn) BufferedAmount() int {
	if c.ws.IsUndefined() {
		return 0
	}
	return c.ws.Get("bufferedAmount").Int()
}

// Ping is refused in the browser, with an error matching ErrNotInBrowser:
// a page cannot send pings (the browser answers the server's).
func (c *Conn) Ping(ctx context.Context) error {
	return fmt.Errorf("conn: Ping: the browser sends no pings, it only answers the server's: %w", ErrNotInBrowser)
}

// wsAddr is the address of either end of a browser's WebSocket.
type wsAddr string

func (a wsAddr) Network() string { return "websocket" }
func (a wsAddr) String() string  { return string(a) }

// LocalAddr returns the page's origin, as a net.Addr of network
// "websocket": the browser does not tell the socket's address.
func (c *Conn) LocalAddr() net.Addr {
	if loc := js.Global().Get("location"); loc.Truthy() {
		return wsAddr(loc.Get("origin").String())
	}
	return wsAddr("")
}

// RemoteAddr returns the URL the browser connected to, as a net.Addr of
// network "websocket".
func (c *Conn) RemoteAddr() net.Addr { return wsAddr(c.url) }

// Done returns a channel that is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }
