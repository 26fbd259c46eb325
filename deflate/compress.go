package deflate

import (
	"compress/flate"
	"sync"
)

// writerPools pools flate.Writers by level (index level-flate.HuffmanOnly).
var writerPools [9 - flate.HuffmanOnly + 1]sync.Pool

// Compressor compresses the outgoing messages of one connection. Messages are
// compressed whole with Compress, or piecewise with Write, Flush (optional,
// once per non-final fragment) and Finish. Output is appended to a caller's
// slice: the payload of the message's frames, without the trailing
// 0x00 0x00 0xFF 0xFF that RFC 7692 §7.2.1 strips. A message given to the
// compressor must be sent compressed: under context takeover later messages
// may refer to its bytes, so it cannot be swapped for its uncompressed form
// (decide on Config.Threshold before compressing). A Compressor is not safe
// for concurrent use.
type Compressor struct {
	level    int
	takeover bool // keep the flate.Writer, and so the LZ77 window, across messages
	fw       *flate.Writer
	out      appendWriter
}

// appendWriter is the flate.Writer's destination: it appends to buf.
type appendWriter struct {
	buf []byte
}

func (w *appendWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// NewCompressor returns the compressor for the outgoing messages of an
// endpoint, the server if server is true, else the client, under the agreed
// parameters p. The compressor uses c.Level, or flate.HuffmanOnly when p
// limits its window below 15 bits. It keeps its state across messages (a
// flate.Writer of about 1.2 MiB at flate.BestSpeed, 790 KiB at other levels,
// held until Close) only with context takeover: p allows it and
// c.NoContextTakeover is not set, at a level other than HuffmanOnly.
// Otherwise the writer comes from a pool for each message.
func (c *Config) NewCompressor(p Params, server bool) *Compressor {
	bits, noTakeover := p.ClientMaxWindowBits, p.ClientNoContextTakeover
	if server {
		bits, noTakeover = p.ServerMaxWindowBits, p.ServerNoContextTakeover
	}
	level := c.level()
	if bits != 0 && bits < maxWindowBits {
		level = flate.HuffmanOnly // no back-references: fits any window
	}
	noTakeover = noTakeover || c != nil && c.NoContextTakeover || level == flate.HuffmanOnly
	return &Compressor{level: level, takeover: !noTakeover}
}

// Compress appends to dst the compressed payload of the message msg and
// returns the extended slice. An empty msg compresses to the single byte 0x00.
func (c *Compressor) Compress(dst, msg []byte) []byte {
	return c.Finish(c.Write(dst, msg))
}

// Write compresses p as part of the current message (starting one if none is
// in progress) and appends to dst the compressed bytes produced so far, which
// may be none: flate buffers its input.
func (c *Compressor) Write(dst, p []byte) []byte {
	c.begin()
	c.out.buf = dst
	c.fw.Write(p) // cannot fail: appendWriter never does
	return c.take()
}

// Flush appends to dst all compressed bytes of the current message pending
// so far, ending with an empty stored block (0x00 0x00 0xFF 0xFF), so that
// the receiver can decompress everything written so far: the payload of a
// non-final fragment. It is optional.
func (c *Compressor) Flush(dst []byte) []byte {
	c.begin()
	c.out.buf = dst
	c.fw.Flush() // cannot fail
	return c.take()
}

// Finish ends the current message: it appends to dst the rest of its
// compressed bytes without the 4-byte tail (RFC 7692 §7.2.1), the payload of
// the final fragment. That is never empty: after a Flush it is the single
// byte 0x00 (the start of an empty stored block whose remainder is the
// stripped tail). Without context takeover the flate.Writer returns to its
// pool.
func (c *Compressor) Finish(dst []byte) []byte {
	n := len(dst)
	dst = c.Flush(dst)
	// A sync flush always ends with the empty stored block's LEN/NLEN.
	if len(dst)-n >= 4 && string(dst[len(dst)-4:]) == tail {
		dst = dst[:len(dst)-4]
	}
	if !c.takeover {
		c.release()
	}
	return dst
}

// Close releases the compressor's flate.Writer, if any, to its pool. A
// Compressor may still be used after Close between messages: it takes a
// fresh writer, which is always valid (a compressor may drop its context at
// any message boundary). Closing in the middle of a message abandons it.
func (c *Compressor) Close() {
	c.release()
}

func (c *Compressor) begin() {
	if c.fw != nil {
		return
	}
	pool := &writerPools[c.level-flate.HuffmanOnly]
	if v := pool.Get(); v != nil {
		c.fw = v.(*flate.Writer)
		c.fw.Reset(&c.out)
		return
	}
	fw, err := flate.NewWriter(&c.out, c.level)
	if err != nil { // unreachable: levels are validated by Config.level
		panic("deflate: " + err.Error())
	}
	c.fw = fw
}

func (c *Compressor) release() {
	if c.fw == nil {
		return
	}
	writerPools[c.level-flate.HuffmanOnly].Put(c.fw)
	c.fw = nil
}

// take returns the bytes written since out.buf was set, and forgets them.
func (c *Compressor) take() []byte {
	b := c.out.buf
	c.out.buf = nil
	return b
}
