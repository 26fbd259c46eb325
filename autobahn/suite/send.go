package suite

import (
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/mask"
)

// txFrame is Autobahn's sendFrame arguments: any opcode, RSV and FIN, a
// payload optionally repeated to payloadLen bytes, and how to put the octets
// on the wire (chopsize: separate writes of that many bytes; sync: a write of
// its own).
type txFrame struct {
	opcode     int
	payload    []byte
	notFin     bool
	rsv        int
	payloadLen int // 0: len(payload)
	chopsize   int
	sync       bool
}

// sendFrame encodes and sends f; as a client it masks with a random key.
func (r *run) sendFrame(f txFrame) {
	pl := f.payload
	if f.payloadLen > 0 {
		pl = repeatTo(f.payload, f.payloadLen)
	}
	h := frame.Header{
		Fin:    !f.notFin,
		Rsv:    byte(f.rsv%8) << 4,
		Opcode: frame.Opcode(f.opcode % 16),
		Length: int64(len(pl)),
	}
	if !r.isServer {
		h.Masked = true
		k := r.rng.Uint32()
		h.Key = [4]byte{byte(k), byte(k >> 8), byte(k >> 16), byte(k >> 24)}
	}
	raw := make([]byte, 0, frame.MaxHeaderSize+len(pl))
	raw = frame.AppendHeader(raw, h)
	start := len(raw)
	raw = append(raw, pl...)
	if h.Masked {
		mask.Apply(h.Key, 0, raw[start:])
	}
	r.txFrames[f.opcode]++
	if r.wirelogOn {
		r.logf("TX FRAME : OPCODE=%d, FIN=%t, RSV=%d, PAYLOAD-LEN=%d, MASK=%s, PAYLOAD-REPEAT-LEN=%s, CHOPSIZE=%s, SYNC=%t%s",
			f.opcode, !f.notFin, f.rsv, len(pl), maskString(h), optInt(f.payloadLen), optInt(f.chopsize), f.sync, payloadLine(f.payload))
	}
	r.sendData(raw, f.sync, f.chopsize)
}

func maskString(h frame.Header) string {
	if !h.Masked {
		return "None"
	}
	const hexd = "0123456789abcdef"
	b := make([]byte, 8)
	for i, k := range h.Key {
		b[2*i], b[2*i+1] = hexd[k>>4], hexd[k&15]
	}
	return string(b)
}

func optInt(n int) string {
	if n <= 0 {
		return "None"
	}
	return itoa(n)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// repeatTo repeats p to exactly n bytes.
func repeatTo(p []byte, n int) []byte {
	out := make([]byte, n)
	for i := 0; i < n; i += len(p) {
		copy(out[i:], p)
	}
	return out
}

// sendData queues octets. Plain data is coalesced into one write per batch of
// case actions, as Twisted does within one reactor turn; sync data and chops
// get writes of their own.
func (r *run) sendData(b []byte, sync bool, chopsize int) {
	if r.state == stateClosed {
		return
	}
	switch {
	case chopsize > 0:
		r.flush()
		for i := 0; i < len(b); i += chopsize {
			j := min(i+chopsize, len(b))
			r.w.push(b[i:j])
		}
	case sync:
		r.flush()
		r.w.push(b)
	case len(r.pending) == 0:
		r.pending = b // every caller hands over a slice of its own
	default:
		r.pending = append(r.pending, b...)
	}
}

// flush hands coalesced octets to the writer.
func (r *run) flush() {
	if len(r.pending) > 0 {
		r.w.push(r.pending)
		r.pending = nil
	}
}

// sendMessage is Autobahn's sendMessage: the payload, compressed when
// permessage-deflate was negotiated, in one frame, or in fragments of
// fragSize (autoFragment when 0) where a payload that is a multiple of the
// fragment size ends with an empty final frame.
func (r *run) sendMessage(payload []byte, binary bool, fragSize int, sync bool) {
	opcode := 1
	if binary {
		opcode = 2
	}
	rsv := 0
	if r.pmce != nil {
		// The fragments cut the compressed payload; the first has RSV1.
		r.pmce.zout = r.pmce.comp.Compress(r.pmce.zout[:0], payload)
		payload = r.pmce.zout
		rsv = 4
	}
	pfs := fragSize
	if pfs <= 0 {
		pfs = r.autoFragment
	}
	if pfs <= 0 || len(payload) <= pfs {
		r.sendFrame(txFrame{opcode: opcode, payload: payload, sync: sync, rsv: rsv})
		return
	}
	n := len(payload)
	first := true
	for i := 0; ; i += pfs {
		j := i + pfs
		done := j > n
		if done {
			j = n
		}
		op, rs := 0, 0
		if first {
			op, rs = opcode, rsv
			first = false
		}
		r.sendFrame(txFrame{opcode: op, payload: payload[i:j], notFin: !done, sync: sync, rsv: rs})
		if done {
			return
		}
	}
}

// beginMessage, beginMessageFrame, sendMessageFrameData and endMessage stream
// one frame of a message in parts, as Autobahn's streaming API does.
func (r *run) beginMessage(binary bool) {
	r.streamOpcode = frame.OpText
	if binary {
		r.streamOpcode = frame.OpBinary
	}
	r.streamFirst = true
}

func (r *run) beginMessageFrame(length int) {
	if r.state != stateOpen {
		return
	}
	h := frame.Header{Opcode: frame.OpContinuation, Length: int64(length)}
	if r.streamFirst {
		h.Opcode = r.streamOpcode
		r.streamFirst = false
	}
	if !r.isServer {
		h.Masked = true
		k := r.rng.Uint32()
		h.Key = [4]byte{byte(k), byte(k >> 8), byte(k >> 16), byte(k >> 24)}
	}
	r.streamMasked, r.streamKey, r.streamPos = h.Masked, h.Key, 0
	r.txFrames[int(h.Opcode)]++
	r.logf("TX FRAME HEADER : OPCODE=%d, FIN=false, PAYLOAD-LEN=%d, MASK=%s", h.Opcode, length, maskString(h))
	r.sendData(frame.AppendHeader(nil, h), false, 0)
}

func (r *run) sendMessageFrameData(p []byte) {
	if r.state != stateOpen {
		return
	}
	b := append([]byte(nil), p...)
	if r.streamMasked {
		r.streamPos = mask.Apply(r.streamKey, r.streamPos, b)
	}
	r.logf("TX FRAME DATA : LEN=%d%s", len(p), payloadLine(p))
	r.sendData(b, false, 0)
}

func (r *run) endMessage() {
	if r.state != stateOpen {
		return
	}
	r.sendFrame(txFrame{opcode: 0})
}
