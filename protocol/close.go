package protocol

import (
	"errors"
	"io"
	"time"
	"unicode/utf8"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
)

// keepalivePayload marks keepalive pings; any byte from the peer answers
// them.
var keepalivePayload = []byte("hybi keepalive")

// Close starts the close handshake at now with code and reason: it queues
// our close frame (see AppendPending) and moves to Closing. The peer then
// has CloseTimeout to answer with its own close frame. Use
// closecode.NoStatus with an empty reason for a close frame without a
// status code. Close returns an error wrapping closecode.ErrInvalidCode,
// ErrReasonTooLong or ErrReasonNotUTF8, and changes nothing, for a code or
// reason that cannot be sent (1005 with a reason, 1006, 1015, codes not
// valid on the wire, reasons over 123 bytes or not UTF-8). Once a close
// frame was queued or received, or the connection ended, Close does
// nothing and returns nil.
func (p *Protocol) Close(code closecode.Code, reason string, now time.Time) error {
	var buf [frame.MaxControlPayload]byte
	if _, err := closecode.Append(buf[:0], code, reason); err != nil {
		return err
	}
	p.now = p.at(now)
	if p.state != Open || p.closeQueued {
		return nil
	}
	c := p.closing()
	c.code, c.reason = code, reason
	p.closeQueued = true
	p.state = Closing
	p.due = p.after(p.now, p.closeTimeout)
	return nil
}

// peerClosed handles the peer's close frame: it queues the echo of its
// status code unless our close frame was queued already.
func (p *Protocol) peerClosed(code closecode.Code, reason string) {
	c := p.closing()
	p.closeRecv = true
	c.recvCode, c.recvReason = code, reason
	p.rs = rsDone
	if !p.closeQueued {
		p.peerFirst = true
		c.code, c.reason = code, "" // the echo of its code
		p.closeQueued = true
		p.state = Closing
		p.due = p.after(p.now, p.closeTimeout) // for writing the echo
	}
	if p.closeSent {
		p.handshakeDone(p.now)
	}
}

// handshakeDone is called once a close frame was both sent and received: a
// server closes the transport at once; a client waits for the server to
// close it (RFC 6455 §7.1.1), bounded by CloseTimeout.
func (p *Protocol) handshakeDone(now int64) {
	if p.role == frame.Server {
		p.finish(&CloseError{Code: p.cl.recvCode, Reason: p.cl.recvReason, Clean: true})
		return
	}
	p.due = p.after(now, p.closeTimeout)
}

// fail fails the connection for the peer's fault err (RFC 6455 §7.1.7): it
// queues a close frame with the fault's code, unless a close frame was
// queued already, and drops further input. It returns the fault as a
// *closecode.Error.
func (p *Protocol) fail(err error) error {
	var pe *closecode.Error
	if !errors.As(err, &pe) { // unreachable: every fault is a *closecode.Error
		pe = &closecode.Error{Code: closecode.ProtocolError, Reason: err.Error()}
	}
	c := p.closing()
	c.failErr = pe
	p.rs = rsDone
	p.inMsg = false
	if !p.closeQueued {
		c.code, c.reason = pe.Code, truncateReason(pe.Reason)
		p.closeQueued = true
	}
	p.state = Closing
	p.due = p.after(p.now, p.closeTimeout)
	if p.closeSent {
		p.halfClose = true
	}
	return pe
}

// truncateReason cuts s to at most MaxReasonLen bytes at a character
// boundary.
func truncateReason(s string) string {
	if len(s) <= closecode.MaxReasonLen {
		return s
	}
	s = s[:closecode.MaxReasonLen]
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		if r != utf8.RuneError || size > 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}

// HasPending reports whether control frames wait to be sent: a pong, a
// keepalive ping, or a close frame. Fetch them with AppendPending.
func (p *Protocol) HasPending() bool {
	if p.state == Closed {
		return false
	}
	return p.pongQueued || p.ka == kaQueued && p.state == Open || p.closeQueued && !p.closeEncoded
}

// AppendPending appends the queued control frames to dst, in the order
// pong, keepalive ping, close, and returns the extended slice. They may go
// out between the frames of a data message, never inside one. Once the
// bytes reached the transport, report it with PendingWritten: that starts
// the keepalive ping's pong timeout and completes the sending of the close
// frame.
func (p *Protocol) AppendPending(dst []byte) []byte {
	if p.state == Closed {
		return dst
	}
	if p.pongQueued {
		p.pongQueued = false
		dst = p.appendControl(dst, frame.OpPong, p.pong())
	}
	if p.ka == kaQueued && p.state == Open {
		p.ka = kaInFlight
		dst = p.appendControl(dst, frame.OpPing, keepalivePayload)
	}
	if p.closeQueued && !p.closeEncoded {
		p.closeEncoded = true
		dst = p.appendControl(dst, frame.OpClose, p.closePayload())
		p.cl.reason = ""
	}
	return dst
}

