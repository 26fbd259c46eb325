//go:build !js

package conn

import (
	"context"
	"errors"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hybi/ws/frame"
)

// The wire: every byte a Conn sends goes out under the wire lock (fmu),
// bounded by the caller's context or, for the writes no caller waits for
// (control frames, coalesced messages), by Options.CloseTimeout. A write
// that cannot go out within its bound tears the connection down.
//
// Control frames are queued by the state machine (a pong, the answer to a
// close, a keepalive ping, the close frame that fails a connection) and
// sent by flushControl. When the wire lock is held, by a data write in the
// middle of a long message for instance, the holder sends them when it
// releases the lock, after its current frame: they wait at most one frame.
//
// Write coalescing: when a Read returns while the read buffer still holds
// input, a pipelining peer is ahead of us and the reader will be back at
// once, so the unmasked data frames written until then are appended to a
// pending buffer instead of costing a system call each. The pending bytes
// go out before any other frame, when the buffer would overflow, when the
// reader is about to wait for the network, and in any case within
// flushDelay.

// smallFrame is the size of the header buffer, in which the smallest
// unmasked frames are assembled whole to go out in one write.
const smallFrame = 24

// flushDelay bounds how long coalesced bytes may wait.
const flushDelay = time.Millisecond

// pendingScale is the size of the pending buffer in write buffer sizes:
// enough for a dozen 1 KiB echoes per system call.
const pendingScale = 4

// wire is the write side's state, guarded by the wire lock unless noted.
type wire struct {
	hdr  [smallFrame]byte // the header of a zero-copy frame, with a short payload
	pend []byte           // coalesced frames not sent yet, pooled
	tail []byte           // the rest of a frame whose write was cut, sent first (see putv)
	slow bool             // the last batch of frames had to wait: send one frame at a time

	ctl     atomic.Bool // control frames wait for the wire lock
	more    atomic.Bool // the reader holds more input: coalesce writes
	pending atomic.Bool // pend holds bytes
	flush   atomic.Pointer[time.Timer]

	// Deadlines set for contexts. dlMu orders them with the context
	// watches: a watch acts only while its generation is current, so that
	// one firing late cannot clobber the deadline of a later call.
	dlMu         sync.Mutex
	rgen, wgen   uint64
	rstop, wstop func() bool
	rdl          int64 // the deadline of the read's context (Unix ns), 0 if none
	rdone        bool  // the read's context is done
	rwriting     bool  // the reader writes (see writeBounded)
}

// lockWire takes the wire lock, honouring ctx.
func (c *Conn) lockWire(ctx context.Context) error {
	if c.fmu.lock(ctx.Done(), c.done) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.errNotOpen()
}

// tryLockWire takes the wire lock if it is free.
func (c *Conn) tryLockWire() bool {
	return c.fmu.tryLock()
}

// unlockWire releases the wire lock, then sends the control frames queued
// meanwhile.
func (c *Conn) unlockWire() {
	c.fmu.unlock()
	if c.w.ctl.Load() {
		c.flushControl(false)
	}
}

// flushControl sends the control frames the state machine queued, or
// leaves them to the holder of the wire lock, which sends them when it
// releases it. rd tells that the reader calls it: its context bounds the
// write too.
func (c *Conn) flushControl(rd bool) {
	c.w.ctl.Store(true)
	for c.w.ctl.Load() && c.tryLockWire() {
		c.w.ctl.Store(false)
		c.sendControlLocked(rd)
		c.fmu.unlock()
	}
}

// sendControlLocked writes the queued control frames, after the coalesced
// bytes, within the close timeout. The caller holds the wire lock.
func (c *Conn) sendControlLocked(rd bool) {
	c.mu.Lock()
	if !c.p.HasPending() {
		c.mu.Unlock()
		return
	}
	buf := getBuf(3 * (frame.MaxHeaderSize + frame.MaxControlPayload))
	out := c.p.AppendPending(buf[:0])
	c.mu.Unlock()
	var err error
	if c.w.pend != nil {
		err = c.writeBounded(rd, c.w.pend, out)
		c.dropPending()
	} else {
		err = c.writeBounded(rd, out, nil)
	}
	putBuf(buf)
	c.mu.Lock()
	if err != nil {
		c.p.Abort(wireFailure(err))
		c.unlock()
		return
	}
	if c.p.KeepaliveInFlight() {
		c.kaSent.Store(monotonic())
	}
	c.p.PendingWritten(time.Now())
	half := c.p.HalfClose()
	c.unlock()
	if half {
		if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
	}
}

// wireFailure describes a failed write of bytes no caller waited for.
func wireFailure(err error) (string, error) {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "write timed out", ErrWriteTimeout
	}
	return "connection lost", err
}

