package conn

import (
	"math/bits"
	"sync"
)

// Buffers come from pools by size class, powers of two from 256 bytes to
// 1 MiB: a request gets a buffer of its size's class, at most twice as
// large as asked for, and a buffer goes back only to the pool of its own
// class, so that no pool hands out, or keeps, buffers far larger than its
// users ask for. Idle connections hold none.

const (
	minClassBits = 8  // 256 B
	maxClassBits = 20 // 1 MiB
)

var pools [maxClassBits - minClassBits + 1]sync.Pool

// class returns the index in pools of the class for size, and false when
// size is too large for any.
func class(size int) (int, bool) {
	b := bits.Len(uint(max(size, 1) - 1))
	if b > maxClassBits {
		return 0, false
	}
	return max(b, minClassBits) - minClassBits, true
}

// getBuf returns a buffer of length size from its class's pool, or a new
// one.
func getBuf(size int) []byte {
	i, ok := class(size)
	if !ok {
		return make([]byte, size)
	}
	if p, _ := pools[i].Get().(*[]byte); p != nil {
		b := *p
		*p = nil
		bufHeaders.Put(p)
		return b[:size]
	}
	return make([]byte, size, 1<<(i+minClassBits))
}

// putBuf returns b to the pool of its class, if its capacity is exactly a
// class size: buffers grown by append, or made for larger sizes, are left
// to the garbage collector.
func putBuf(b []byte) {
	c := cap(b)
	i, ok := class(c)
	if !ok || c != 1<<(i+minClassBits) {
		return
	}
	p, _ := bufHeaders.Get().(*[]byte)
	if p == nil {
		p = new([]byte)
	}
	*p = b[:c]
	pools[i].Put(p)
}

// bufHeaders recycles the *[]byte boxes that carry buffers through the
// pools, so that neither Get nor Put allocates in steady state.
var bufHeaders sync.Pool
