//go:build !js

package conn

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/hybi/ws/frame"
)

// now is the clock the state machine is told.
func now() time.Time { return time.Now() }

// onTimer runs at the state machine's deadline: it lets it act (send a
// keepalive ping, give up on an unanswered one, end a step of the close
// handshake) and re-arms the timer for the next deadline.
func (c *Conn) onTimer() {
	c.peekAlive()
	c.mu.Lock()
	c.armed = 0
	c.p.Tick(now())
	pending := c.p.HasPending()
	c.unlock()
	if pending {
		c.flushControl(false)
	}
}

// peekAlive takes in what the peer sent while nobody reads, so that a
// handler that pauses between reads does not miss the sign of life the
// keepalive waits for: when the read lock is free, it reads what the
// network holds, within a millisecond, into the read buffer, where it
// waits for the next read. A full read buffer shows that the application,
// not the peer, is behind.
func (c *Conn) peekAlive() {
	if !c.rmu.tryLock() {
		return // a read is in progress: it sees every byte that arrives
	}
	defer c.unlockRead()
	if c.closedErr() != nil || len(c.msgr.pend) > 0 {
		return
	}
	if c.rbuf == nil {
		c.rbuf = getBuf(c.cfg.readBuf)
	}
	if c.rw == len(c.rbuf) {
		c.alive()
		return
	}
	c.w.dlMu.Lock()
	c.w.rgen++ // no context watch acts on this read
	c.nc.SetReadDeadline(time.Now().Add(time.Millisecond))
	c.w.dlMu.Unlock()
	// An error (other than the deadline) means the connection is lost:
	// the next read reports it, after the bytes before it, or keepalive
	// does.
	n, _ := c.nc.Read(c.rbuf[c.rw:])
	c.nc.SetReadDeadline(time.Time{})
	if n > 0 {
		c.rw += n
		c.alive()
	}
}

// Ping sends a ping and waits for the matching pong, so the time it takes is
// the round-trip time. Some goroutine must be reading the connection for the
// pong to be seen.
func (c *Conn) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := c.pings.Load()
	if w == nil {
		c.pings.CompareAndSwap(nil, new(pingWaiters))
		w = c.pings.Load()
	}
	seq, ch := w.add()
	defer w.remove(seq)
	var payload [8]byte
	binary.BigEndian.PutUint64(payload[:], seq)
	if err := c.lockWire(ctx); err != nil {
		return err
	}
	var buf [frame.MaxHeaderSize + 8]byte
	c.mu.Lock()
	b, err := c.p.AppendPing(buf[:0], payload[:])
	c.mu.Unlock()
	if err != nil {
		c.unlockWire()
		return err
	}
	watching := c.watchWrite(ctx)
	start := monotonic()
	wrote, err := c.writeFrame(b, nil)
	c.endWrite(watching)
	c.unlockWire()
	if err != nil {
		if wrote == 0 && watching && errors.Is(err, os.ErrDeadlineExceeded) {
			return ctxErr(ctx)
		}
		c.abort("connection lost sending a ping", err)
		return c.errNotOpen()
	}
	select {
	case <-ch:
		c.rtt.Store(max(monotonic()-start, 1))
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.errNotOpen()
	}
}

// pingWaiters matches pongs to the Ping calls waiting for them.
type pingWaiters struct {
	mu  sync.Mutex
	seq uint64
	m   map[uint64]chan struct{}
}

func (w *pingWaiters) add() (uint64, chan struct{}) {
	ch := make(chan struct{})
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq++
	if w.m == nil {
		w.m = make(map[uint64]chan struct{})
	}
	w.m[w.seq] = ch
	return w.seq, ch
}

func (w *pingWaiters) remove(seq uint64) {
	w.mu.Lock()
	delete(w.m, seq)
	w.mu.Unlock()
}

// wake wakes the Ping waiting for the pong with payload p.
func (w *pingWaiters) wake(p []byte) {
	if len(p) != 8 {
		return
	}
	seq := binary.BigEndian.Uint64(p)
	w.mu.Lock()
	if ch, ok := w.m[seq]; ok {
		close(ch)
		delete(w.m, seq)
	}
	w.mu.Unlock()
}