// writeBounded writes a and b within the close timeout, and, when rd
// tells that the reader writes, within the bounds of its read's context:
// its deadline, and its cancellation (see watch). The caller holds the wire
// lock.
func (c *Conn) writeBounded(rd bool, a, b []byte) error {
	dl := time.Now().Add(c.cfg.closeTimeout)
	c.w.dlMu.Lock()
	c.w.wgen++ // no writer's context watch acts on this write
	if rd {
		if c.w.rdl != 0 && c.w.rdl < dl.UnixNano() {
			dl = time.Unix(0, c.w.rdl)
		}
		if c.w.rdone {
			dl = aLongTimeAgo
		}
		c.w.rwriting = true
	}
	c.nc.SetWriteDeadline(dl)
	c.w.dlMu.Unlock()
	_, err := c.put(a, b, nil)
	c.w.dlMu.Lock()
	c.w.rwriting = false
	c.nc.SetWriteDeadline(time.Time{})
	c.w.dlMu.Unlock()
	return err
}

// writeFrame writes a frame, b, or the header b and the payload p, under the
// wire lock, bounded by ctx (see watchWrite); coalesced bytes go first, or
// the frame joins them. It returns how many bytes of the frame reached the
// network; a failure after some of them keeps the rest (see put).
func (c *Conn) writeFrame(b, p []byte) (int64, error) {
	if c.w.more.Load() || c.w.pending.Load() {
		if c.w.tail == nil && c.appendPending(b, p) {
			return int64(len(b) + len(p)), nil
		}
		if c.w.pend != nil {
			n, err := c.put(c.w.pend, b, p)
			c.dropPending()
			if err != nil {
				// Coalesced frames reported as written may be lost:
				// the frame counts as started.
				return max(n, 1), err
			}
			return int64(len(b) + len(p)), nil
		}
	}
	if len(p) > 0 && len(b)+len(p) <= len(c.w.hdr) {
		// A short zero-copy frame: b is the header in c.w.hdr; the
		// payload joins it for a single write.
		n := copy(c.w.hdr[len(b):], p)
		return c.put(c.w.hdr[:len(b)+n], nil, nil)
	}
	return c.put(b, p, nil)
}

// put writes the tail kept from an earlier write, then a, b and d, in one
// system call (see putv).
func (c *Conn) put(a, b, d []byte) (int64, error) {
	if c.w.tail == nil && (len(b) == 0 && len(d) == 0 || len(a) == 0 && len(d) == 0) {
		one := a
		if len(one) == 0 {
			one = b
		}
		k, err := c.nc.Write(one) // one buffer: no iovec
		if err != nil && k > 0 && k < len(one) {
			c.w.tail = append(getBuf(len(one) - k)[:0], one[k:]...)
		}
		return int64(k), err
	}
	bt := batchPool.Get().(*batch)
	bt.iov[1], bt.iov[2], bt.iov[3] = a, b, d
	n, err := c.putv(bt, bt.iov[:4])
	bt.release() // do not retain the caller's bytes
	return n, err
}

// putv writes the tail kept from an earlier write, then v[1:], in one
// system call, and returns how many bytes of v[1:] reached the network;
// v[0] is room for the tail, and bt holds the iovec when there is more
// than one buffer to write. When the write fails after some of them, the
// rest becomes the tail, which the next write sends first: a frame once
// started is finished unless the connection ends, and whether it can go on
// is the caller's to decide. The caller holds the wire lock.
func (c *Conn) putv(bt *batch, v [][]byte) (int64, error) {
	var orig [1 + 2*batchFrames][]byte // v[1:] as given: a write consumes v
	copy(orig[:], v[1:])
	tail := c.w.tail
	k, total := 0, 0
	if len(tail) > 0 {
		v[k] = tail
		k++
	}
	for _, x := range orig[:len(v)-1] {
		if len(x) > 0 {
			v[k] = x
			k++
			total += len(x)
		}
	}
	var n int64
	var err error
	if k == 1 {
		var m int
		m, err = c.nc.Write(v[0])
		n = int64(m)
	} else if bw, ok := c.nc.(buffersWriter); ok {
		n, err = bw.WriteBuffers(v[:k])
	} else {
		bt.bufs = v[:k]
		n, err = bt.bufs.WriteTo(c.nc)
		bt.bufs = nil
	}
	wrote := n - int64(len(tail))
	if wrote < 0 {
		c.w.tail = tail[n:] // still first
		wrote = 0
	} else if tail != nil {
		putBuf(c.w.tail[:0])
		c.w.tail = nil
	}
	if err != nil && wrote > 0 && wrote < int64(total) {
		rest := getBuf(total - int(wrote))[:0]
		skip := wrote
		for _, x := range orig[:len(v)-1] {
			m := min(int64(len(x)), skip)
			skip -= m
			rest = append(rest, x[m:]...)
		}
		c.w.tail = rest
	}
	return wrote, err
}

