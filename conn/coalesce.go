package conn

import (
	"math"
	"time"

	"github.com/hybi/ws/closecode"
)

// Write coalescing. When a Read returns while the read buffer still holds
// input, a pipelining peer is ahead of us and the reader will be
// back at once, so the unmasked data frames written until then are appended
// to a pending buffer instead of costing a system call each. The pending
// bytes go out before any other frame, when the buffer would overflow,
// when a Read returns with nothing more buffered, when the reader is about
// to wait for the network, and in any case within flushDelay, so that no
// write is held back while nobody reads.

// flushDelay bounds how long pending bytes may wait.
const flushDelay = time.Millisecond

// pendingScale is the size of the pending buffer in write buffer sizes:
// enough for a dozen 1 KiB echoes per system call. The buffer is pooled and
// held only while bytes are pending.
const pendingScale = 4

// setMore records, at the end of a Read, whether the read buffer holds more
// input, and flushes pending bytes when it does not.
// The caller holds the read lock.
func (c *Conn) setMore() {
	more := c.rr < c.rw
	if c.more.Load() != more {
		c.more.Store(more)
	}
	if !more {
		c.flushIdle()
	}
}

// flushIdle is called by the reader before it waits for the network: it
// stops coalescing and flushes pending bytes, unless the frame lock is
// taken, in which case the holder or the flush timer sends them.
func (c *Conn) flushIdle() {
	if c.more.Load() {
		c.more.Store(false)
	}
	if !c.pending.Load() {
		return
	}
	select {
	case c.fmu <- struct{}{}:
		c.flushLocked()
		c.unlockFrame()
	default:
	}
}

// appendPending appends the unmasked frame with header hdr and payload p to
// the pending bytes if the reader allows coalescing and they fit. The
// caller holds the frame lock.
func (c *Conn) appendPending(hdr, p []byte) bool {
	if !c.more.Load() {
		return false
	}
	size := pendingScale * c.opts.WriteBufferSize
	if len(c.wpend)+len(hdr)+len(p) > size {
		return false
	}
	if c.wpend == nil {
		c.wpend = getBufFrom(&pendPool, size)[:0]
		c.pending.Store(true)
		t := c.flushTimer.Load()
		if t == nil {
			// Created idle and stored before it is armed, so that
			// timerFlush always finds it.
			t = time.AfterFunc(math.MaxInt64, c.timerFlush)
			c.flushTimer.Store(t)
		}
		t.Reset(flushDelay)
	}
	c.wpend = append(c.wpend, hdr...)
	c.wpend = append(c.wpend, p...)
	return true
}

// flushLocked writes the pending bytes; the caller holds the frame lock.
// A failure tears the connection down.
func (c *Conn) flushLocked() error {
	if c.wpend == nil {
		return nil
	}
	_, err := c.nc.Write(c.wpend)
	c.dropPending()
	if err != nil {
		c.teardown(&CloseError{Code: closecode.Abnormal, Reason: "connection lost", Err: err})
		return c.errNotOpen()
	}
	return nil
}

// dropPending releases the pending buffer; the caller holds the frame lock.
func (c *Conn) dropPending() {
	putBufTo(&pendPool, c.wpend)
	c.wpend = nil
	c.pending.Store(false)
	c.flushTimer.Load().Stop()
}

// timerFlush runs flushDelay after bytes became pending. If the frame lock
// is taken, it tries again later: the holder may be appending more.
func (c *Conn) timerFlush() {
	if !c.pending.Load() || c.State() == Closed {
		return
	}
	// The reader is not back: stop coalescing until its next Read.
	c.more.Store(false)
	select {
	case c.fmu <- struct{}{}:
	default:
		c.flushTimer.Load().Reset(flushDelay)
		return
	}
	c.flushLocked()
	c.unlockFrame()
}
