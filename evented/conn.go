package evented

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/handshake"
	"github.com/hybi/ws/protocol"
)

// Conn is a WebSocket connection served by a Server. Its methods are safe
// for concurrent use and never block on the network.
type Conn struct {
	s      *Server
	l      *loop
	fd     int      // the socket on the event loop, or -1
	nc     net.Conn // the transport when fd is -1 (goroutine mode)
	remote net.Addr

	mu         sync.Mutex
	p          *protocol.Protocol       // nil during the opening handshake
	hs         *handshake.RequestReader // the handshake's reader
	hsDeadline int64                    // Unix ns
	out        []byte                   // queued output, from off
	off        int
	armed      int64 // the deadline the timer heap has (or is told), Unix ns
	pendingOut bool  // out holds control frames not yet reported written
	dead       bool  // the connection ended; teardown is posted
	torn       bool  // the transport is closed
	halfClosed bool
	posted     bool   // the teardown is posted
	rejected   bool   // the handshake was refused: close once out is written
	paused     bool   // a message waits for OnMessage: input stops
	readReady  bool   // input may be waiting on the socket
	held       []byte // input read past the message that paused it
	heldOff    int
	// fd mode: a write met EAGAIN; the poller's next event resumes it.
	writeBlocked bool
	// goroutine mode: a writer goroutine is running; its chunk is in flight.
	writing bool
	resume  chan struct{} // goroutine mode: closed to resume a paused reader
	failed  bool          // a callback panicked: skip the remaining messages

	// The message being received.
	msg     []byte
	msgType MessageType
	inMsg   bool

	// Events waiting for the callbacks, in order.
	inHead, inTail *event
	scheduled      bool

	subprotocol string
	uri         string
	header      http.Header

	// Loop-owned.
	at      int64 // the deadline in the heap
	hidx    int32 // index in the heap, -1 when not in it
	inRetry bool
	// onLoop is set, with mu held, while the loop itself acts on the
	// connection at a deadline: a new deadline is then put in the heap by
	// the loop at once, without a task and a wake-up.
	onLoop bool
	hup    atomic.Bool // the peer closed its side: read to the end
}

func newConn(s *Server, nc net.Conn) *Conn {
	c := &Conn{s: s, l: s.pickLoop(), remote: nc.RemoteAddr(), hidx: -1}
	if epollSupported {
		c.fd = takeFD(nc)
	} else {
		c.fd = -1
	}
	if c.fd < 0 {
		c.nc = nc
	}
	return c
}

// Subprotocol returns the negotiated subprotocol, or "".
func (c *Conn) Subprotocol() string { return c.subprotocol }

// RequestURI returns the target of the opening handshake's request, such
// as "/chat?room=1".
func (c *Conn) RequestURI() string { return c.uri }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// Header returns the headers of the opening handshake's request. It is
// valid only during OnOpen, and nil afterwards: an idle connection keeps
// no copy of its request.
func (c *Conn) Header() http.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.header
}

// Buffered returns the number of bytes queued for the peer and not yet
// written to the socket (the browser's bufferedAmount).
func (c *Conn) Buffered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.out) - c.off
}

// Write queues the message data of type typ for the peer and returns at
// once; data may be reused when Write returns. When the bytes queued plus
// len(data) would exceed Server.MaxQueuedBytes, the message is refused with
// ErrQueueFull (and with Server.CloseOnQueueFull the connection is closed
// with 1008). Once the connection is not open, Write returns an error
// matching ErrNotOpen.
func (c *Conn) Write(typ MessageType, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.reserve(len(data), len(data)+14); err != nil {
		if err != ErrQueueFull && c.p != nil {
			_, err = c.p.AppendMessage(nil, typ, nil) // the NotOpenError
		}
		return err
	}
	out, err := c.p.AppendMessage(c.out, typ, data)
	c.out = out
	c.afterLocked()
	return err
}

// WritePrepared queues the prepared messages msgs, in order, each encoded
// as this connection needs it (see protocol.PreparedMessage), and returns
// at once, as Write does: a message that would overflow the output queue
// is refused with ErrQueueFull (the ones before it are queued), and an
// error matching ErrNotOpen is returned once the connection is not open.
// ctx is checked first and bounds nothing else, since nothing waits. With
// WritePrepared and Close, a *Conn is a broadcast.Sender: a broadcast.Hub
// delivers to connections of an evented Server as to those of package conn.
func (c *Conn) WritePrepared(ctx context.Context, msgs ...*protocol.PreparedMessage) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range msgs {
		n := 0
		if c.p != nil {
			n = c.p.PreparedSize(m)
		}
		if err := c.reserve(n, n); err != nil {
			if err != ErrQueueFull && c.p != nil {
				_, err = c.p.AppendPrepared(nil, m) // the NotOpenError
			}
			return err
		}
		out, err := c.p.AppendPrepared(c.out, m)
		c.out = out
		c.afterLocked()
		if err != nil {
			return err
		}
	}
	return nil
}

