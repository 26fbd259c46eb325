package evented

import (
	"math/bits"
	"sync"
)

// Buffers come from pools by size class, powers of two from 512 B to
// 1 MiB; larger ones are allocated and dropped. The pools hold *[]byte
// values whose holders are recycled too, so that getting and putting a
// buffer allocates nothing in steady state.
const (
	minClassBits = 9
	maxClassBits = 20
)

var (
	classes [maxClassBits - minClassBits + 1]sync.Pool
	holders sync.Pool // empty *[]byte
)

func classOf(n int) int {
	if n <= 1<<minClassBits {
		return 0
	}
	return bits.Len(uint(n-1)) - minClassBits
}

// getBuf returns an empty buffer with room for at least n bytes.
func getBuf(n int) []byte {
	c := classOf(n)
	if c >= len(classes) {
		return make([]byte, 0, n)
	}
	if bp, _ := classes[c].Get().(*[]byte); bp != nil {
		b := *bp
		*bp = nil
		holders.Put(bp)
		return b[:0]
	}
	return make([]byte, 0, 1<<(c+minClassBits))
}

// putBuf returns b to its pool; b must not be used afterwards.
func putBuf(b []byte) {
	n := cap(b)
	if n < 1<<minClassBits || n > 1<<maxClassBits {
		return
	}
	c := bits.Len(uint(n)) - 1 - minClassBits // round down: the class it can serve
	bp, _ := holders.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	*bp = b[:0]
	classes[c].Put(bp)
}

// grow returns b with room for n more bytes, moving it to a bigger pooled
// buffer when it must.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := getBuf(max(2*cap(b), len(b)+n))
	nb = append(nb, b...)
	putBuf(b)
	return nb
}
