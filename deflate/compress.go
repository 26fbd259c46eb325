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
//
// With context takeover, a Compressor keeps a copy of the last 32 KiB of
// plaintext it compressed, and its flate.Writer until Release or Close:
// Release between messages returns the writer to its pool, and the next
// message primes a pooled writer with the copy, so that its back-references
// into earlier messages stay valid for the peer.
type Compressor struct {
	level    int
	takeover bool // keep the LZ77 window across messages
	inMsg    bool // a message was started and not finished
	stale    bool // ResetContext: fw must forget its window before the next message
	fw       *flate.Writer
	out      appendWriter
	hist     history // takeover only: the window, to prime a fresh writer
}

// appendWriter is the flate.Writer's destination: it appends to buf, or
// drops what it is given while discard is set (when priming a writer).
type appendWriter struct {
	buf     []byte
	discard bool
}

func (w *appendWriter) Write(p []byte) (int, error) {
	if !w.discard {
		w.buf = append(w.buf, p...)
	}
	return len(p), nil
}

// NewCompressor returns the compressor for the outgoing messages of an
// endpoint, the server if server is true, else the client, under the agreed
// parameters p. The compressor uses c.Level, or flate.HuffmanOnly when p
// limits its window below 15 bits. It keeps its state across messages only
// with context takeover: p allows it and c.NoContextTakeover is not set, at a
// level other than HuffmanOnly. That state is a copy of the window (up to
// 32 KiB, kept until Close) and a flate.Writer of about 1.2 MiB at
// flate.BestSpeed, 790 KiB at other levels, kept until Release or Close.
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
	if c.takeover {
		c.hist.add(p)
	}
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
	c.inMsg = false
	if !c.takeover {
		c.release()
	}
	return dst
}

// Release returns the compressor's flate.Writer to its pool when no message
// is in flight, keeping only the copy of the window that context takeover
// needs: the next message primes a pooled writer with it, which costs about
// the time to compress 32 KiB. Release is safe to call at any time between
// messages, for instance on a connection that has been idle for a while; it
// does nothing while a message written with Write or Flush is not finished,
// or when no writer is held (without context takeover the writer already
// returns to its pool after each message).
func (c *Compressor) Release() {
	if !c.inMsg {
		c.release()
	}
}

// Close releases the compressor's flate.Writer, if any, to its pool, and
// drops its context. A Compressor may still be used after Close between
// messages: it takes a fresh writer, which is always valid (a compressor may
// drop its context at any message boundary). Closing in the middle of a
// message abandons it.
func (c *Compressor) Close() {
	c.release()
	c.inMsg = false
	c.hist = history{}
}

func (c *Compressor) begin() {
	c.inMsg = true
	if c.fw != nil {
		if c.stale {
			c.fw.Reset(&c.out)
			c.stale = false
		}
		return
	}
	c.stale = false
	pool := &writerPools[c.level-flate.HuffmanOnly]
	if v := pool.Get(); v != nil {
		c.fw = v.(*flate.Writer)
		c.fw.Reset(&c.out)
	} else {
		fw, err := flate.NewWriter(&c.out, c.level)
		if err != nil { // unreachable: levels are validated by Config.level
			panic("deflate: " + err.Error())
		}
		c.fw = fw
	}
	c.prime()
}

// prime loads the history into a fresh writer's window: it compresses the
// history into the discard sink and sync-flushes, so the next bytes start a
// new block that may refer back into the history, which the peer has as the
// end of its own window.
func (c *Compressor) prime() {
	older, newer := c.hist.parts()
	if len(older)+len(newer) == 0 {
		return
	}
	c.out.discard = true
	c.fw.Write(older)
	c.fw.Write(newer)
	c.fw.Flush()
	c.out.discard = false
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
