package protocol

import (
	"errors"
	"io"
	"math"
	"strconv"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/mask"
)

// EventKind tells what an Event reports.
type EventKind uint8

// The kinds of events Parse returns.
const (
	// EventNone: Parse used up its input and needs more.
	EventNone EventKind = iota
	// EventMessageStart: a data message begins; Type and Compressed are set.
	EventMessageStart
	// EventData: Data holds the next bytes of the message, unmasked,
	// inflated, and for a text message valid UTF-8 so far. It is never
	// empty.
	EventData
	// EventMessageEnd: the message is complete (and, for text, valid UTF-8).
	EventMessageEnd
	// EventPing: a ping arrived with payload Data. Its pong is queued.
	EventPing
	// EventPong: a pong arrived with payload Data.
	EventPong
	// EventClose: the peer's close frame arrived with Code (NoStatus for an
	// empty payload) and Reason. The answer is queued; no more events follow.
	EventClose
)

// String returns the kind's name, such as "data".
func (k EventKind) String() string {
	switch k {
	case EventNone:
		return "none"
	case EventMessageStart:
		return "message start"
	case EventData:
		return "data"
	case EventMessageEnd:
		return "message end"
	case EventPing:
		return "ping"
	case EventPong:
		return "pong"
	case EventClose:
		return "close"
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is what Parse reports about the incoming stream.
type Event struct {
	Kind       EventKind
	Type       MessageType // EventMessageStart
	Compressed bool        // EventMessageStart: the message has RSV1 set
	Keepalive  bool        // EventPong: its payload is the keepalive ping's
	// Data is the payload of EventData, EventPing and EventPong. It
	// points into the input given to Parse or into the Protocol's own
	// buffers, and is valid until the next call to Parse.
	Data   []byte
	Code   closecode.Code // EventClose
	Reason string         // EventClose
}

// Parse consumes bytes received from the peer and reports the next event.
// It returns the event and how many bytes of in it consumed, always all of
// them when the event is EventNone: bytes of a header or control frame cut
// short are kept inside the Protocol, so the caller never keeps bytes for
// it. Call Parse again with in[n:] (or the next input, or nil) until it
// returns EventNone: events such as a message's end, or the inflated bytes
// of a compressed message, may come without consuming input.
//
// Parse writes into in: masked payloads are unmasked in place, and an
// EventData of an uncompressed message points into in.
//
// A compressed message is collected (within the bound described below)
// until its final frame, then inflated in chunks of at most 16 KiB: each
// chunk is one EventData and is checked against the read limit before it is
// delivered. The bytes of an uncompressed message are delivered as they
// arrive.
//
// A fault of the peer is returned as a *closecode.Error holding the code
// the connection fails with (1002 protocol error, 1007 invalid payload, 1009
// too big, 1011 decompression context lost); the close frame answering it
// is queued and the Protocol is Closing. A message over the read limit is
// refused at the frame header that announces it, before any byte of it is
// delivered: an uncompressed message whose frames announce more than the
// limit, a compressed one whose compressed payload exceeds twice the limit
// plus 64 KiB (the room a compressor emitting stored blocks needs), and a
// compressed one as soon as it inflates to more than the limit.
//
// After the peer's close frame, after a failure, and once Closed, Parse
// drops its input: it returns EventNone with n == len(in).
func (p *Protocol) Parse(in []byte) (ev Event, n int, err error) {
	for {
		switch p.rs {
		case rsDone:
			return Event{}, len(in), nil

		case rsHeader:
			var h frame.Header
			if p.hlen == 0 {
				var hn int
				h, hn, err = frame.ParseHeader(in[n:])
				if err == frame.ErrShortHeader {
					p.hlen = uint8(copy(p.hbuf[:], in[n:]))
					return Event{}, len(in), nil
				}
				if err != nil {
					return Event{}, n, p.fail(err)
				}
				n += hn
			} else {
				for {
					var need int
					h, need, err = frame.ParseHeader(p.hbuf[:p.hlen])
					if err == nil {
						break
					}
					if err != frame.ErrShortHeader {
						return Event{}, n, p.fail(err)
					}
					k := copy(p.hbuf[p.hlen:need], in[n:])
					p.hlen += uint8(k)
					n += k
					if int(p.hlen) < need {
						return Event{}, n, nil
					}
				}
				p.hlen = 0
			}
			start, err := p.header(h)
			if err != nil {
				return Event{}, n, p.fail(err)
			}
			if start {
				return Event{Kind: EventMessageStart, Type: p.msgType, Compressed: p.msgComp}, n, nil
			}

		case rsControl:
			l := int(p.cur.Length)
			var payload []byte
			if p.clen == 0 && len(in)-n >= l {
				payload = in[n : n+l : n+l]
				n += l
			} else {
				ctrl := &p.spareBufs().ctrl
				k := copy(ctrl[p.clen:l], in[n:])
				p.clen += uint8(k)
				n += k
				if int(p.clen) < l {
					return Event{}, n, nil
				}
				payload = ctrl[:l]
				p.clen = 0
			}
			ev, err := p.control(payload)
			if err != nil {
				return Event{}, n, p.fail(err)
			}
			return ev, n, nil

		case rsData:
			if p.cur.Length == 0 {
				if !p.cur.Fin {
					p.rs = rsHeader
					continue
				}
				if p.msgComp {
					p.z.csrc.b = p.z.cbuf
					p.z.dec.Reset(&p.z.csrc)
					p.z.decEOF = false
					p.z.msgLen = 0
					p.rs = rsInflate
					continue
				}
				ev, err := p.endMessage()
				return ev, n, err
			}
			avail := len(in) - n
			if avail == 0 {
				return Event{}, n, nil
			}
			k := avail
			if int64(k) > p.cur.Length {
				k = int(p.cur.Length)
			}
			b := in[n : n+k : n+k]
			n += k
			p.cur.Length -= int64(k)
			if p.cur.Masked {
				p.mpos = uint8(mask.Apply(p.cur.Key, int(p.mpos), b))
			}
			if p.msgComp {
				p.z.cbuf = append(p.z.cbuf, b...)
				p.compTouched()
				continue
			}
			if err := p.deliver(b); err != nil {
				return Event{}, n, err
			}
			return Event{Kind: EventData, Data: b}, n, nil

		case rsInflate:
			if p.z.decEOF {
				ev, err := p.endMessage()
				return ev, n, err
			}
			b, err := p.inflate()
			if err != nil {
				return Event{}, n, p.fail(err)
			}
			if len(b) == 0 {
				continue // the end, reported next
			}
			if err := p.deliver(b); err != nil {
				return Event{}, n, err
			}
			return Event{Kind: EventData, Data: b}, n, nil
		}
	}
}

// PayloadPending returns how many payload bytes of the current data frame
// of an uncompressed message Parse still expects, or 0 when it is not
// inside one. A driver may read up to that many bytes straight into the
// memory where the message should end up (a caller's buffer) and give them
// to Parse there: Parse unmasks them in place and returns them as one
// EventData pointing to the same memory, so the message is copied once,
// from the transport.
func (p *Protocol) PayloadPending() int64 {
	if p.rs != rsData || p.msgComp {
		return 0
	}
	return p.cur.Length
}

// header handles an accepted frame header h, checking it against the
// protocol rules and the read limit. It reports whether h starts a message.
func (p *Protocol) header(h frame.Header) (start bool, err error) {
	rules := frame.Rules{Role: p.role}
	if p.z != nil {
		rules.AllowedRsv = frame.RSV1
	}
	if err := rules.Check(h); err != nil {
		return false, err
	}
	if h.Opcode.IsControl() {
		if h.Rsv != 0 {
			return false, errCtrlRsv
		}
		p.cur = h
		p.clen = 0
		p.rs = rsControl
		return false, nil
	}
	cont := h.Opcode == frame.OpContinuation
	if h.Rsv != 0 && (cont || p.z == nil) {
		return false, errDataRsv
	}
	if !cont && p.inMsg {
		return false, errNewData
	}
	if lim := p.readLimit; lim > 0 {
		var prior int64
		compressed := h.Rsv&frame.RSV1 != 0
		if cont && p.inMsg {
			prior, compressed = p.rawLen, p.msgComp
		}
		if p.stream && !compressed {
			lim = math.MaxInt64
		}
		if compressed {
			lim = compressedLimit(lim)
		}
		if exceeds(prior, h.Length, lim) {
			return false, errTooBig
		}
	}
	if cont && !p.inMsg {
		return false, errBadCont
	}
	if !cont {
		p.inMsg = true
		p.msgType = MessageType(h.Opcode)
		p.msgComp = h.Rsv&frame.RSV1 != 0
		p.rawLen = 0
		p.utf8.Reset()
	}
	p.rawLen = addSat(p.rawLen, h.Length)
	p.cur = h // its Length now counts down
	p.mpos = 0
	p.rs = rsData
	return !cont, nil
}

// compressedLimit is the bound on the compressed payload of a message under
// the read limit lim: it stops a peer from streaming compressed bytes
// without end, leaving room for compressors that emit stored blocks (zlib
// with a low memLevel grows random data by up to ~4%). The inflated size is
// what the limit is about; it is checked as the message is inflated.
func compressedLimit(lim int64) int64 {
	const slack = 64 << 10
	if lim > (math.MaxInt64-slack)/2 {
		return math.MaxInt64
	}
	return 2*lim + slack
}

// exceeds reports whether prior+add > lim, without overflow, for
// non-negative prior and add.
func exceeds(prior, add, lim int64) bool {
	return prior > lim || add > lim-prior
}

// addSat returns a+b for non-negative a and b, saturating at MaxInt64.
func addSat(a, b int64) int64 {
	if b > math.MaxInt64-a {
		return math.MaxInt64
	}
	return a + b
}

// deliver accounts for b, the next bytes of the incoming message, and
// checks them as UTF-8 for a text message. The caller checked the limit.
func (p *Protocol) deliver(b []byte) error {
	if p.msgComp {
		p.z.msgLen = addSat(p.z.msgLen, int64(len(b)))
	}
	if p.msgType == Text && !p.utf8.Write(b) {
		return p.fail(errBadUTF8)
	}
	return nil
}

// endMessage ends the incoming message.
func (p *Protocol) endMessage() (Event, error) {
	if p.msgType == Text && !p.utf8.Complete() {
		return Event{}, p.fail(errCutUTF8)
	}
	p.inMsg = false
	p.rs = rsHeader
	if p.msgComp {
		p.z.csrc.b = nil
		if cap(p.z.cbuf) > keepBuf {
			p.z.cbuf = nil
		} else {
			p.z.cbuf = p.z.cbuf[:0]
		}
	}
	return Event{Kind: EventMessageEnd}, nil
}

// inflate returns the next inflated chunk of the compressed message, empty
// at its end. The chunk is bounded so that the read limit is seen crossed
// with at most one byte over it.
func (p *Protocol) inflate() ([]byte, error) {
	if p.z.chunk == nil {
		p.z.chunk = make([]byte, inflateChunk)
	}
	p.compTouched()
	buf := p.z.chunk
	lim := p.readLimit
	if lim > 0 {
		if rest := lim - p.z.msgLen; rest < int64(len(buf)) {
			// Enough to see the limit crossed, no more; a limit lowered
			// below what was delivered (SetReadLimit) is crossed at once.
			buf = buf[:max(rest, 0)+1]
		}
	}
	// compress/flate returns bytes or an error from every Read with a
	// non-empty buffer; should it ever return neither, a few more tries
	// are made before the data is deemed invalid, so that no loop runs
	// without progress.
	for range 8 {
		k, err := p.z.dec.Read(buf)
		if lim > 0 && int64(k) > lim-p.z.msgLen {
			return nil, errTooBig
		}
		switch {
		case err == nil:
		case err == io.EOF:
			p.z.decEOF = true
		case errors.Is(err, deflate.ErrContextLost):
			return nil, errLostDeflate
		default:
			return nil, errBadDeflate
		}
		if k > 0 || p.z.decEOF {
			return buf[:k], nil
		}
	}
	return nil, errBadDeflate
}

// control handles a control frame with header p.cur and (masked) payload.
func (p *Protocol) control(payload []byte) (Event, error) {
	h := p.cur
	p.rs = rsHeader
	if h.Masked {
		mask.Apply(h.Key, 0, payload)
	}
	switch h.Opcode {
	case frame.OpPing:
		if !p.closeQueued {
			// Only the latest ping needs an answer (RFC 6455 §5.5.3).
			p.setPong(payload)
		}
		return Event{Kind: EventPing, Data: payload}, nil
	case frame.OpPong:
		return Event{Kind: EventPong, Data: payload, Keepalive: string(payload) == string(keepalivePayload)}, nil
	default: // frame.OpClose; the rules refused reserved opcodes
		code, reason, err := closecode.Parse(payload)
		if err != nil {
			return Event{}, err
		}
		p.peerClosed(code, reason)
		return Event{Kind: EventClose, Code: code, Reason: reason}, nil
	}
}

// bufReader reads a byte slice; it is the decompressor's source, embedded
// in Protocol so that handing it over does not allocate.
type bufReader struct{ b []byte }

func (r *bufReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