// reserve makes room in the output queue for a message of size bytes
// taking room bytes once encoded, or refuses it: with an error matching
// ErrNotOpen once the connection is not open (the caller asks the state
// machine for the precise one), with ErrQueueFull when the queue bound
// would be crossed. The caller holds c.mu.
func (c *Conn) reserve(size, room int) error {
	if c.p == nil {
		return &protocol.NotOpenError{State: protocol.Closed}
	}
	if c.p.State() != protocol.Open {
		return &protocol.NotOpenError{State: c.p.State()}
	}
	if len(c.out)-c.off+size > c.s.maxQueue {
		if c.s.CloseOnQueueFull {
			c.p.Close(closecode.PolicyViolation, "output queue full", time.Now())
			c.afterLocked()
		}
		return ErrQueueFull
	}
	switch {
	case c.out == nil:
		c.out = getBuf(room)
	case c.writing:
		// A writer goroutine writes from out: leave its bytes in place.
		if cap(c.out)-len(c.out) < room {
			nb := getBuf(2*len(c.out) + room)
			c.out = append(nb, c.out...)
		}
	default:
		c.compact()
		c.out = grow(c.out, room)
	}
	return nil
}

// Close starts the close handshake with code and reason; the connection
// ends (OnClose) once the peer answered, at the latest CloseTimeout later.
// It returns an error for a code or reason that cannot be sent, and nil
// once a close was sent or received.
func (c *Conn) Close(code closecode.Code, reason string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p == nil {
		return nil
	}
	err := c.p.Close(code, reason, time.Now())
	c.afterLocked()
	return err
}

// compact moves the queued bytes to the start of out when that frees
// enough room.
func (c *Conn) compact() {
	if c.off > 0 && c.off >= len(c.out)/2 {
		n := copy(c.out, c.out[c.off:])
		c.out = c.out[:n]
		c.off = 0
	}
}

// open makes c a WebSocket connection after its handshake. c.mu is held or
// c is not shared yet.
func (c *Conn) open(res *handshake.Result, params *deflate.Params, now time.Time) {
	cfg := c.s.cfg
	cfg.Deflate = params
	p, err := protocol.New(cfg, now)
	if err != nil { // checked by init
		panic(err)
	}
	c.p = p
	c.hs = nil
	c.subprotocol = res.Subprotocol
	c.uri = strings.Clone(res.RequestURI)
	c.header = res.Header
	c.push(&event{kind: evOpen})
}

// input handles bytes read from the peer at now. c.mu is held.
func (c *Conn) input(b []byte, now time.Time) {
	if c.dead {
		return
	}
	if c.p == nil {
		c.handshake(b, now)
		return
	}
	c.p.Alive(now)
	if c.paused {
		c.hold(b)
		return
	}
	c.feed(b)
}

func (c *Conn) handshake(b []byte, now time.Time) {
	if c.hs == nil { // refused: drop what follows
		return
	}
	var params *deflate.Params
	res, out, err := c.hs.Feed(c.s.upgraderFor(&params), b, c.out)
	c.out = out
	if err != nil {
		c.hs = nil
		c.rejected = true
		return
	}
	if res == nil {
		return
	}
	c.open(res, params, now)
	if len(res.Buffered) > 0 {
		c.p.Alive(now)
		c.feed(res.Buffered) // not paused: no message came before
	}
}

// feed parses b, and keeps what follows a message that paused the input.
// c.mu is held and the input is not paused (so nothing is held).
func (c *Conn) feed(b []byte) {
	if n := c.parse(b); n < len(b) {
		c.hold(b[n:])
	}
}

// heldLimit bounds the input read while a connection's input is paused
// (past the message that waits for OnMessage): enough for the peer's
// pongs, so that a slow handler does not make a live peer look dead.
const heldLimit = 4 << 10

