package suite

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/mask"
)

// Connection states, as Autobahn's protocol has them.
const (
	stateOpen = iota
	stateClosing
	stateClosed
)

// Timeouts of Autobahn's fuzzing peers (autobahn 0.10 defaults).
const (
	closeHandshakeTimeout       = 1 * time.Second // we closed first, peer must answer
	serverConnectionDropTimeout = 1 * time.Second // we are the client, server must drop TCP
	maxFramePayload             = 64 << 20        // larger frames and messages from a testee are refused
	maxWirelog                  = 256             // wire log entries kept per case
)

const noCode = -1

// run is one case executing on one connection: Autobahn's fuzzing protocol
// and the case instance in one.
type run struct {
	c        *caseDef
	isServer bool
	conn     net.Conn

	// case state
	expected      []expectation
	expClose      expectedClose
	received      []Event
	behavior      Behavior
	behaviorClose Behavior
	result        string
	resultClose   string
	suppressClose bool
	autoFragment  int
	scale         float64 // timeout scale, see Client.TimeoutScale
	counter       int     // messages sent, for round-trip cases
	dataPos       int     // compression cases: data position of the next message
	sent          []byte  // compression cases: the message awaiting its echo

	// connection state
	state                          int
	closedByMe, failedByMe         bool
	droppedByMe, wasClean          bool
	wasNotCleanReason              string
	wasCloseHandshakeTimeout       bool
	wasServerConnectionDropTimeout bool
	localCloseCode                 int
	localCloseReason               []byte
	remoteCloseCode                int
	remoteCloseReason              string

	// permessage-deflate, when negotiated
	pmce *pmce

	// receive state
	inMessage  bool
	compressed bool   // the message in progress has RSV1 set
	zmsg       []byte // its compressed payload so far
	msgBinary  bool
	validating bool
	msg        []byte
	utf8       utf8Validator

	// streaming send state (beginMessage and friends)
	streamOpcode frame.Opcode
	streamFirst  bool
	streamKey    [4]byte
	streamMasked bool
	streamPos    int

	// output
	pending []byte
	w       *writer

	// bookkeeping
	txFrames, rxFrames map[int]int
	wirelog            []string
	wirelogOn          bool
	wirelogDropped     int
	started            time.Time
	ended              time.Time
	rng                *rand.Rand

	rx    chan rxEvent
	tasks chan func()
	done  chan struct{}
	mu    sync.Mutex // guards timers
	tmrs  []*time.Timer

	closeTimer *time.Timer
	dropTimer  *time.Timer // armed while a client waits for the server to drop TCP
}

// rxEvent is what the reader goroutine reports: a frame, a fatal framing
// error, or the end of the connection.
type rxEvent struct {
	h         frame.Header
	payload   []byte
	violation string // the frame breaks a rule; it is still processed
	fatal     string // the stream cannot be parsed further
	err       error  // connection ended
}

func newRun(c *caseDef, conn net.Conn, isServer bool) *run {
	return &run{
		c:               c,
		isServer:        isServer,
		conn:            conn,
		behavior:        Failed,
		behaviorClose:   Failed,
		result:          "The observed events match no expected list.",
		resultClose:     "The TCP connection ended without a closing handshake.",
		localCloseCode:  noCode,
		remoteCloseCode: noCode,
		txFrames:        map[int]int{},
		rxFrames:        map[int]int{},
		wirelogOn:       true,
		rng:             rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		rx:              make(chan rxEvent, 64),
		tasks:           make(chan func(), 16),
		done:            make(chan struct{}),
	}
}

