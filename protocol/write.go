package protocol

import (
	"math/rand/v2"

	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/mask"
)

// StartMessage opens an outgoing data message of type typ, whose frames
// the driver then produces with AppendFrame (or AppendHeader), the last one
// with fin set. size is the message's length when the driver knows it (a
// whole message), or -1 when it streams the message in pieces. With
// compression negotiated, the message is compressed unless size is below
// the configured threshold (a streamed message always is). Control frames
// (AppendPending, AppendPing) may go out between the message's frames; no
// other message can start before it ends.
//
// StartMessage returns ErrBadType, ErrMessageOpen, or a *NotOpenError
// (errors.Is ErrNotOpen) when the connection is not Open: no data message
// may start once a close frame was queued or received.
func (p *Protocol) StartMessage(typ MessageType, size int) error {
	if typ != Text && typ != Binary {
		return ErrBadType
	}
	if p.state != Open {
		return p.errNotOpen()
	}
	if p.wOpen {
		return ErrMessageOpen
	}
	p.wOpen, p.wStarted, p.wFed = true, false, false
	p.wType = typ
	p.wComp = p.z != nil && (size < 0 || size >= p.z.threshold)
	return nil
}

// WriteCompressed reports whether the open outgoing message is compressed.
func (p *Protocol) WriteCompressed() bool { return p.wOpen && p.wComp }

// ZeroCopy reports whether the open outgoing message can be sent with
// AppendHeader: its payload goes on the wire unchanged (a server's
// uncompressed message).
func (p *Protocol) ZeroCopy() bool {
	return p.wOpen && !p.wComp && p.role == frame.Server
}

func (p *Protocol) checkFrame() error {
	if p.state != Open {
		return p.errNotOpen()
	}
	if !p.wOpen {
		return ErrNoMessage
	}
	return nil
}

// nextHeader returns the header of the open message's next frame, and
// ends the message after a final one.
func (p *Protocol) nextHeader(fin bool, length int) frame.Header {
	h := frame.Header{Fin: fin, Opcode: frame.OpContinuation, Length: int64(length)}
	if !p.wStarted {
		p.wStarted = true
		h.Opcode = frame.Opcode(p.wType)
		if p.wComp {
			h.Rsv = frame.RSV1
		}
	}
	if fin {
		p.wOpen = false
	}
	return h
}

// AppendFrame appends to dst the next frame of the open outgoing message,
// carrying up to MaxFrameSize bytes of data, and returns the extended slice
// and how many bytes of data it took. The frame is final when fin is set
// and it took all of data; the driver calls AppendFrame again with
// data[n:] until then. A client's frames are masked with a fresh key.
// With nothing to send (no data and not fin) it appends nothing.
//
// For a compressed message, the bytes taken go to the compressor, and dst
// receives the frames (up to MaxFrameSize each) of the compressed bytes it
// produced, possibly none, since compress/flate buffers its input; the
// final call flushes them all. AppendFlush pushes out what it holds
// earlier.
//
// AppendFrame returns ErrNoMessage without an open message, and a
// *NotOpenError once the connection is not Open.
func (p *Protocol) AppendFrame(dst, data []byte, fin bool) ([]byte, int, error) {
	if err := p.checkFrame(); err != nil {
		return dst, 0, err
	}
	n := min(len(data), p.maxFrame)
	last := fin && n == len(data)
	if p.wComp {
		if n == 0 && !last {
			return dst, 0, nil
		}
		p.wFed = true
		p.compTouched()
		out := p.z.cout[:0]
		if n > 0 {
			out = p.z.comp.Write(out, data[:n])
		}
		if last {
			out = p.z.comp.Finish(out)
		}
		return p.appendCompressed(dst, out, last), n, nil
	}
	if n == 0 && !fin {
		return dst, 0, nil
	}
	return p.appendFrame(dst, p.nextHeader(last, n), data[:n]), n, nil
}

// AppendFlush appends frames carrying everything the compressor holds of
// the open compressed message, so that the peer can inflate all of it so
// far (a sync flush; RFC 7692 §7.2.1). For an uncompressed message it does
// nothing: the Protocol holds no data of it.
func (p *Protocol) AppendFlush(dst []byte) ([]byte, error) {
	if err := p.checkFrame(); err != nil {
		return dst, err
	}
	if !p.wComp {
		return dst, nil
	}
	p.wFed = true
	p.compTouched()
	return p.appendCompressed(dst, p.z.comp.Flush(p.z.cout[:0]), false), nil
}