// hold keeps b, input that follows the message that paused the input,
// for when OnMessage returned. c.mu is held.
func (c *Conn) hold(b []byte) {
	if c.held == nil {
		c.held, c.heldOff = getBuf(len(b)), 0
	} else if c.heldOff > 0 { // what was parsed goes: the buffer stays bounded
		n := copy(c.held, c.held[c.heldOff:])
		c.held, c.heldOff = c.held[:n], 0
	}
	c.held = grow(c.held, len(b))
	c.held = append(c.held, b...)
}

// heldRoom is how many more bytes the paused input may hold.
func (c *Conn) heldRoom() int { return heldLimit - (len(c.held) - c.heldOff) }

// parse gives b to the state machine and collects its messages. It stops
// after a message's end, which pauses the input until OnMessage returned,
// and returns the number of bytes consumed.
func (c *Conn) parse(b []byte) int {
	for in := b; ; {
		ev, k, err := c.p.Parse(in)
		in = in[k:]
		if err != nil {
			continue // the close frame failing the connection is queued
		}
		switch ev.Kind {
		case protocol.EventNone:
			return len(b)
		case protocol.EventPing:
			// Each ping gets its pong, in order, not only the latest.
			if c.out == nil {
				c.out = getBuf(256)
			}
			c.out = c.p.AppendPending(c.out)
			c.pendingOut = true
		case protocol.EventMessageStart:
			c.inMsg, c.msgType = true, ev.Type
		case protocol.EventData:
			if c.msg == nil {
				c.msg = getBuf(len(ev.Data))
			}
			c.msg = grow(c.msg, len(ev.Data))
			c.msg = append(c.msg, ev.Data...)
		case protocol.EventMessageEnd:
			e := getEvent()
			e.kind, e.typ, e.data = evMessage, c.msgType, c.msg
			c.msg, c.inMsg = nil, false
			c.push(e)
			c.paused = true
			return len(b) - len(in)
		}
	}
}

// continueInput goes on with the input once OnMessage returned: the bytes
// held, then the socket. It runs on the worker.
func (c *Conn) continueInput() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.torn || c.dead {
		return
	}
	c.paused = false
	if c.held != nil {
		c.heldOff += c.parse(c.held[c.heldOff:])
		if c.heldOff == len(c.held) {
			putBuf(c.held)
			c.held, c.heldOff = nil, 0
		}
	}
	if !c.paused {
		if c.fd >= 0 {
			if c.readReady {
				c.l.post(task{kind: taskResume, c: c})
			}
		}
	}
	if c.fd < 0 && (!c.paused || c.heldRoom() > 0) {
		if c.resume != nil {
			close(c.resume)
			c.resume = nil
		}
	}
	c.afterLocked()
}

// transportClosed reports the end of the transport's input or an I/O
// error. c.mu is held.
func (c *Conn) transportClosed(err error) {
	if c.p == nil {
		c.dead = true
		return
	}
	if err == nil {
		err = io.EOF
	}
	c.p.TransportClosed(err)
}

// tick acts on the deadlines due at now. c.mu is held.
func (c *Conn) tick(now time.Time) {
	if c.p == nil {
		if now.UnixNano() >= c.hsDeadline {
			c.dead = true // a handshake that took too long: just close
		}
		return
	}
	if c.paused {
		// A slow OnMessage is not a dead peer: see what the peer sent
		// meanwhile (its pong, say) before judging it.
		if c.fd >= 0 {
			c.readPaused(now)
		} else if c.heldRoom() <= 0 {
			// The reader holds all it may: the application is behind.
			c.p.Alive(now)
		}
	}
	c.p.Tick(now)
}

// readPaused reads, while the input is paused behind a slow OnMessage,
// what the socket holds into the held input, up to heldLimit, and tells
// the state machine the peer is alive if it sent anything. Input beyond
// the bound, still in the socket, shows the peer alive too: the
// application is behind, not the peer. It runs on the loop (at a
// deadline); c.mu is held.
func (c *Conn) readPaused(now time.Time) {
	if !c.readReady {
		return // nothing arrived since the socket was drained
	}
	room := c.heldRoom()
	if room <= 0 {
		if fdPeek(c.fd, c.l.buf[:1]) {
			c.p.Alive(now)
		}
		return
	}
	n, err := fdRead(c.fd, c.l.buf[:min(room, len(c.l.buf))])
	switch {
	case n > 0:
		c.p.Alive(now)
		c.hold(c.l.buf[:n])
	case err == errAgain:
		c.readReady = false
	case err != nil:
		c.transportClosed(err) // the transport is lost: no answer can go out
	}
	// n == 0: the peer's end of input, read again once the held input
	// was parsed, after it.
}

