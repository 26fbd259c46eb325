package deflate

// windowSize is the LZ77 window of compress/flate's compressor: the farthest
// back a back-reference reaches, and so the history a primed writer needs.
const windowSize = 1 << maxWindowBits

// history keeps the last windowSize bytes of plaintext given to a
// compressor, so that a fresh flate.Writer can be primed with them. It grows
// with what it holds, and once full is a ring.
type history struct {
	buf []byte // len(buf) < windowSize: the bytes, oldest first; else a ring
	pos int    // when full: the index of the oldest byte
}

// add appends p to the history, forgetting what falls out of the window.
func (h *history) add(p []byte) {
	if len(p) > windowSize {
		p = p[len(p)-windowSize:]
	}
	if n := len(h.buf); n < windowSize {
		if need := n + len(p); need > cap(h.buf) {
			// Double, from 1 KiB up to the window: a connection sending
			// short messages keeps a short history.
			size := min(windowSize, max(need, 2*cap(h.buf), 1<<10))
			buf := make([]byte, n, size)
			copy(buf, h.buf)
			h.buf = buf
		}
		k := min(len(p), windowSize-n)
		h.buf = append(h.buf, p[:k]...)
		p = p[k:]
		if len(p) == 0 {
			return
		}
		h.pos = 0 // just filled: the oldest byte is first
	}
	k := copy(h.buf[h.pos:], p)
	copy(h.buf, p[k:]) // len(p) <= windowSize: the rest fits before pos
	h.pos = (h.pos + len(p)) % windowSize
}

// parts returns the history, oldest bytes first, in two pieces.
func (h *history) parts() (older, newer []byte) {
	if len(h.buf) < windowSize {
		return h.buf, nil
	}
	return h.buf[h.pos:], h.buf[:h.pos]
}
