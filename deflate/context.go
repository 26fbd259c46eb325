package deflate

// Level returns the compress/flate level the compressor uses:
// Config.Level, or flate.HuffmanOnly when the negotiated window is below
// 15 bits. Messages compressed without context at this level with any
// Compressor are valid on the connection (see ResetContext).
func (c *Compressor) Level() int { return c.level }

// Takeover reports whether the compressor keeps its context across
// messages (context takeover).
func (c *Compressor) Takeover() bool { return c.takeover }

// ResetContext makes the compressor forget its context, as if it had not
// compressed anything yet: the next message refers to no earlier one. A
// driver calls it between messages after sending a message compressed by
// other means (a message compressed once for many connections): under
// context takeover the peer's decompressor added that message's plaintext
// to its window, so the window this compressor would refer into no longer
// matches the peer's; with no reference into it, the peer decodes the next
// messages whatever its window holds. It costs no allocation; the flate
// writer, if held, forgets its window when the next message starts (a
// memory clear of about 640 KiB at levels above flate.BestSpeed, next to
// nothing at BestSpeed). Calling it in the middle of a message abandons
// the message.
func (c *Compressor) ResetContext() {
	c.hist.buf = c.hist.buf[:0]
	c.hist.pos = 0
	c.inMsg = false
	c.stale = c.fw != nil
}
