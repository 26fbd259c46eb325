package protocol

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/internal/utf8valid"
)

// Defaults for Config fields left zero. They are conn's defaults.
const (
	// DefaultReadLimit is the largest incoming message accepted unless
	// Config.ReadLimit says otherwise: 1 MiB.
	DefaultReadLimit = 1 << 20
	// DefaultMaxFrameSize bounds the payload of outgoing data frames: 64 KiB.
	// A control frame (a pong, a close) then waits behind at most 64 KiB of
	// a data message before it can go out, and a driver masking or
	// compressing a frame needs a buffer of at most this size, while the
	// headers cost at most 14 bytes per 64 KiB (0.02%), and a driver can
	// still send many frames in one system call (writev).
	DefaultMaxFrameSize = 64 << 10
	// DefaultCloseTimeout bounds each step of the close handshake.
	DefaultCloseTimeout = 5 * time.Second
	// DefaultPingInterval is the keepalive ping interval.
	DefaultPingInterval = 25 * time.Second
	// DefaultPongTimeout is how long after a keepalive ping the peer has to
	// show it is alive.
	DefaultPongTimeout = 15 * time.Second
)

// Config configures a Protocol. Only Role is required; zero values of the
// other fields mean the defaults.
type Config struct {
	// Role is the endpoint's side: frame.Server or frame.Client. A server
	// requires masked frames and sends unmasked ones; a client the reverse.
	Role frame.Role
	// ReadLimit is the largest incoming message, in bytes after
	// decompression; a bigger one fails the connection with 1009. 0 means
	// DefaultReadLimit; a negative value means no limit, in which case a
	// compressed message is buffered whole however big it is (see Parse).
	ReadLimit int64
	// MaxFrameSize is the largest payload of an outgoing data frame: longer
	// messages are fragmented. 0 means DefaultMaxFrameSize; it may not be
	// negative.
	MaxFrameSize int
	// Deflate holds the permessage-deflate parameters negotiated in the
	// opening handshake; nil means no compression.
	Deflate *deflate.Params
	// Compression holds the local preferences for permessage-deflate
	// (level, threshold, context takeover); nil means deflate's defaults.
	// It is used only when Deflate is not nil.
	Compression *deflate.Config
	// PingInterval is the keepalive interval: a ping is due that long after
	// the start, and that long after the peer answered the previous one. 0
	// means DefaultPingInterval; a negative value turns keepalive off.
	PingInterval time.Duration
	// PongTimeout is how long the peer has to show it is alive after a
	// keepalive ping was written. 0 means DefaultPongTimeout.
	PongTimeout time.Duration
	// CloseTimeout bounds each step of the close handshake: the wait for the
	// peer's close frame, the writing of our answer, and a client's wait for
	// the server to close the transport. 0 means DefaultCloseTimeout.
	CloseTimeout time.Duration
}

// ErrInvalidConfig is wrapped by the errors New returns for a Config it
// refuses.
var ErrInvalidConfig = errors.New("protocol: invalid config")

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

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
	Connecting State = iota // opening handshake in progress (never a Protocol's state: it starts Open)
	Open                    // messages flow both ways
	Closing                 // a close frame was queued or received
	Closed                  // the connection ended: Result tells how
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

// readState is where Parse is in the incoming stream.
type readState uint8

const (
	rsHeader  readState = iota // between frames, possibly inside a buffered header
	rsControl                  // collecting a control frame's payload
	rsData                     // inside a data frame's payload
	rsInflate                  // delivering the inflated bytes of a compressed message
	rsDone                     // the peer's close arrived or the connection failed: input is dropped
)

// kaState is where the keepalive ping is.
type kaState uint8

const (
	kaIdle        kaState = iota // no ping: one is due at pingDue
	kaQueued                     // a ping waits in the pending output
	kaInFlight                   // AppendPending returned it; not yet reported written
	kaOutstanding                // written at pongWritten; unanswered
)

// Sizes of internal buffers.
const (
	// inflateChunk is the most a compressed message inflates by per data
	// event: the read limit is checked per chunk, which bounds what a
	// decompression bomb costs before it is stopped.
	inflateChunk = 16 << 10
	// keepBuf is the largest buffer kept between messages; bigger ones are
	// dropped at the end of the message that needed them.
	keepBuf = 64 << 10
)

// idleRelease is how long the compressor of a connection and the buffers
// of its compressed paths stay unused before they are released: a timer of
// its own, independent of keepalive, checks every idleRelease whether they
// were used since its previous check, so that they go between one and two
// idleRelease after the last compressed message.
const idleRelease = time.Second