// closePayload returns the payload of our close frame, encoded in a buffer
// of its own (which does not escape: it is copied into the output). Should
// the code and reason not make a valid payload, the reason is left out
// (unreachable: Close checks them, and faults' reasons are our own text).
func (p *Protocol) closePayload() []byte {
	var buf [frame.MaxControlPayload]byte
	b, err := closecode.Append(buf[:0], p.cl.code, p.cl.reason)
	if err != nil {
		b, _ = closecode.Append(buf[:0], p.cl.code, "")
	}
	return b
}

// PendingWritten reports that the bytes of every AppendPending call so far
// reached the transport at now. A keepalive ping among them is outstanding
// from now; after our close frame a server whose peer closed already is
// Closed, a client waits for the server to close the transport, and a
// failed connection asks for its write side to be shut down (HalfClose).
func (p *Protocol) PendingWritten(now time.Time) {
	p.now = p.at(now)
	if p.state == Closed {
		return
	}
	if p.ka == kaInFlight {
		p.ka = kaOutstanding
		if p.state == Open { // once Closing, due is the close handshake's
			p.due = p.after(p.now, p.pongTimeout)
		}
	}
	if p.closeEncoded && !p.closeSent {
		p.closeSent = true
		switch {
		case p.cl.failErr != nil:
			p.halfClose = true
			p.due = p.after(p.now, p.closeTimeout)
		case p.closeRecv:
			p.handshakeDone(p.now)
		}
	}
}

// HalfClose reports whether the driver should shut down the write side of
// its transport (TCP's CloseWrite) and keep reading until the peer closes
// it: true once the close frame of a failed connection was written, so
// that the peer reads it before the transport ends instead of losing it to
// a reset caused by unread input.
func (p *Protocol) HalfClose() bool { return p.halfClose && p.state == Closing }

// PeerClosedFirst reports whether the peer started the close handshake:
// its close frame arrived before we queued ours.
func (p *Protocol) PeerClosedFirst() bool { return p.peerFirst }

// Alive tells the Protocol that bytes from the peer reached the transport
// at now. Any byte answers a keepalive ping that was due before it, once
// the ping was handed to the driver (AppendPending): its answer can arrive
// before the driver, on another goroutine, reports the ping written. The
// next ping is due PingInterval after the answer. A byte that arrives while
// the ping still waits to be written, behind a long write, shows the peer
// alive too: the ping gets another PongTimeout to go out, and goes out.
// Call Alive whenever a read from the transport returns bytes, before
// giving them to Parse.
func (p *Protocol) Alive(now time.Time) {
	p.now = p.at(now)
	if p.state != Open {
		return
	}
	switch p.ka {
	case kaInFlight, kaOutstanding:
		p.ka = kaIdle
		p.due = p.after(p.now, p.pingInterval)
	case kaQueued:
		p.due = p.after(p.now, p.pongTimeout)
	}
}

// Deadline returns the time at which Tick has something to do, or the zero
// time when nothing is scheduled: the next keepalive ping, the end of the
// wait for an answer to it, the end of a step of the close handshake, or,
// on a compressed connection, the next check of the release of its idle
// compressor (see Tick). It changes only during calls to the Protocol, so
// a driver re-reads it after each batch of calls and keeps one timer (or a
// timing wheel slot) per connection.
func (p *Protocol) Deadline() time.Time {
	switch {
	case p.state == Closing:
		return p.base.Add(time.Duration(p.due))
	case p.state != Open:
		return time.Time{}
	}
	due, ok := p.due, p.pingInterval > 0
	if z := p.z; z != nil && z.relArmed && (!ok || z.relDue < due) {
		due, ok = z.relDue, true
	}
	if !ok {
		return time.Time{}
	}
	return p.base.Add(time.Duration(due))
}