// buffersWriter is a connection that sends several buffers in one call,
// as net.Buffers does on a socket with writev: handshake's HTTP/2 stream,
// which sends them in one DATA frame where a Write each would cost a frame
// and a flush each.
type buffersWriter interface {
	WriteBuffers(v [][]byte) (int64, error)
}

// appendPending appends the frame b+p to the coalesced bytes if the reader
// allows coalescing and it fits. The caller holds the wire lock.
func (c *Conn) appendPending(b, p []byte) bool {
	if !c.w.more.Load() || c.p.Role() == frame.Client {
		return false
	}
	size := pendingScale * c.cfg.writeBuf
	if len(c.w.pend)+len(b)+len(p) > size {
		return false
	}
	if c.w.pend == nil {
		c.w.pend = getBuf(size)[:0]
		c.w.pending.Store(true)
		t := c.w.flush.Load()
		if t == nil {
			// Created idle and stored before it is armed, so that
			// timerFlush always finds it.
			t = time.AfterFunc(math.MaxInt64, c.timerFlush)
			c.w.flush.Store(t)
		}
		t.Reset(flushDelay)
	}
	c.w.pend = append(c.w.pend, b...)
	c.w.pend = append(c.w.pend, p...)
	return true
}

// flushPendingLocked writes the coalesced bytes within the close timeout;
// the caller holds the wire lock. A failure tears the connection down.
func (c *Conn) flushPendingLocked(rd bool) {
	if c.w.pend == nil {
		return
	}
	err := c.writeBounded(rd, c.w.pend, nil)
	c.dropPending()
	if err != nil {
		c.abort(wireFailure(err))
	}
}

// dropPending releases the pending buffer; the caller holds the wire lock.
func (c *Conn) dropPending() {
	putBuf(c.w.pend)
	c.w.pend = nil
	c.w.pending.Store(false)
	c.w.flush.Load().Stop()
}

// setMore records, at the end of a Read, whether the read buffer holds
// more input, and flushes coalesced bytes when it does not. The caller
// holds the read lock.
func (c *Conn) setMore() {
	more := c.rr < c.rw
	if c.w.more.Load() != more {
		c.w.more.Store(more)
	}
	if !more {
		c.flushIdle(true)
	}
}

// flushIdle is called by the reader (rd) before it waits for the network:
// it stops coalescing and flushes the coalesced bytes, unless the wire lock
// is taken, in which case the holder or the flush timer sends them.
func (c *Conn) flushIdle(rd bool) {
	if c.w.more.Load() {
		c.w.more.Store(false)
	}
	if c.w.pending.Load() && c.tryLockWire() {
		c.flushPendingLocked(rd)
		c.unlockWire()
	}
}

// timerFlush runs flushDelay after bytes became pending. If the wire lock
// is taken, it tries again later: the holder may be appending more.
func (c *Conn) timerFlush() {
	if !c.w.pending.Load() || c.closedErr() != nil {
		return
	}
	// The reader is not back: stop coalescing until its next Read.
	c.w.more.Store(false)
	if !c.tryLockWire() {
		c.w.flush.Load().Reset(flushDelay)
		return
	}
	c.flushPendingLocked(false)
	c.unlockWire()
}

// watchWrite applies ctx to the frame writes that follow, until endWrite:
// its deadline becomes the write deadline and its cancellation aborts a
// blocked write. It reports whether it did anything (not when ctx can
// never end). The caller holds the wire lock.
func (c *Conn) watchWrite(ctx context.Context) bool {
	if ctx.Done() == nil {
		return false
	}
	w := &c.w
	w.dlMu.Lock()
	g := w.wgen
	if dl, ok := ctx.Deadline(); ok {
		c.nc.SetWriteDeadline(dl)
	}
	w.dlMu.Unlock()
	w.wstop = context.AfterFunc(ctx, func() {
		w.dlMu.Lock()
		if w.wgen == g {
			c.nc.SetWriteDeadline(aLongTimeAgo)
		}
		w.dlMu.Unlock()
	})
	return true
}

// endWrite undoes watchWrite.
func (c *Conn) endWrite(watching bool) {
	if watching {
		c.w.wstop()
		c.w.dlMu.Lock()
		c.w.wgen++
		c.nc.SetWriteDeadline(time.Time{})
		c.w.dlMu.Unlock()
	}
}
