package conn

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
)

// Ping sends a ping and waits for the matching pong, so the time it takes is
// the round-trip time. Some goroutine must be reading the connection for the
// pong to be seen.
func (c *Conn) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.State() != Open {
		return c.errNotOpen()
	}
	timeout := c.opts.CloseTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
		if timeout <= 0 {
			return context.DeadlineExceeded
		}
	}
	ch := make(chan struct{})
	c.pingMu.Lock()
	c.pingSeq++
	seq := c.pingSeq
	if c.pings == nil {
		c.pings = make(map[uint64]chan struct{})
	}
	c.pings[seq] = ch
	c.pingMu.Unlock()
	defer func() {
		c.pingMu.Lock()
		delete(c.pings, seq)
		c.pingMu.Unlock()
	}()
	var p [8]byte
	binary.BigEndian.PutUint64(p[:], seq)
	if err := c.writeControl(frame.OpPing, p[:], timeout); err != nil {
		if err == errCloseSent {
			return c.errNotOpen()
		}
		if err == errFrameBusy && ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.errNotOpen()
	}
}

// pong handles a received pong with payload p.
func (c *Conn) pong(p []byte) {
	if len(p) != 8 {
		return
	}
	seq := binary.BigEndian.Uint64(p)
	c.pingMu.Lock()
	if ch, ok := c.pings[seq]; ok {
		close(ch)
		delete(c.pings, seq)
	}
	c.pingMu.Unlock()
}

// keepalivePayload marks keepalive pings; any frame proves the peer alive.
var keepalivePayload = []byte("hybi keepalive")

func (c *Conn) startKeepalive() {
	if c.opts.PingInterval <= 0 {
		return
	}
	// Under pingMu, which the tick takes before using the timer.
	c.pingMu.Lock()
	c.kaTimer = time.AfterFunc(c.opts.PingInterval, c.keepaliveTick)
	c.pingMu.Unlock()
}

// keepaliveTick runs on the keepalive timer: it sends a ping, or tears the
// connection down when the previous ping went unanswered. It also releases
// the memory of a compressor left idle since the previous tick.
func (c *Conn) keepaliveTick() {
	if c.State() != Open {
		return
	}
	c.pingMu.Lock()
	if c.kaActive.Load() {
		c.pingMu.Unlock()
		c.teardown(&CloseError{Code: closecode.Abnormal, Reason: "keepalive timeout", Err: ErrKeepaliveTimeout})
		return
	}
	c.kaActive.Store(true)
	c.kaTimer.Reset(c.opts.PongTimeout)
	c.pingMu.Unlock()
	c.releaseIdleCompressor()
	c.writeControl(frame.OpPing, keepalivePayload, c.opts.PongTimeout)
}

// releaseIdleCompressor returns the compressor's flate.Writer (about 1 MiB
// under context takeover) to its pool when no message used it since the
// previous keepalive tick; the compressor keeps only its 32 KiB window. It
// runs under the message lock, taken only if free: a connection busy with a
// message is not idle.
func (c *Conn) releaseIdleCompressor() {
	if c.comp == nil {
		return
	}
	select {
	case c.wmu <- struct{}{}:
	default:
		return
	}
	if !c.compUsed {
		c.comp.Release()
	}
	c.compUsed = false
	c.unlockWrite()
}

// alive records that a frame arrived from the peer.
func (c *Conn) alive() {
	if !c.kaActive.Load() {
		return
	}
	c.pingMu.Lock()
	if c.kaActive.Load() && c.State() == Open {
		c.kaActive.Store(false)
		c.kaTimer.Reset(c.opts.PingInterval)
	}
	c.pingMu.Unlock()
}

func (c *Conn) stopKeepalive() {
	if c.kaTimer == nil {
		return
	}
	c.pingMu.Lock()
	c.kaTimer.Stop()
	c.pingMu.Unlock()
}
