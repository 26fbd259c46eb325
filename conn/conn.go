package conn

import (
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/internal/utf8valid"
)

// MessageType is the type of a data message.
type MessageType uint8

// Message types, numbered as their opcodes.
const (
	Text   MessageType = MessageType(frame.OpText)
	Binary MessageType = MessageType(frame.OpBinary)
)

// String returns "text" or "binary".
func (t MessageType) String() string {
	switch t {
	case Text:
		return "text"
	case Binary:
		return "binary"
	}
	return "MessageType(" + strconv.Itoa(int(t)) + ")"
}

// State is the ready state of a connection, as in the browser API.
type State int32

// The states of a connection.
const (
	Connecting State = iota // opening handshake in progress
	Open                    // messages flow both ways
	Closing                 // a close frame was sent or received
	Closed                  // the connection is torn down
)

// String returns the state's name in capitals, as the browser API names it.
func (s State) String() string {
	switch s {
	case Connecting:
		return "CONNECTING"
	case Open:
		return "OPEN"
	case Closing:
		return "CLOSING"
	case Closed:
		return "CLOSED"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Conn is a WebSocket connection. Its methods are safe for concurrent use,
// with one reader and any number of writers at a time: concurrent reads are
// serialized too, but interleaving them makes little sense.
type Conn struct {
	nc          net.Conn
	opts        Options
	subprotocol string
	params      *deflate.Params // negotiated compression, nil if none

	// Read side, owned by the holder of rmu.
	rmu       chan struct{}
	rbuf      []byte             // read buffer, nil while released
	rr, rw    int                // read and write positions in rbuf
	rstop     func() bool        // stops the context watch of the current read
	rc        syscall.RawConn    // nc's raw connection for rawFill, or nil
	rawReadFn func(uintptr) bool // c.rawRead, bound once
	rn        int                // result of rawRead
	rerr      error              // error of rawRead
	cur       frame.Header       // current data frame
	rules     frame.Rules
	remain    int64 // payload bytes left in cur
	mpos      int   // masking key position in cur
	msgLen    int64 // bytes of the current message delivered so far
	rlimit    int64 // size limit of the current message (ReadLimit, or none for NetConn)
	rawLen    int64 // payload bytes of the current message's frames so far
	raw       rawReader
	msgr      messageReader
	dec       *deflate.Decompressor

	// Write side. wmu serializes messages; fmu serializes frames, so that
	// control frames can go out between the fragments of a message. Both are
	// channels so that waiting for them can be bounded.
	wmu        chan struct{}
	fmu        chan struct{}
	wbufs      net.Buffers
	iov        [3][]byte                  // backing array of wbufs
	wpend      []byte                     // coalesced frames not sent yet, guarded by fmu
	flushTimer atomic.Pointer[time.Timer] // flushes wpend, created by the first append
	wstop      func() bool                // stops the context watch of the current frame write
	msgw       *MessageWriter             // allocated by the first Writer call
	comp       *deflate.Compressor

	// Deadlines set for contexts. dlMu orders them with the context watches:
	// a watch only acts while its generation is current, so that a watch
	// firing late cannot clobber the deadline of a later call.
	rgen, wgen uint64
	dlMu       sync.Mutex

	// Closing.
	closeErr      atomic.Pointer[CloseError] // how the connection ended, set once
	handshakeDone atomic.Pointer[CloseError] // the clean end, once both close frames are on the wire
	done          chan struct{}              // closed when the connection is torn down

	// Ping and keepalive.
	pingSeq uint64
	pings   map[uint64]chan struct{}
	kaTimer *time.Timer
	pingMu  sync.Mutex

	// Small fields, together to save padding.
	state     atomic.Int32
	kaActive  atomic.Bool // a keepalive ping awaits an answer
	more      atomic.Bool // the reader holds complete frames: writes may be coalesced
	pending   atomic.Bool // wpend holds bytes
	role      frame.Role
	inMsg     bool // a data message is open; read side
	msgType   MessageType
	compress  bool // the current message is compressed; read side
	rawEOF    bool // the current message's last frame is drained; read side
	closeSent bool // guarded by fmu
	compUsed  bool // comp was used since the last keepalive tick; guarded by wmu
	rflush    bool // rawRead stopped to flush pending bytes
	rflushed  bool // rawFill flushed already
	utf8      utf8valid.Validator
	hdr       [smallFrame]byte // write side, guarded by fmu
}

// New wraps c, a connection on which the opening handshake already
// completed, as a WebSocket of the given role. buffered holds bytes already
// read from c past the handshake (see handshake.Result); they are read
// first. A nil opts means the defaults. The connection starts Open, without
// compression (use Accept or Dial to negotiate it).
func New(c net.Conn, buffered []byte, role frame.Role, opts *Options) *Conn {
	return newConn(c, buffered, role, opts, "", nil)
}

func newConn(nc net.Conn, buffered []byte, role frame.Role, opts *Options, subprotocol string, params *deflate.Params) *Conn {
	c := &Conn{
		nc:          nc,
		role:        role,
		opts:        opts.withDefaults(),
		subprotocol: subprotocol,
		params:      params,
		rmu:         make(chan struct{}, 1),
		wmu:         make(chan struct{}, 1),
		fmu:         make(chan struct{}, 1),
		done:        make(chan struct{}),
	}
	// The read limit is checked per message in nextFrame, which knows
	// whether a frame is compressed.
	c.rules = frame.Rules{Role: role}
	c.rlimit = c.opts.ReadLimit
	if params != nil {
		c.rules.AllowedRsv = frame.RSV1
		cfg := c.opts.Compression
		server := role == frame.Server
		c.comp = cfg.NewCompressor(*params, server)
		c.dec = deflate.NewDecompressor(*params, server)
	}
	c.raw.c = c
	if c.rc = rawConnOf(nc); c.rc != nil {
		c.rawReadFn = c.rawRead
	}
	c.msgr.c = c
	if len(buffered) > 0 {
		size := c.opts.ReadBufferSize
		if len(buffered) > size {
			size = len(buffered)
		}
		c.rbuf = make([]byte, size)
		c.rw = copy(c.rbuf, buffered)
	}
	c.state.Store(int32(Open))
	c.startKeepalive()
	return c
}

// smallFrame is the size of the header buffer, in which the smallest
// unmasked frames are assembled whole to go out in one write.
const smallFrame = 32

// State returns the connection's current state.
func (c *Conn) State() State { return State(c.state.Load()) }

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
