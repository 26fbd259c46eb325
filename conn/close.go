package conn

import (
	"errors"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
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
func (c *Conn) Close(code closecode.Code, reason string) error {
	var payload [frame.MaxControlPayload]byte
	p, err := closecode.Append(payload[:0], code, reason)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(c.opts.CloseTimeout)
	c.state.CompareAndSwap(int32(Open), int32(Closing))
	if err := c.writeControl(frame.OpClose, p, c.opts.CloseTimeout); err != nil {
		c.teardown(&CloseError{Code: closecode.Abnormal, Reason: "close frame not sent", Err: err})
		return c.closeResult()
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-c.done:
	case c.rmu <- struct{}{}:
		// Nobody is reading: read until the peer's close arrives.
		c.awaitPeerClose(deadline)
		c.unlockRead()
	case <-timer.C:
		c.teardown(&CloseError{Code: closecode.Abnormal, Reason: "no close frame from the peer", Err: ErrCloseTimeout})
	}
	<-c.done
	return c.closeResult()
}

// closeResult is what Close returns once the connection is torn down.
func (c *Conn) closeResult() error {
	if ce := c.closedErr(); ce != nil && !ce.Clean {
		return ce
	}
	return nil
}

// awaitPeerClose reads and discards messages until the peer's close frame,
// an error, or the deadline. The caller holds the read lock.
func (c *Conn) awaitPeerClose(deadline time.Time) {
	c.nc.SetReadDeadline(deadline)
	for c.closedErr() == nil {
		var err error
		if c.inMsg {
			err = c.discardRaw()
		} else {
			var h frame.Header
			h, err = c.nextFrame()
			if err == nil && h.Opcode == frame.OpContinuation {
				err = protocolError("continuation frame without a message to continue")
			}
			if err == nil {
				c.inMsg = true
				c.compress = false // skipped raw, never decompressed
				c.startFrame(h)
			}
		}
		if err != nil {
			if c.closedErr() != nil {
				return
			}
			var pe *closecode.Error
			if errors.As(err, &pe) {
				c.fail(pe)
				return
			}
			reason, cause := "connection lost during the close handshake", err
			if isTimeoutErr(err) {
				reason, cause = "no close frame from the peer", ErrCloseTimeout
			}
			c.teardown(&CloseError{Code: closecode.Abnormal, Reason: reason, Err: cause})
			return
		}
	}
}

// discardRaw drops the rest of the current message without decoding it.
func (c *Conn) discardRaw() error {
	err := c.drainRaw()
	if err == nil {
		c.inMsg = false
	}
	return err
}

func isTimeoutErr(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// CloseNow tears the connection down at once, without a close handshake
// (the browser's terminate). It is safe to call from any goroutine, any
// number of times; pending reads return a *CloseError with code 1006.
func (c *Conn) CloseNow() error {
	c.teardown(&CloseError{Code: closecode.Abnormal, Reason: "closed by CloseNow", Err: ErrClosedNow})
	return nil
}

// peerClosed handles the peer's close frame with payload p: it answers
// with a close frame that echoes the status code, then ends the connection.
func (c *Conn) peerClosed(p []byte) error {
	code, reason, err := closecode.Parse(p)
	if err != nil {
		return err
	}
	c.state.CompareAndSwap(int32(Open), int32(Closing))
	var reply [2]byte
	r := reply[:0]
	if code != closecode.NoStatus {
		r, _ = closecode.Append(r, code, "")
	}
	if err := c.writeControl(frame.OpClose, r, c.opts.CloseTimeout); err != nil {
		c.teardown(&CloseError{Code: code, Reason: reason, Err: err})
		return c.closedErr()
	}
	// Both close frames are on the wire: the handshake is complete, and
	// that is the end to report, whichever timer or error tears the
	// connection down from here on.
	c.handshakeDone.Store(&CloseError{Code: code, Reason: reason, Clean: true})
	if c.role == frame.Client {
		// RFC 6455 §7.1.1: the server closes the TCP connection first.
		c.awaitEOF(time.Now().Add(c.opts.CloseTimeout))
	}
	c.teardown(c.handshakeDone.Load())
	return c.closedErr()
}

// awaitEOF waits, until deadline, for the peer to close its side.
func (c *Conn) awaitEOF(deadline time.Time) {
	c.nc.SetReadDeadline(deadline)
	var scratch [64]byte
	for {
		if _, err := c.nc.Read(scratch[:]); err != nil {
			return
		}
	}
}

// fail fails the connection for the peer's protocol fault pe (RFC 6455
// §7.1.7): it sends a close frame with pe's code, lets the peer close its
// side (bounded by the close timeout) and tears the connection down.
func (c *Conn) fail(pe *closecode.Error) error {
	c.state.CompareAndSwap(int32(Open), int32(Closing))
	reason := pe.Reason
	if len(reason) > closecode.MaxReasonLen {
		reason = reason[:closecode.MaxReasonLen]
	}
	var payload [frame.MaxControlPayload]byte
	p, err := closecode.Append(payload[:0], pe.Code, reason)
	if err != nil {
		p, _ = closecode.Append(payload[:0], pe.Code, "")
	}
	if err := c.writeControl(frame.OpClose, p, c.opts.CloseTimeout); err == nil {
		// Half-close and drain, so that our close frame is not lost to a
		// TCP reset caused by unread input.
		if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
		c.awaitEOF(time.Now().Add(c.opts.CloseTimeout))
	}
	c.teardown(&CloseError{Code: pe.Code, Reason: pe.Reason, Err: pe})
	return c.closedErr()
}

// teardown ends the connection with ce, unless it already ended.
func (c *Conn) teardown(ce *CloseError) {
	if done := c.handshakeDone.Load(); done != nil {
		ce = done
	}
	if !c.closeErr.CompareAndSwap(nil, ce) {
		return
	}
	c.state.Store(int32(Closed))
	c.stopKeepalive()
	c.nc.Close()
	close(c.done)
}

// closedErr returns how the connection ended, or nil while it has not.
// It is set before teardown returns.
func (c *Conn) closedErr() *CloseError { return c.closeErr.Load() }