// appendCompressed appends out, compressed bytes of the open message, as
// frames of at most MaxFrameSize, the last of them final if last.
func (p *Protocol) appendCompressed(dst, out []byte, last bool) []byte {
	rest := out
	for len(rest) > 0 {
		k := min(len(rest), p.maxFrame)
		dst = p.appendFrame(dst, p.nextHeader(last && k == len(rest), k), rest[:k])
		rest = rest[k:]
	}
	if last && p.wOpen { // unreachable: a finished message has compressed bytes
		dst = p.appendFrame(dst, p.nextHeader(true, 0), nil)
	}
	if cap(out) > keepBuf {
		out = nil
	}
	p.z.cout = out[:0]
	return dst
}

// AppendHeader is the zero-copy path for a message whose payload goes on
// the wire unchanged (see ZeroCopy): it appends to dst only the header of
// the open message's next frame, for the first n = min(length,
// MaxFrameSize) bytes of the length bytes the driver has left to send, and
// returns the extended slice and n. The driver then sends those n bytes of
// its own payload right after the header (with writev, for instance), and
// calls AppendHeader again for the rest; the frame is final when fin is set
// and n == length. It returns ErrNotZeroCopy for a client or a compressed
// message, ErrBadLength for a negative length, and the errors of
// AppendFrame.
func (p *Protocol) AppendHeader(dst []byte, length int, fin bool) ([]byte, int, error) {
	if err := p.checkFrame(); err != nil {
		return dst, 0, err
	}
	if length < 0 {
		return dst, 0, ErrBadLength
	}
	if p.role == frame.Client || p.wComp {
		return dst, 0, ErrNotZeroCopy
	}
	n := min(length, p.maxFrame)
	last := fin && n == length
	if n == 0 && !fin {
		return dst, 0, nil
	}
	return frame.AppendHeader(dst, p.nextHeader(last, n)), n, nil
}

// AppendMessage appends to dst the whole message data of type typ, as
// StartMessage(typ, len(data)) and AppendFrame calls until its end would.
// It returns the errors of StartMessage.
func (p *Protocol) AppendMessage(dst []byte, typ MessageType, data []byte) ([]byte, error) {
	if err := p.StartMessage(typ, len(data)); err != nil {
		return dst, err
	}
	for p.wOpen {
		var n int
		dst, n, _ = p.AppendFrame(dst, data, true) // cannot fail: the message is open
		data = data[n:]
	}
	return dst, nil
}

// CancelMessage forgets the open outgoing message, so that another one can
// start: call it only when none of the message's frames reached the
// transport (the driver's write was abandoned before its first byte). It
// returns ErrCannotCancel, and changes nothing, for a compressed message
// of which the compressor took bytes in: the driver must then end the
// connection (Abort), since the compressor's context includes them.
func (p *Protocol) CancelMessage() error {
	if !p.wOpen {
		return nil
	}
	if p.wComp && p.wFed {
		return ErrCannotCancel
	}
	p.wOpen = false
	return nil
}

// AppendPing appends to dst a ping frame with payload (at most 125
// bytes), for a driver's own ping; keepalive pings are queued by Tick
// instead. The pong comes back as an EventPong with the same payload. It
// returns ErrControlTooLong, or a *NotOpenError when the connection is not
// Open.
func (p *Protocol) AppendPing(dst, payload []byte) ([]byte, error) {
	if len(payload) > frame.MaxControlPayload {
		return dst, ErrControlTooLong
	}
	if p.state != Open {
		return dst, p.errNotOpen()
	}
	return p.appendControl(dst, frame.OpPing, payload), nil
}

func (p *Protocol) appendControl(dst []byte, op frame.Opcode, payload []byte) []byte {
	return p.appendFrame(dst, frame.Header{Fin: true, Opcode: op, Length: int64(len(payload))}, payload)
}

// appendFrame appends a frame with header h and payload, masked for a
// client.
func (p *Protocol) appendFrame(dst []byte, h frame.Header, payload []byte) []byte {
	if p.role == frame.Client {
		h.Masked = true
		putKey(&h.Key)
	}
	dst = frame.AppendHeader(dst, h)
	start := len(dst)
	dst = append(dst, payload...)
	if h.Masked {
		mask.Apply(h.Key, 0, dst[start:])
	}
	return dst
}

// putKey fills k with a fresh masking key. The runtime's ChaCha8 generator
// behind math/rand/v2's top-level functions is seeded from the operating
// system per process and unpredictable to peers, which is what RFC 6455
// §10.3 asks of masking keys, at a fraction of crypto/rand's cost.
func putKey(k *[4]byte) {
	v := rand.Uint32()
	k[0], k[1], k[2], k[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
