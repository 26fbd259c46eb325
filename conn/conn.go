//go:build !js

package conn

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

// Conn is a WebSocket connection. Its methods are safe for concurrent use,
// with one reader and any number of writers at a time: concurrent reads are
// serialized too, but interleaving them makes little sense.
//
// A Conn is a driver of a protocol.Protocol, the connection's state
// machine: its reads feed the state machine the bytes that arrive, its
// writes send the frames the state machine encodes, and its timer acts on
// the state machine's deadlines.
type Conn struct {
	nc          net.Conn
	cfg         config
	subprotocol string
	params      *deflate.Params // negotiated compression, nil if none

	// mu guards p, the state machine, and armed.
	mu    sync.Mutex
	p     *protocol.Protocol
	timer *time.Timer // fires at p's deadline; created when one is first set
	armed int64       // the time timer is armed for (Unix ns), 0 if it is not

	// Read side, owned by the holder of rmu: the input buffer, nil while
	// released, and the raw connection that fills it without a buffer
	// while a read waits (see rawread_unix.go).
	rmu      gate
	rbuf     []byte
	rr, rw   int
	rc       syscall.RawConn
	rawFn    func(uintptr) bool // c.rawRead, bound once
	rawErr   error              // the error rawRead met
	msgr     messageReader
	streamed bool // the state machine is in stream mode (see reader)

	// Write side: wmu serializes messages, fmu the bytes on the wire, so
	// that control frames go out between the frames of a message. Both
	// are channels so that waiting for them can be bounded.
	wmu, fmu gate
	w        wire
	msgw     *messageWriter // made by the first Writer; guarded by the message lock

	ended atomic.Pointer[CloseError]  // how the connection ended, set once
	done  chan struct{}               // closed when the connection is torn down
	pings atomic.Pointer[pingWaiters] // made by the first Ping

	// hooks are the caller's Options when they set OnPing or OnPong, nil
	// otherwise: shared by the connections made with them, so that hooks
	// cost a connection one word.
	hooks *Options
	// The keepalive round trip: when the keepalive ping went out (see
	// monotonic; 0 while none is outstanding), and the latest round trip
	// measured, by keepalive or Ping.
	kaSent, rtt atomic.Int64
}

// New wraps c, a connection on which the opening handshake already
// completed, as a WebSocket of the given role. buffered holds bytes already
// read from c past the handshake (see handshake.Result); they are read
// first. A nil opts means the defaults. The connection starts Open, with
// the subprotocol and the permessage-deflate parameters that opts.Negotiated
// reports (none by default; Accept and Dial set them from their handshake).
// New panics if opts.Negotiated.Deflate holds window bits outside 8..15,
// which no handshake yields, or opts.Compression a negative Threshold,
// for which Accept, AcceptConn, Dial and Pipe return an error.
func New(c net.Conn, buffered []byte, role frame.Role, opts *Options) *Conn {
	if opts == nil {
		opts = &Options{}
	}
	// Built on a goroutine of its own, as Accept and AcceptConn do: the
	// allocations of construction can take the runtime's deep slow paths,
	// which would grow the stack of the caller, whose goroutine typically
	// goes on to read the connection for its whole life.
	conn, _ := handOver(func() (*Conn, error) {
		return newConn(c, buffered, role, opts, opts.Negotiated.Subprotocol, opts.Negotiated.Deflate), nil
	})
	return conn
}

func newConn(nc net.Conn, buffered []byte, role frame.Role, opts *Options, subprotocol string, params *deflate.Params) *Conn {
	c := &Conn{
		nc:          nc,
		subprotocol: subprotocol,
		params:      params,
		done:        make(chan struct{}),
	}
	if opts.OnPing != nil || opts.OnPong != nil {
		c.hooks = opts
	}
	o := opts.withDefaults()
	c.cfg = config{readBuf: o.ReadBufferSize, writeBuf: o.WriteBufferSize, closeTimeout: o.CloseTimeout}
	c.p = newProtocol(role, &o, params)
	if c.rc = rawConnOf(nc); c.rc != nil {
		c.rawFn = c.rawRead
	}
	c.msgr.c = c
	if len(buffered) > 0 {
		c.rbuf = make([]byte, max(len(buffered), c.cfg.readBuf))
		c.rw = copy(c.rbuf, buffered)
	}
	if dl := c.p.Deadline(); !dl.IsZero() {
		c.mu.Lock() // the timer's function takes it
		c.armed = dl.UnixNano()
		c.timer = time.AfterFunc(time.Until(dl), c.onTimer)
		c.mu.Unlock()
	}
	return c
}

// newProtocol returns the state machine for a connection with options o,
// resolved, and the negotiated compression parameters, if any. (A function
// of its own, so that its frame is off the stack when newConn goes on.)
func newProtocol(role frame.Role, o *Options, params *deflate.Params) *protocol.Protocol {
	p, err := protocol.New(protocol.Config{
		Role:         role,
		ReadLimit:    o.ReadLimit,
		MaxFrameSize: o.MaxFrameSize,
		Deflate:      params,
		Compression:  o.Compression,
		PingInterval: o.PingInterval,
		PongTimeout:  o.PongTimeout,
		CloseTimeout: o.CloseTimeout,
	}, time.Now())
	if err != nil {
		panic("conn: " + err.Error()) // only for invalid Negotiated.Deflate window bits
	}
	return p
}

// config is what a Conn keeps of its Options once the state machine has
// the rest.
type config struct {
	readBuf, writeBuf int
	closeTimeout      time.Duration
}

// unlock releases mu after calls into the state machine and acts on what
// they changed: it re-arms the timer when the deadline moved earlier, and
// tears the connection down once the state machine is Closed.
func (c *Conn) unlock() {
	closed := c.p.State() == Closed && c.ended.Load() == nil
	if dl := c.p.Deadline(); !dl.IsZero() && (c.armed == 0 || dl.UnixNano() < c.armed) && !closed {
		c.armed = dl.UnixNano()
		if c.timer == nil {
			c.timer = time.AfterFunc(time.Until(dl), c.onTimer)
		} else {
			c.timer.Reset(time.Until(dl))
		}
	}
	var res *CloseError
	if closed {
		res = c.p.Result()
		c.ended.Store(res)
		if c.timer != nil {
			c.timer.Stop()
		}
	}
	c.mu.Unlock()
	if closed {
		c.nc.Close()
		close(c.done)
	}
}

// abort ends the connection at once, for a reason of the driver's.
func (c *Conn) abort(reason string, err error) {
	c.mu.Lock()
	c.p.Abort(reason, err)
	c.unlock()
}

// transportEnded tells the state machine that the network connection
// ended with err.
func (c *Conn) transportEnded(err error) {
	c.mu.Lock()
	c.p.TransportClosed(err)
	c.unlock()
}

// State returns the connection's current state.
func (c *Conn) State() State {
	if c.ended.Load() != nil {
		return Closed
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.p.State()
}

// closedErr returns how the connection ended, or nil while it has not.
func (c *Conn) closedErr() *CloseError { return c.ended.Load() }

// Subprotocol returns the subprotocol negotiated in the opening handshake,
// or "" if none was.
func (c *Conn) Subprotocol() string { return c.subprotocol }

// Compression returns the negotiated permessage-deflate parameters and
// whether compression was negotiated at all.
func (c *Conn) Compression() (deflate.Params, bool) {
	if c.params == nil {
		return deflate.Params{}, false
	}
	return *c.params, true
}

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// RemoteAddr returns the remote network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Done returns a channel that is closed when the connection is torn down.
func (c *Conn) Done() <-chan struct{} { return c.done }
