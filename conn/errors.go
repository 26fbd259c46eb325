package conn

import (
	"errors"
	"strconv"

	"github.com/hybi/ws/closecode"
)

var (
	// ErrNotOpen is returned (wrapped) by writes and pings on a connection
	// that is not Open.
	ErrNotOpen = errors.New("conn: connection is not open")
	// ErrKeepaliveTimeout is the cause of a connection torn down because
	// the peer did not answer a keepalive ping in time.
	ErrKeepaliveTimeout = errors.New("conn: keepalive timeout")
	// ErrCloseTimeout is the cause of a connection torn down because the
	// close handshake did not complete in time.
	ErrCloseTimeout = errors.New("conn: close handshake timed out")
	// ErrClosedNow is the cause of a connection torn down by CloseNow.
	ErrClosedNow = errors.New("conn: connection torn down by CloseNow")
)

// CloseError reports how a connection ended: the close code and reason the
// peer sent (or the local failure's code), and whether the close handshake
// completed. Reads on a connection that has ended return it; use errors.As.
type CloseError struct {
	// Code is the status code: the peer's close code when a close frame
	// was received, closecode.NoStatus (1005) when it had no payload, the
	// code hybi failed the connection with when the peer broke the
	// protocol, or closecode.Abnormal (1006) when the connection was lost
	// or torn down without a close frame.
	Code closecode.Code
	// Reason is the close reason the peer sent, or a description of the
	// local failure.
	Reason string
	// Clean reports whether the close handshake completed: a close frame
	// was both sent and received (the browser's CloseEvent.wasClean).
	Clean bool
	// Err is the underlying cause when the end was not a clean close:
	// a *closecode.Error for a protocol fault of the peer, an I/O error,
	// ErrKeepaliveTimeout, ErrCloseTimeout, ErrClosedNow.
	Err error
}

// Error describes the close.
func (e *CloseError) Error() string {
	s := "conn: closed with " + strconv.Itoa(int(e.Code))
	if e.Reason != "" {
		s += " " + strconv.Quote(e.Reason)
	}
	if e.Clean {
		s += " (clean)"
	} else {
		s += " (not clean)"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *CloseError) Unwrap() error { return e.Err }

// notOpenError is returned by writes on a connection that is not Open. It
// matches ErrNotOpen and unwraps to the CloseError once there is one.
type notOpenError struct {
	state State
	close *CloseError
}

func (e *notOpenError) Error() string {
	s := "conn: connection is " + e.state.String() + ", not OPEN"
	if e.close != nil {
		s += " (" + e.close.Error() + ")"
	}
	return s
}

func (e *notOpenError) Is(target error) bool { return target == ErrNotOpen }

func (e *notOpenError) Unwrap() error {
	if e.close == nil {
		return nil
	}
	return e.close
}

// errNotOpen builds the error for an operation refused in the current state.
func (c *Conn) errNotOpen() error {
	return &notOpenError{state: c.State(), close: c.closedErr()}
}
