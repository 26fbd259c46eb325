package mask

import (
	"encoding/binary"
	"math/bits"
)

// Apply XORs b in place with the masking key, starting at key byte pos (0..3),
// and returns the key position for the byte that follows b: (pos+len(b))%4.
//
// Only pos&3 is used, so any other value selects key byte pos&3, and the
// result is always (pos+len(b))&3, in 0..3. Masking a payload in several
// pieces, passing each call's result as the next call's pos, gives the same
// bytes as masking it in one call.
func Apply(key [4]byte, pos int, b []byte) int {
	xorKey(b, binary.LittleEndian.Uint32(key[:]), uint(pos))
	return (pos + len(b)) & 3
}

// rotateKey returns key, a little-endian word, rotated so that its first
// byte is key byte pos&3: byte i of a buffer is then XORed with byte i&3 of
// the result.
func rotateKey(key uint32, pos uint) uint32 {
	return bits.RotateLeft32(key, -8*int(pos&3))
}
