package conn

import "sync"

// bufPool holds I/O buffers so that idle connections do not pin them.
var bufPool sync.Pool

// bigPool holds bigBufSize buffers for masking large frames.
var bigPool sync.Pool

// bigBufSize is the size of the buffers in bigPool.
const bigBufSize = 256 << 10

// pendPool holds the buffers of coalesced writes, of pendingScale times
// the write buffer size.
var pendPool sync.Pool

// getBuf returns a buffer of length size from the pool, or a new one.
func getBuf(size int) []byte { return getBufFrom(&bufPool, size) }

// putBuf returns b to the pool.
func putBuf(b []byte) { putBufTo(&bufPool, b) }

// getBufFrom returns a buffer of length size from pool, or a new one.
func getBufFrom(pool *sync.Pool, size int) []byte {
	if p, ok := pool.Get().(*[]byte); ok {
		b := *p
		*p = nil
		bufHeaders.Put(p)
		if cap(b) >= size {
			return b[:size]
		}
		// Too small for this use: let it go rather than circulate.
	}
	return make([]byte, size)
}

// putBufTo returns b to pool.
func putBufTo(pool *sync.Pool, b []byte) {
	if cap(b) == 0 || cap(b) > 1<<20 {
		return
	}
	p, _ := bufHeaders.Get().(*[]byte)
	if p == nil {
		p = new([]byte)
	}
	*p = b[:cap(b)]
	pool.Put(p)
}

// bufHeaders recycles the *[]byte boxes that carry buffers through bufPool,
// so that neither Get nor Put allocates in steady state.
var bufHeaders sync.Pool
