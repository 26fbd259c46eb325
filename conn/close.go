//go:build !js

package conn

import (
	"context"

	"github.com/hybi/ws/closecode"
)

// Close starts the close handshake with code and reason, waits for the
// peer's close frame (at most Options.CloseTimeout) and closes the
// connection. It is safe to call from any goroutine, any number of times;
// later calls wait for the same end. Close returns nil when the handshake
// completed cleanly, a *CloseError describing the end otherwise, and an
// error wrapping closecode.ErrInvalidCode, ErrReasonTooLong or
// ErrReasonNotUTF8 (without closing anything) for a code or reason that
// cannot be sent. Use closecode.NoStatus with an empty reason for a close
// frame without a status code.
//
// Close waits behind at most one frame of a message being written: the
// close frame goes out between two frames of it, and the message's later
// writes fail with an error matching ErrNotOpen.
func (c *Conn) Close(code closecode.Code, reason string) error {
	c.mu.Lock()
	err := c.p.Close(code, reason, now())
	c.unlock()
	if err != nil {
		return err
	}
	c.flushControl(false)
	if c.rmu.lock(c.done, nil) {
		// Nobody is reading: read until the end, which the close
		// timeout bounds.
		c.drain()
		c.unlockRead()
	}
	<-c.done
	if ce := c.closedErr(); !ce.Clean {
		return ce
	}
	return nil
}

// drain reads and drops the incoming messages until the connection ends.
// The caller holds the read lock.
func (c *Conn) drain() {
	r := &c.msgr
	r.gen++ // a message's reader reads no more
	r.pend = nil
	for {
		if _, err := c.next(context.Background(), false, nil, nil); err != nil {
			return // the end, reported by closedErr
		}
	}
}

// CloseNow tears the connection down at once, without a close handshake
// (the browser's terminate). It is safe to call from any goroutine, any
// number of times; pending reads return a *CloseError with code 1006.
func (c *Conn) CloseNow() error {
	c.abort("closed by CloseNow", ErrClosedNow)
	return nil
}