// goAway starts the close handshake of Shutdown. c.mu is held.
func (c *Conn) goAway() {
	if c.p == nil {
		c.dead = true
		return
	}
	c.p.Close(goingAway, "going away", time.Now())
}

// abort tears c down at once. c.mu is held.
func (c *Conn) abort(err error) {
	if c.p == nil {
		c.dead = true
		return
	}
	c.p.Abort("torn down", err)
}

// afterLocked acts on the state machine after a batch of calls: it writes
// what is queued, shuts the write side down when asked, posts the
// teardown once the connection ended, and moves the deadline. c.mu is
// held.
func (c *Conn) afterLocked() {
	if c.torn {
		return
	}
	c.flush()
	if c.p != nil {
		if c.p.HalfClose() && !c.halfClosed {
			c.halfClosed = true
			if c.fd >= 0 {
				fdShutdownWrite(c.fd)
			} else if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			}
		}
		if c.p.State() == protocol.Closed {
			c.dead = true
		}
	}
	if c.rejected && c.off == len(c.out) {
		c.dead = true
	}
	if c.dead {
		if !c.posted {
			c.posted = true
			c.l.post(task{kind: taskTeardown, c: c})
		}
		return
	}
	c.schedule()
}

// schedule tells the loop when c's next deadline is, if that is earlier
// than the one it has.
func (c *Conn) schedule() {
	var d int64
	if c.p == nil {
		d = c.hsDeadline
	} else if t := c.p.Deadline(); !t.IsZero() {
		d = t.UnixNano()
	}
	if d != 0 && (c.armed == 0 || d < c.armed) {
		c.armed = d
		if !c.onLoop {
			c.l.post(task{kind: taskRearm, c: c})
		}
	}
}

// flush writes the queued bytes, control frames included, as far as the
// socket takes them. c.mu is held.
func (c *Conn) flush() {
	if c.p != nil && c.p.HasPending() && !c.dead {
		if c.out == nil {
			c.out = getBuf(256)
		}
		c.out = c.p.AppendPending(c.out)
		c.pendingOut = true
	}
	if c.off == len(c.out) {
		c.wrote(0)
		return
	}
	if c.fd < 0 {
		if !c.writing {
			c.writing = true
			go c.writeLoop()
		}
		return
	}
	for !c.writeBlocked && c.off < len(c.out) {
		n, err := fdWrite(c.fd, c.out[c.off:])
		if err == errAgain {
			c.writeBlocked = true
			break
		}
		if err != nil {
			c.writeFailed(err)
			return
		}
		c.wrote(n)
	}
}

// wrote accounts for n more bytes written. c.mu is held.
func (c *Conn) wrote(n int) {
	c.off += n
	if c.off < len(c.out) {
		return
	}
	if c.out != nil {
		putBuf(c.out)
		c.out, c.off = nil, 0
	}
	if c.pendingOut {
		c.pendingOut = false
		c.p.PendingWritten(time.Now())
	}
}

func (c *Conn) writeFailed(err error) {
	putBuf(c.out)
	c.out, c.off, c.pendingOut = nil, 0, false
	if c.p == nil {
		c.dead = true
		return
	}
	c.p.TransportClosed(err)
}

// releaseLocked returns c's buffers once its transport is closed. c.mu
// is held.
func (c *Conn) releaseLocked() {
	if !c.writing && c.out != nil {
		putBuf(c.out)
	}
	c.out, c.off, c.pendingOut = nil, 0, false
	if c.msg != nil {
		putBuf(c.msg)
		c.msg = nil
	}
	if c.held != nil {
		putBuf(c.held)
		c.held, c.heldOff = nil, 0
	}
	c.hs = nil
	if c.resume != nil {
		close(c.resume)
		c.resume = nil
	}
}

// ended reports the end to the callbacks, after the events before it. It
// is called once, by the loop, after the transport is closed.
func (c *Conn) ended() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p == nil { // never opened: no callbacks
		c.s.active.Done()
		return
	}
	res := c.p.Result()
	if res == nil { // cannot happen: torn down only once Closed
		c.p.Abort("torn down", errors.New("evented: torn down"))
		res = c.p.Result()
	}
	e := getEvent()
	e.kind, e.res = evClose, res
	c.push(e)
}
