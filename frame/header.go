package frame

import (
	"encoding/binary"
	"errors"

	"github.com/hybi/ws/closecode"
)

// Bits of the first header byte that carry the reserved extension flags
// (RFC 6455 §5.2). RSV1 is the "per-message compressed" bit of RFC 7692.
const (
	RSV1 byte = 0x40
	RSV2 byte = 0x20
	RSV3 byte = 0x10
)

// MaxHeaderSize is the size of the largest header: 2 bytes, an 8-byte
// extended length and a 4-byte masking key.
const MaxHeaderSize = 14

// MaxControlPayload is the largest payload of a control frame (RFC 6455 §5.5).
const MaxControlPayload = 125

const (
	finBit  = 0x80
	rsvBits = RSV1 | RSV2 | RSV3
	opBits  = 0x0f
	maskBit = 0x80
	lenBits = 0x7f

	len16 = 126 // 7-bit length value announcing a 16-bit extended length
	len64 = 127 // 7-bit length value announcing a 64-bit extended length
)

// Header is a decoded frame header.
type Header struct {
	Fin    bool    // final fragment of a message
	Rsv    byte    // reserved bits: any of RSV1|RSV2|RSV3
	Opcode Opcode  // frame type
	Masked bool    // the payload is masked with Key
	Key    [4]byte // masking key, meaningful when Masked
	Length int64   // payload length in bytes, 0 to 2^63-1
}

// ErrShortHeader is returned by ParseHeader when its input does not yet
// hold a complete header.
var ErrShortHeader = errors.New("frame: short header")

// Size returns the length of h once encoded: 2 to 14 bytes.
func (h Header) Size() int {
	n := 2
	switch {
	case h.Length > 0xffff:
		n += 8
	case h.Length >= len16:
		n += 2
	}
	if h.Masked {
		n += 4
	}
	return n
}

// PutHeader encodes h into b, which must hold at least h.Size() bytes, and
// returns the number of bytes written. The payload length uses the minimal
// encoding. Only the RSV bits of h.Rsv and the low 4 bits of h.Opcode are
// encoded. PutHeader panics if h.Length is negative or b is too short.
func PutHeader(b []byte, h Header) int {
	if h.Length < 0 {
		panic("frame: negative payload length")
	}
	_ = b[h.Size()-1] // one bounds check, panics early if b is short

	b0 := h.Rsv&rsvBits | byte(h.Opcode)&opBits
	if h.Fin {
		b0 |= finBit
	}
	b[0] = b0
	var b1 byte
	if h.Masked {
		b1 = maskBit
	}
	n := 2
	switch {
	case h.Length > 0xffff:
		b[1] = b1 | len64
		binary.BigEndian.PutUint64(b[2:], uint64(h.Length))
		n += 8
	case h.Length >= len16:
		b[1] = b1 | len16
		binary.BigEndian.PutUint16(b[2:], uint16(h.Length))
		n += 2
	default:
		b[1] = b1 | byte(h.Length)
	}
	if h.Masked {
		n += copy(b[n:], h.Key[:])
	}
	return n
}

// AppendHeader appends the encoding of h to dst, as PutHeader does, and
// returns the extended slice.
func AppendHeader(dst []byte, h Header) []byte {
	var buf [MaxHeaderSize]byte
	n := PutHeader(buf[:], h)
	return append(dst, buf[:n]...)
}

// ParseHeader decodes a header from the start of b without I/O.
//
// If b is too short, ParseHeader returns ErrShortHeader and n is the total
// number of bytes the header needs, as far as b tells: 2 while b has fewer
// than 2 bytes, the full header size afterwards. Call it again with at least
// n bytes. Otherwise n is the number of bytes consumed.
//
// A 64-bit length with its most significant bit set, and a length not
// encoded in the minimal number of bytes (a 16-bit length below 126, a
// 64-bit length below 65536), are rejected with a *closecode.Error of code
// ProtocolError: RFC 6455 §5.2 says "the minimal number of bytes MUST be
// used to encode the length". Rejecting them also makes every accepted
// header re-encode to exactly the bytes it was parsed from.
//
// ParseHeader checks only the structure of the header; use Rules.Check for
// what a receiver must verify about its contents.
func ParseHeader(b []byte) (h Header, n int, err error) {
	if len(b) < 2 {
		return Header{}, 2, ErrShortHeader
	}
	b0, b1 := b[0], b[1]
	n = 2
	switch b1 & lenBits {
	case len16:
		n += 2
	case len64:
		n += 8
	}
	masked := b1&maskBit != 0
	if masked {
		n += 4
	}
	if len(b) < n {
		return Header{}, n, ErrShortHeader
	}

	h = Header{
		Fin:    b0&finBit != 0,
		Rsv:    b0 & rsvBits,
		Opcode: Opcode(b0 & opBits),
		Masked: masked,
	}
	p := 2
	switch l := b1 & lenBits; l {
	case len16:
		v := binary.BigEndian.Uint16(b[2:])
		if v < len16 {
			return Header{}, 0, &closecode.Error{Code: closecode.ProtocolError, Reason: "non-minimal 16-bit payload length"}
		}
		h.Length = int64(v)
		p += 2
	case len64:
		v := binary.BigEndian.Uint64(b[2:])
		if v>>63 != 0 {
			return Header{}, 0, &closecode.Error{Code: closecode.ProtocolError, Reason: "64-bit payload length with MSB set"}
		}
		if v <= 0xffff {
			return Header{}, 0, &closecode.Error{Code: closecode.ProtocolError, Reason: "non-minimal 64-bit payload length"}
		}
		h.Length = int64(v)
		p += 8
	default:
		h.Length = int64(l)
	}
	if masked {
		h.Key = [4]byte(b[p : p+4])
	}
	return h, n, nil
}
