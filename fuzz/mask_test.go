package fuzz

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/hybi/ws/mask"
)

// naiveMask is the masking of RFC 6455 §5.3, a byte at a time.
func naiveMask(key [4]byte, pos int, b []byte) int {
	for i := range b {
		b[i] ^= key[(pos+i)%4]
	}
	return (pos + len(b)) % 4
}

// FuzzMask compares mask.Apply with a byte loop for any key, starting key
// position, length and memory alignment (off), and when applied in chunks
// whose sizes come from the input, chaining the returned positions; the bytes
// around the slice must stay untouched.
func FuzzMask(f *testing.F) {
	f.Add(uint32(0x37fa213d), uint8(0), uint8(0), []byte("Hello"), []byte{})
	f.Add(uint32(0xdeadbeef), uint8(3), uint8(1), bytes.Repeat([]byte{0xaa}, 100), []byte{1, 7, 31, 33})
	f.Add(uint32(0), uint8(1), uint8(7), bytes.Repeat([]byte("0123456789abcdef"), 20), []byte{64, 0, 5})
	f.Fuzz(func(t *testing.T, k uint32, pos, off uint8, data, chunks []byte) {
		defer watchdog()()
		var key [4]byte
		binary.BigEndian.PutUint32(key[:], k)
		p := int(pos % 4)
		o := int(off % 64)

		want := append([]byte{}, data...)
		wantPos := naiveMask(key, p, want)

		// One call, at offset o of a buffer with guard bytes on both sides.
		buf := make([]byte, o+len(data)+64)
		for i := range buf {
			buf[i] = 0x5a
		}
		copy(buf[o:], data)
		if got := mask.Apply(key, p, buf[o:o+len(data)]); got != wantPos {
			t.Fatalf("Apply(% x, %d, %d bytes at offset %d) = %d, want %d", key, p, len(data), o, got, wantPos)
		}
		if !bytes.Equal(buf[o:o+len(data)], want) {
			t.Fatalf("Apply(% x, %d, %d bytes at offset %d) masked wrongly", key, p, len(data), o)
		}
		for i, b := range buf {
			if (i < o || i >= o+len(data)) && b != 0x5a {
				t.Fatalf("Apply(% x, %d, %d bytes at offset %d) wrote byte %d outside the slice", key, p, len(data), o, i)
			}
		}

		// In chunks, chaining the key position; a 0 size is an empty
		// Apply, which must keep the position, followed by a 1-byte chunk.
		got := append([]byte{}, data...)
		cp := p
		for i, rest := 0, got; len(rest) > 0; i++ {
			n := len(rest)
			if len(chunks) > 0 {
				c := int(chunks[i%len(chunks)])
				if c == 0 {
					if q := mask.Apply(key, cp, rest[:0]); q != cp {
						t.Fatalf("Apply(% x, %d, empty) = %d", key, cp, q)
					}
					c = 1
				}
				n = min(n, c)
			}
			cp = mask.Apply(key, cp, rest[:n])
			rest = rest[n:]
		}
		if !bytes.Equal(got, want) || cp != wantPos {
			t.Fatalf("Apply(% x, %d) in chunks %v masked wrongly or ended at position %d, want %d", key, p, chunks, cp, wantPos)
		}

		// Applying again restores the data.
		if mask.Apply(key, p, got); !bytes.Equal(got, data) {
			t.Fatalf("Apply(% x, %d) twice does not restore the data", key, p)
		}
	})
}
