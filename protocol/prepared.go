package protocol

import (
	"sync"
	"sync/atomic"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/mask"
)

// PreparedMessage is a data message encoded once, to be sent as it is on
// any number of connections: a broadcast. It is safe for concurrent use,
// and immutable once made.
//
// Each connection sends one of the message's encodings, made on the first
// connection that needs it and shared by all those that need the same:
// uncompressed, or compressed once at the connection's compression level
// (flate.HuffmanOnly for those that negotiated a window below 15 bits), cut
// in frames of the connection's MaxFrameSize. A connection sends the
// compressed one when it negotiated permessage-deflate and the message is
// not shorter than its compression threshold, as it would decide for a
// message of its own.
//
// A server's frames are unmasked: its encoding is the frames' bytes, the
// same for every connection, and sending costs a copy (or nothing, see
// Protocol.PreparedFrames). A client's frames must be masked with a fresh
// key each, so a client's encoding is the payload: sending writes the
// headers and masks a copy of it for each connection, which saves the
// compression (the bulk of the cost of a compressed message) and nothing
// else.
//
// The compressed encoding refers to no earlier message, so any peer can
// decode it, whatever its decompressor's window holds. Under context
// takeover the peer adds its plaintext to that window, which the
// connection's own compressor never saw; sending the message therefore
// resets the connection's compressor (deflate.Compressor.ResetContext): the
// connection's next message of its own refers to nothing before it, and
// the context builds up again from there. That costs no time and no
// memory; what it costs is the compression ratio of the next message,
// which cannot use the earlier ones (the same as the first message of a
// connection). With 200-byte chat lines, for instance, a connection's own
// messages compress to 22% of their size with no prepared message between
// them, 24% with one in ten messages prepared, 37% with one in four, and
// 79% with every other one. The alternatives keep the ratio at a price
// per connection: feeding the plaintext to each connection's compressor,
// so that its window matches the peer's, costs a compression of the
// message per connection, the very cost a prepared message saves; keeping
// a copy of it in the compressor's history and priming a fresh writer
// with that history before the next message costs a compression of up to
// 32 KiB per connection. A server that broadcasts most of what it sends
// loses little and can negotiate server_no_context_takeover
// (deflate.Config.NoContextTakeover), which then costs nothing at all.
type PreparedMessage struct {
	typ  MessageType
	data []byte

	mu   sync.Mutex                 // serializes the making of encodings
	encs atomic.Pointer[[]*encoded] // the encodings made, replaced whole under mu
}

// encKey identifies an encoding.
type encKey struct {
	client     bool // payload only, masked at each send; else whole frames
	compressed bool
	level      int // compress/flate level, when compressed
	maxFrame   int // frame size, for a server's frames
}

// encoded is one encoding of a prepared message.
type encoded struct {
	key     encKey
	payload []byte // client: the payload as sent (compressed or not), unmasked
	frames  []byte // server: the frames
}

// NewPreparedMessage returns the message data of type typ, prepared for
// sending on many connections. It copies data. It returns ErrBadType for a
// type other than Text and Binary. (Text is not checked for valid UTF-8,
// as with the Protocol's other messages.)
func NewPreparedMessage(typ MessageType, data []byte) (*PreparedMessage, error) {
	if typ != Text && typ != Binary {
		return nil, ErrBadType
	}
	return &PreparedMessage{typ: typ, data: append([]byte(nil), data...)}, nil
}

// Type returns the message's type.
func (m *PreparedMessage) Type() MessageType { return m.typ }

// Data returns the message's data, which the caller must not modify.
func (m *PreparedMessage) Data() []byte { return m.data }