// Protocol is the state machine of one WebSocket connection after its
// opening handshake: see the package documentation. It is not safe for
// concurrent use; a driver calling it from several goroutines serializes
// the calls.
type Protocol struct {
	// The fields are ordered by size, which leaves no padding: an idle
	// connection holds little more than this struct.

	// Configuration, resolved.
	readLimit    int64 // <= 0: none
	maxFrame     int
	pingInterval time.Duration // <= 0: keepalive off
	pongTimeout  time.Duration
	closeTimeout time.Duration

	// Times are kept as nanoseconds since base, the time New was given
	// (see at), which costs 8 bytes instead of a time.Time's 24 and keeps
	// the monotonic clock reading of base.
	base time.Time
	now  int64 // the latest time the driver reported
	// due is the time Deadline returns: while Open, the next keepalive
	// ping when ka == kaIdle, else the end of the wait for the peer's
	// answer; while Closing, the end of the close handshake's step.
	due int64

	result *CloseError
	z      *compState  // nil without compression
	spare  *spare      // nil until a connection needs it
	cl     *closeState // nil until the close handshake starts

	// Read side: the frame being read (in a data frame, cur.Length counts
	// the payload bytes left), and the payload bytes of the incoming
	// message's frames, saturating.
	cur    frame.Header
	rawLen int64

	state State
	role  frame.Role

	// Read side.
	stream  bool // SetStream: no limit on uncompressed messages
	rs      readState
	hlen    uint8 // bytes in hbuf
	mpos    uint8 // masking key position in cur
	clen    uint8 // bytes of a control payload in spare.ctrl
	inMsg   bool
	msgType MessageType
	msgComp bool // the incoming message is compressed
	utf8    utf8valid.Validator
	hbuf    [frame.MaxHeaderSize]byte

	// Write side.
	wOpen    bool // an outgoing message is open
	wStarted bool // its first frame was produced
	wComp    bool // it is compressed
	wFed     bool // the compressor took bytes of it
	wType    MessageType

	// Pending control frames and the close handshake.
	pongQueued   bool
	pongLen      uint8 // in pongInline, or when longer in spare.pong
	pongInline   [pongInline]byte
	spareUsed    bool // spare was needed since the last keepalive tick
	ka           kaState
	closeQueued  bool // our close frame (or echo) is queued or gone
	closeEncoded bool // AppendPending returned it
	closeSent    bool // the driver reported it written
	closeRecv    bool // the peer's close frame arrived
	peerFirst    bool // the peer's close arrived before we queued ours
	halfClose    bool // the driver should shut down its write side
}

// closeState is the state of the close handshake, allocated when it
// starts: of many idle connections few are closing at any time.
type closeState struct {
	failErr    *closecode.Error // the peer's fault the connection failed with
	reason     string           // of our close frame, until it is encoded
	recvReason string           // of the peer's close frame
	code       closecode.Code   // of our close frame, while queued
	recvCode   closecode.Code   // of the peer's close frame
}

// closing returns the state of the close handshake, allocating it if
// needed.
func (p *Protocol) closing() *closeState {
	if p.cl == nil {
		p.cl = new(closeState)
	}
	return p.cl
}

// compState is the state of permessage-deflate, held only by connections
// that negotiated it.
type compState struct {
	dec       *deflate.Decompressor
	comp      *deflate.Compressor
	cbuf      []byte    // compressed payload of the incoming message
	csrc      bufReader // reads cbuf for dec
	chunk     []byte    // inflated output, inflateChunk bytes
	cout      []byte    // compressed output not yet framed
	msgLen    int64     // bytes of the incoming message delivered (inflated)
	relDue    int64     // while relArmed: when the release timer checks next
	threshold int
	decEOF    bool // the inflated message ended; its end is reported next
	compUsed  bool // the compressed paths were used since the last check
	relArmed  bool // the release timer runs: something may be released
}

// compTouched records a use of the compressed paths (the compressor, the
// buffers of a compressed message), arming the release timer if it does
// not run. p.now may be stale (writes are not given the time): the timer
// then fires early, finds the use, and checks again idleRelease later.
func (p *Protocol) compTouched() {
	z := p.z
	z.compUsed = true
	if !z.relArmed {
		z.relArmed = true
		z.relDue = p.after(p.now, idleRelease)
	}
}

// pongInline is the longest ping payload whose pong a Protocol holds
// without its spare buffers: peers' pings carry a few bytes if any (a
// counter, a timestamp). 27 fills the struct's last word.
const pongInline = 27