// execute runs the case on the open connection until it is closed, then
// judges it. buffered holds bytes read past the opening handshake.
func (r *run) execute(buffered []byte) {
	r.w = newWriter(r.conn)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); r.w.loop() }()
	br := bufio.NewReaderSize(io.MultiReader(bytesReader(buffered), r.conn), 64<<10)
	go func() { defer wg.Done(); r.readLoop(br) }()

	r.started = time.Now()
	if r.pmce != nil {
		r.logf("PERMESSAGE-DEFLATE: %s", r.pmce.desc)
		defer r.pmce.close()
	}
	r.c.open(r)
	r.flush()
	for r.state != stateClosed {
		select {
		case ev := <-r.rx:
			r.handle(ev)
		case fn := <-r.tasks:
			fn()
		}
		r.flush()
	}
	r.ended = time.Now()
	r.mu.Lock()
	for _, t := range r.tmrs {
		t.Stop()
	}
	r.mu.Unlock()
	close(r.done)
	r.w.shutdown()
	// The writer closes the connection once flushed (or at once on abort);
	// make sure the reader sees the end too.
	go func() {
		r.w.wait(2 * time.Second)
		r.conn.Close()
	}()
	wg.Wait()
	r.judge()
}

func bytesReader(b []byte) io.Reader {
	if len(b) == 0 {
		return eofReader{}
	}
	return &sliceReader{b: b}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

type sliceReader struct{ b []byte }

func (s *sliceReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

// readLoop parses frames from the testee and hands them to the case loop.
func (r *run) readLoop(br *bufio.Reader) {
	role := frame.Client
	if r.isServer {
		role = frame.Server
	}
	rules := frame.Rules{Role: role}
	if r.pmce != nil {
		rules.AllowedRsv = frame.RSV1
	}
	send := func(ev rxEvent) bool {
		select {
		case r.rx <- ev:
			return true
		case <-r.done:
			return false
		}
	}
	for {
		h, err := frame.ReadHeader(br)
		if err != nil {
			var ce *closecode.Error
			if errors.As(err, &ce) {
				send(rxEvent{fatal: ce.Error()})
				// Nothing more can be parsed; wait for the end.
				_, err = io.Copy(io.Discard, br)
				if err == nil {
					err = io.EOF
				}
			}
			send(rxEvent{err: err})
			return
		}
		ev := rxEvent{h: h}
		if err := rules.Check(h); err != nil {
			ev.violation = err.Error()
		}
		if h.Length > maxFramePayload {
			send(rxEvent{fatal: fmt.Sprintf("frame payload of %d bytes exceeds the fuzzer's limit", h.Length)})
			_, err = io.Copy(io.Discard, br)
			if err == nil {
				err = io.EOF
			}
			send(rxEvent{err: err})
			return
		}
		ev.payload = make([]byte, h.Length)
		if _, err := io.ReadFull(br, ev.payload); err != nil {
			send(rxEvent{err: err})
			return
		}
		if h.Masked {
			mask.Apply(h.Key, 0, ev.payload)
		}
		if !send(ev) {
			return
		}
	}
}

// handle processes one reader event as Autobahn's protocol does.
func (r *run) handle(ev rxEvent) {
	switch {
	case ev.err != nil:
		r.connectionLost()
		return
	case ev.fatal != "":
		r.logf("RX PROTOCOL ERROR: %s", ev.fatal)
		r.failConnection(int(closecode.ProtocolError), ev.fatal)
		return
	}
	if r.state == stateClosed {
		return
	}
	h, p := ev.h, ev.payload
	r.rxFrames[int(h.Opcode)]++
	if r.wirelogOn {
		r.logf("RX FRAME : OPCODE=%d, FIN=%t, RSV=%d, PAYLOAD-LEN=%d, MASKED=%t%s", h.Opcode, h.Fin, h.Rsv>>4, len(p), h.Masked, payloadLine(p))
	}
	if ev.violation != "" {
		r.protocolViolation(ev.violation)
	}
	if r.pmce != nil && h.Rsv&frame.RSV1 != 0 {
		switch {
		case h.Opcode >= 8:
			r.protocolViolation("received compressed control frame [permessage-deflate]")
		case h.Opcode == frame.OpContinuation && r.inMessage:
			r.protocolViolation("received continuation data frame with compress bit set [permessage-deflate]")
		}
	}
	if h.Opcode >= 8 {
		switch h.Opcode {
		case frame.OpClose:
			code := noCode
			var reason []byte
			// A 1-byte payload was reported by the header rules above.
			if len(p) >= 2 {
				code = int(binary.BigEndian.Uint16(p))
				if len(p) > 2 {
					reason = p[2:]
				}
			}
			r.onCloseFrame(code, reason)
		case frame.OpPing:
			if r.state == stateOpen {
				r.sendFrame(txFrame{opcode: 10, payload: p})
			}
		case frame.OpPong:
			r.onPong(p)
		}
		return
	}
	if h.Opcode != frame.OpContinuation && h.Opcode != frame.OpText && h.Opcode != frame.OpBinary && ev.violation == "" {
		r.protocolViolation(fmt.Sprintf("data frame using reserved opcode %d", h.Opcode))
	}
	if !r.inMessage && h.Opcode == frame.OpContinuation {
		r.protocolViolation("received continuation data frame outside fragmented message")
	}
	if r.inMessage && h.Opcode != frame.OpContinuation {
		r.protocolViolation("received non-continuation data frame while inside fragmented message")
	}
	if !r.inMessage {
		r.inMessage = true
		r.msgBinary = h.Opcode == frame.OpBinary
		r.validating = h.Opcode == frame.OpText
		r.utf8.reset()
		r.msg = r.msg[:0]
		r.compressed = r.pmce != nil && h.Rsv&frame.RSV1 != 0
		r.zmsg = r.zmsg[:0]
	}
	if r.compressed {
		// The message is decompressed whole once its last frame arrived.
		if r.failedByMe {
			return
		}
		if len(r.zmsg)+len(p) > maxFramePayload {
			r.failConnection(int(closecode.MessageTooBig), "message exceeds the fuzzer's limit")
			return
		}
		r.zmsg = append(r.zmsg, p...)
		if !h.Fin {
			return
		}
		var err error
		r.pmce.out, err = r.pmce.decompress(r.pmce.out[:0], r.zmsg)
		if p = r.pmce.out; err != nil {
			r.inMessage = false
			if err == errTooBig {
				r.failConnection(int(closecode.MessageTooBig), err.Error())
			} else {
				r.failConnection(int(closecode.InvalidPayload), "invalid compressed message: "+err.Error())
			}
			return
		}
	}
	if r.validating && !r.utf8.write(p) {
		r.invalidPayload("encountered invalid UTF-8 while processing text message")
	}
	if !r.failedByMe {
		if len(r.msg)+len(p) > maxFramePayload {
			r.failConnection(int(closecode.MessageTooBig), "message exceeds the fuzzer's limit")
		} else {
			r.msg = append(r.msg, p...)
		}
	}
	if h.Fin {
		if r.validating && !r.utf8.complete() {
			r.invalidPayload("UTF-8 text message payload ended within Unicode code point")
		}
		r.inMessage = false
		if !r.failedByMe {
			msg := r.msg
			r.msg = nil
			r.onMessage(msg, r.msgBinary)
		}
	}
}

// onMessage and onPong are the case's event handlers.
func (r *run) onMessage(payload []byte, binary bool) {
	if r.c.onMessage != nil {
		r.c.onMessage(r, payload, binary)
		return
	}
	r.received = append(r.received, Event{Kind: "message", Data: payload, Binary: binary})
	r.finishWhenDone()
}

func (r *run) onPong(payload []byte) {
	r.received = append(r.received, Event{Kind: "pong", Data: payload})
	r.finishWhenDone()
}

// finishWhenDone starts the closing handshake once the received events match
// every expected list (Autobahn's rule, so only with a single expectation).
func (r *run) finishWhenDone() {
	for _, e := range r.expected {
		if !eventsEqual(r.received, e.Events) {
			return
		}
	}
	if r.expClose.ClosedByMe && !r.suppressClose {
		r.sendClose(r.expClose.CloseCode[0], "")
	}
}