// Tick acts on the deadlines due at now (see Deadline); calling it early
// does nothing. When a ping is due it queues a keepalive ping (HasPending)
// and returns the spare buffers of control frames when they were not
// needed since the previous ping. A keepalive ping not written and
// answered within PongTimeout ends the connection with
// ErrKeepaliveTimeout; an expired step of the close handshake ends it with
// ErrCloseTimeout (or cleanly, for a client that only waited for the
// server to close the transport). The connection is then Closed.
//
// On a compressed connection Tick also returns the compressor's
// flate.Writer to its pool, and drops the buffers of compressed messages,
// once neither was used for a second or so, whether keepalive is on or
// off: an idle connection keeps only the windows of context takeover.
func (p *Protocol) Tick(now time.Time) {
	p.now = p.at(now)
	if z := p.z; z != nil && z.relArmed && p.now >= z.relDue && p.state == Open {
		p.releaseComp()
	}
	if p.now < p.due {
		return // early, or nothing scheduled
	}
	switch p.state {
	case Open:
		if p.pingInterval <= 0 {
			return
		}
		if p.ka != kaIdle {
			p.finish(&CloseError{Code: closecode.Abnormal, Reason: "keepalive timeout", Err: ErrKeepaliveTimeout})
			return
		}
		p.ka = kaQueued
		// Even before it is written: a ping that cannot be written in
		// PongTimeout shows a peer that does not read.
		p.due = p.after(p.now, p.pongTimeout)
		p.releaseIdle()
	case Closing:
		p.finish(p.endResult(ErrCloseTimeout, true))
	}
}

// releaseComp is the release timer's check: when the compressed paths were
// not used since the previous check and no message is open on them, it
// returns the compressor's flate.Writer to its pool and drops the buffers
// of compressed messages, and stops the timer; else it checks again
// idleRelease later.
func (p *Protocol) releaseComp() {
	z := p.z
	if z.compUsed || p.wOpen || p.inMsg {
		z.compUsed = false
		z.relDue = p.after(p.now, idleRelease)
		return
	}
	z.comp.Release()
	z.cout, z.cbuf, z.chunk = nil, nil, nil
	z.relArmed = false
}

// releaseIdle returns the spare buffers when they were not needed since
// the previous call and hold nothing. (The compressed paths have a release
// timer of their own: see releaseComp.)
func (p *Protocol) releaseIdle() {
	// A control frame cut short may wait over ticks; a pong in them
	// cannot (it goes out with the ping queued now), but is checked all
	// the same.
	if !p.spareUsed && p.clen == 0 && !(p.pongQueued && p.pongLen > pongInline) {
		p.spare = nil
	}
	p.spareUsed = false
}

// TransportClosed tells the Protocol that its transport ended, with the
// read or write error err (io.EOF or nil for an orderly end of input). The
// connection is then Closed. Unless the close handshake completed or the
// connection had failed, the result is not clean; an orderly end before the
// peer's close frame is reported as io.ErrUnexpectedEOF.
func (p *Protocol) TransportClosed(err error) {
	if p.state == Closed {
		return
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	p.finish(p.endResult(err, false))
}

// Abort ends the connection at once, for a reason of the driver's (a
// write aborted in the middle of a frame, a local teardown): the result is
// a CloseError with code 1006, reason and cause err. It does nothing once
// the connection is Closed.
func (p *Protocol) Abort(reason string, err error) {
	if p.state == Closed {
		return
	}
	p.finish(&CloseError{Code: closecode.Abnormal, Reason: reason, Err: err})
}

// endResult is how the connection ends when its transport does, with cause
// (timeout: the close timeout expired).
func (p *Protocol) endResult(cause error, timeout bool) *CloseError {
	if c := p.cl; c != nil {
		switch {
		case c.failErr != nil:
			return &CloseError{Code: c.failErr.Code, Reason: c.failErr.Reason, Err: c.failErr}
		case p.closeRecv && p.closeSent:
			return &CloseError{Code: c.recvCode, Reason: c.recvReason, Clean: true}
		case p.closeRecv:
			return &CloseError{Code: c.recvCode, Reason: c.recvReason, Err: cause}
		}
	}
	switch {
	case p.closeQueued && timeout:
		return &CloseError{Code: closecode.Abnormal, Reason: "no close frame from the peer", Err: cause}
	case p.closeQueued:
		return &CloseError{Code: closecode.Abnormal, Reason: "connection lost during the close handshake", Err: cause}
	}
	return &CloseError{Code: closecode.Abnormal, Reason: "connection lost", Err: cause}
}

// finish ends the connection with ce and releases its memory.
func (p *Protocol) finish(ce *CloseError) {
	p.state = Closed
	p.result = ce
	p.rs = rsDone
	p.inMsg = false
	p.wOpen = false
	p.pongQueued = false
	p.halfClose = false
	if z := p.z; z != nil {
		z.comp.Close()
		z.dec.Close()
		z.cbuf, z.chunk, z.cout, z.csrc.b = nil, nil, nil, nil
	}
	p.spare = nil
	p.cl = nil
}