// spare holds the buffers an idle connection does not need, allocated on
// first need and dropped at a keepalive ping after a whole interval without
// need (see releaseIdle), so that a peer doing without them costs nothing
// and one needing them often costs one allocation per ping interval at
// most.
type spare struct {
	ctrl [frame.MaxControlPayload]byte // a control frame cut short by the end of Parse's input
	pong [frame.MaxControlPayload]byte // a pong payload longer than pongInline
}

// spareBufs returns the spare buffers, allocating them if needed.
func (p *Protocol) spareBufs() *spare {
	if p.spare == nil {
		p.spare = new(spare)
	}
	p.spareUsed = true
	return p.spare
}

// pong returns the payload of the queued pong.
func (p *Protocol) pong() []byte {
	if p.pongLen <= pongInline {
		return p.pongInline[:p.pongLen]
	}
	return p.spare.pong[:p.pongLen]
}

// setPong queues a pong with payload, of at most 125 bytes.
func (p *Protocol) setPong(payload []byte) {
	p.pongLen = uint8(len(payload))
	if len(payload) <= pongInline {
		copy(p.pongInline[:], payload)
	} else {
		copy(p.spareBufs().pong[:], payload)
	}
	p.pongQueued = true
}

// New returns the state machine of a connection whose opening handshake
// completed at now, in state Open, or an error wrapping ErrInvalidConfig.
func New(cfg Config, now time.Time) (*Protocol, error) {
	if cfg.Role != frame.Server && cfg.Role != frame.Client {
		return nil, configError("role %v is neither server nor client", cfg.Role)
	}
	if cfg.MaxFrameSize < 0 {
		return nil, configError("negative MaxFrameSize %d", cfg.MaxFrameSize)
	}
	if cfg.PongTimeout < 0 {
		return nil, configError("negative PongTimeout %v", cfg.PongTimeout)
	}
	if cfg.CloseTimeout < 0 {
		return nil, configError("negative CloseTimeout %v", cfg.CloseTimeout)
	}
	p := &Protocol{
		role:         cfg.Role,
		readLimit:    cfg.ReadLimit,
		maxFrame:     cfg.MaxFrameSize,
		pingInterval: cfg.PingInterval,
		pongTimeout:  cfg.PongTimeout,
		closeTimeout: cfg.CloseTimeout,
		state:        Open,
		base:         now,
	}
	if p.readLimit == 0 {
		p.readLimit = DefaultReadLimit
	}
	if p.maxFrame == 0 {
		p.maxFrame = DefaultMaxFrameSize
	}
	if p.pingInterval == 0 {
		p.pingInterval = DefaultPingInterval
	}
	if p.pongTimeout == 0 {
		p.pongTimeout = DefaultPongTimeout
	}
	if p.closeTimeout == 0 {
		p.closeTimeout = DefaultCloseTimeout
	}
	if d := cfg.Deflate; d != nil {
		for _, b := range []int{d.ServerMaxWindowBits, d.ClientMaxWindowBits} {
			if b != 0 && (b < 8 || b > 15) {
				return nil, configError("window bits %d outside 8..15", b)
			}
		}
		if c := cfg.Compression; c != nil && c.Threshold < 0 {
			return nil, configError("negative compression threshold %d", c.Threshold)
		}
		server := cfg.Role == frame.Server
		p.z = &compState{
			comp: cfg.Compression.NewCompressor(*d, server),
			dec:  deflate.NewDecompressor(*d, server),
		}
		if cfg.Compression != nil {
			p.z.threshold = cfg.Compression.Threshold
		}
	}
	if p.pingInterval > 0 {
		p.due = p.after(0, p.pingInterval)
	}
	return p, nil
}

// at returns t as the Protocol keeps times: nanoseconds since base,
// measured on the monotonic clock when both have a reading of it, and
// saturated some 292 years away.
func (p *Protocol) at(t time.Time) int64 { return int64(t.Sub(p.base)) }

// after returns the time d > 0 after t (both as at returns them),
// saturating.
func (p *Protocol) after(t int64, d time.Duration) int64 {
	if t > math.MaxInt64-int64(d) {
		return math.MaxInt64
	}
	return t + int64(d)
}

// State returns the connection's state: Open until a close frame is queued
// or received, Closing during the close handshake, Closed once the
// connection ended, when the driver closes its transport.
func (p *Protocol) State() State { return p.state }

// Result returns how the connection ended, or nil while it is not Closed.
func (p *Protocol) Result() *CloseError { return p.result }

// Role returns the endpoint's role.
func (p *Protocol) Role() frame.Role { return p.role }

// Compressed reports whether permessage-deflate was negotiated.
func (p *Protocol) Compressed() bool { return p.z != nil }

// MaxFrameSize returns the largest payload of the data frames the
// Protocol produces.
func (p *Protocol) MaxFrameSize() int { return p.maxFrame }