// encoding returns the encoding for k, making it if needed.
func (m *PreparedMessage) encoding(k encKey) *encoded {
	if list := m.encs.Load(); list != nil {
		for _, e := range *list {
			if e.key == k {
				return e
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var old []*encoded
	if list := m.encs.Load(); list != nil {
		old = *list
		for _, e := range old {
			if e.key == k {
				return e
			}
		}
	}
	e := m.encode(k)
	list := make([]*encoded, len(old), len(old)+1)
	copy(list, old)
	list = append(list, e)
	m.encs.Store(&list)
	return e
}

// encode makes the encoding for k.
func (m *PreparedMessage) encode(k encKey) *encoded {
	e := &encoded{key: k}
	payload := m.data
	if k.compressed {
		cfg := deflate.Config{Level: k.level, NoContextTakeover: true}
		payload = cfg.NewCompressor(deflate.Params{}, true).Compress(nil, m.data)
	}
	if k.client {
		if !k.compressed {
			payload = m.data // immutable: shared
		}
		e.payload = payload
		return e
	}
	size := len(payload) + frame.MaxHeaderSize*(1+len(payload)/k.maxFrame)
	e.frames = make([]byte, 0, size)
	first := true
	for rest := payload; first || len(rest) > 0; {
		n := min(len(rest), k.maxFrame)
		h := frame.Header{Fin: n == len(rest), Opcode: frame.OpContinuation, Length: int64(n)}
		if first {
			h.Opcode = frame.Opcode(m.typ)
			if k.compressed {
				h.Rsv = frame.RSV1
			}
			first = false
		}
		e.frames = frame.AppendHeader(e.frames, h)
		e.frames = append(e.frames, rest[:n]...)
		rest = rest[n:]
	}
	return e
}

// preparedKey returns the key of the encoding of m this connection sends.
func (p *Protocol) preparedKey(m *PreparedMessage) encKey {
	k := encKey{client: p.role == frame.Client}
	if !k.client {
		k.maxFrame = p.maxFrame
	}
	if p.z != nil && len(m.data) >= p.z.threshold {
		k.compressed, k.level = true, p.z.comp.Level()
	}
	return k
}

// prepared checks that m can be sent now and returns its encoding for this
// connection.
func (p *Protocol) prepared(m *PreparedMessage) (*encoded, error) {
	if p.state != Open {
		return nil, p.errNotOpen()
	}
	if p.wOpen {
		return nil, ErrMessageOpen
	}
	return m.encoding(p.preparedKey(m)), nil
}

// sent records that an encoding went out: a compressed one ends the
// compressor's context (see PreparedMessage).
func (p *Protocol) sent(e *encoded) {
	if e.key.compressed {
		p.z.comp.ResetContext()
	}
}

// AppendPrepared appends to dst the frames of the prepared message m, as
// this connection sends it (see PreparedMessage), and returns the extended
// slice: a copy of the shared frames for a server, headers with fresh
// masking keys and a masked copy of the shared payload for a client. The
// first call for an encoding no connection used before makes it. It
// returns ErrMessageOpen while an outgoing message is open, and a
// *NotOpenError when the connection is not Open; the driver sends what it
// appended, or else ends the connection (a compressed message reset the
// compressor's context, which is harmless whether or not it goes out).
func (p *Protocol) AppendPrepared(dst []byte, m *PreparedMessage) ([]byte, error) {
	e, err := p.prepared(m)
	if err != nil {
		return dst, err
	}
	p.sent(e)
	if !e.key.client {
		return append(dst, e.frames...), nil
	}
	first := true
	for rest := e.payload; first || len(rest) > 0; {
		n := min(len(rest), p.maxFrame)
		h := frame.Header{Fin: n == len(rest), Opcode: frame.OpContinuation, Length: int64(n), Masked: true}
		if first {
			h.Opcode = frame.Opcode(m.typ)
			if e.key.compressed {
				h.Rsv = frame.RSV1
			}
			first = false
		}
		putKey(&h.Key)
		dst = frame.AppendHeader(dst, h)
		start := len(dst)
		dst = append(dst, rest[:n]...)
		mask.Apply(h.Key, 0, dst[start:])
		rest = rest[n:]
	}
	return dst, nil
}

// PreparedFrames is the zero-copy form of AppendPrepared for a server: it
// returns the frames of m as this connection sends them, shared with every
// connection that sends the same encoding, which the driver writes as they
// are and must not modify. It returns ErrNotZeroCopy for a client, whose
// frames are masked for each connection, and the errors of AppendPrepared.
func (p *Protocol) PreparedFrames(m *PreparedMessage) ([]byte, error) {
	if p.role == frame.Client {
		return nil, ErrNotZeroCopy
	}
	e, err := p.prepared(m)
	if err != nil {
		return nil, err
	}
	p.sent(e)
	return e.frames, nil
}

// PreparedSize returns how many bytes AppendPrepared appends for m on this
// connection, so that a driver can size its buffer first; it makes the
// encoding if needed. It returns 0 when AppendPrepared would fail.
func (p *Protocol) PreparedSize(m *PreparedMessage) int {
	e, err := p.prepared(m)
	if err != nil {
		return 0
	}
	if !e.key.client {
		return len(e.frames)
	}
	size, rest := 0, len(e.payload)
	for first := true; first || rest > 0; first = false {
		n := min(rest, p.maxFrame)
		size += headerSize(n) + n
		rest -= n
	}
	return size
}

// headerSize returns the size of a masked frame header for a payload of n
// bytes.
func headerSize(n int) int {
	switch {
	case n <= 125:
		return 2 + 4
	case n <= 0xFFFF:
		return 4 + 4
	}
	return 10 + 4
}
