package fuzz

import (
	"encoding/binary"

	"github.com/hybi/ws/mask"
)

// lenEncoding is the width of the payload length field of a frame header.
type lenEncoding uint8

const (
	len7  lenEncoding = iota // in the second byte
	len16                    // 126 in the second byte, then 16 bits
	len64                    // 127 in the second byte, then 64 bits
)

// minimalEncoding returns the encoding RFC 6455 §5.2 requires for the
// length n.
func minimalEncoding(n uint64) lenEncoding {
	switch {
	case n <= 125:
		return len7
	case n <= 0xffff:
		return len16
	}
	return len64
}

// appendRawHeader appends a frame header to dst bit for bit as given, with
// none of the checks of frame.PutHeader: the low 4 bits of op, the RSV bits of
// rsv, and the length n in the encoding enc, truncated to its width (7 bits
// for len7, so that 126 and 127 there announce an extended length that does
// not follow), minimal or not, with the most significant bit set or not. The
// header is masked with key when key is not nil.
func appendRawHeader(dst []byte, fin bool, rsv, op byte, key *[4]byte, enc lenEncoding, n uint64) []byte {
	b0 := rsv&0x70 | op&0x0f
	if fin {
		b0 |= 0x80
	}
	var b1 byte
	if key != nil {
		b1 = 0x80
	}
	switch enc {
	case len7:
		dst = append(dst, b0, b1|byte(n&0x7f))
	case len16:
		dst = append(dst, b0, b1|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, b0, b1|127)
		dst = binary.BigEndian.AppendUint64(dst, n)
	}
	if key != nil {
		dst = append(dst, key[:]...)
	}
	return dst
}

// seedKey is the masking key of the frames built by rawFrame.
var seedKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// rawFrame returns a frame whose header declares the length n in the
// encoding enc, followed by payload, whatever its actual length, masked with
// seedKey when masked is set.
func rawFrame(fin bool, rsv, op byte, masked bool, enc lenEncoding, n uint64, payload []byte) []byte {
	var key *[4]byte
	if masked {
		key = &seedKey
	}
	b := appendRawHeader(nil, fin, rsv, op, key, enc, n)
	start := len(b)
	b = append(b, payload...)
	if masked {
		mask.Apply(seedKey, 0, b[start:])
	}
	return b
}
