package protocol

import (
	"errors"
	"strconv"

	"github.com/hybi/ws/closecode"
)

// The errors below that conn re-exports keep conn's texts, so that conn can
// alias them without changing what its users see.
var (
	// ErrNotOpen is matched (errors.Is) by the *NotOpenError returned for a
	// message, frame or ping requested while the connection is not Open.
	ErrNotOpen = errors.New("conn: connection is not open")
	// ErrKeepaliveTimeout is the cause of a connection ended because the
	// peer did not answer a keepalive ping in time.
	ErrKeepaliveTimeout = errors.New("conn: keepalive timeout")
	// ErrCloseTimeout is the cause of a connection ended because the close
	// handshake did not complete in time.
	ErrCloseTimeout = errors.New("conn: close handshake timed out")
)

// Errors for calls the Protocol refuses; none of them changes its state.
var (
	// ErrBadType refuses a message type other than Text and Binary.
	ErrBadType = errors.New("protocol: message type must be Text or Binary")
	// ErrMessageOpen refuses a new message while another one is open.
	ErrMessageOpen = errors.New("protocol: an outgoing message is already open")
	// ErrNoMessage refuses a frame when no outgoing message is open.
	ErrNoMessage = errors.New("protocol: no outgoing message is open")
	// ErrNotZeroCopy refuses AppendHeader for a message whose payload must
	// be transformed (masked by a client, or compressed): use AppendFrame.
	ErrNotZeroCopy = errors.New("protocol: the message's frames must be masked or compressed; use AppendFrame")
	// ErrCannotCancel refuses CancelMessage for a compressed message: the
	// compressor took its bytes in, so the stream cannot go on without it.
	ErrCannotCancel = errors.New("protocol: a compressed message cannot be cancelled")
	// ErrControlTooLong refuses a ping payload over 125 bytes.
	ErrControlTooLong = errors.New("protocol: control frame payload over 125 bytes")
	// ErrBadLength refuses a negative frame length.
	ErrBadLength = errors.New("protocol: negative payload length")
)

// NotOpenError is returned for an operation refused because the connection
// is not Open. It matches ErrNotOpen and unwraps to the connection's
// *CloseError once it ended.
type NotOpenError struct {
	State State
	Close *CloseError // nil until the connection is Closed
}

// Error describes the refusal.
func (e *NotOpenError) Error() string {
	s := "conn: connection is " + e.State.String() + ", not OPEN"
	if e.Close != nil {
		s += " (" + e.Close.Error() + ")"
	}
	return s
}

// Is reports whether target is ErrNotOpen.
func (e *NotOpenError) Is(target error) bool { return target == ErrNotOpen }

// Unwrap returns the connection's *CloseError, or nil.
func (e *NotOpenError) Unwrap() error {
	if e.Close == nil {
		return nil
	}
	return e.Close
}

func (p *Protocol) errNotOpen() error {
	return &NotOpenError{State: p.state, Close: p.result}
}

// CloseError reports how a connection ended: the close code and reason the
// peer sent (or the local failure's code), and whether the close handshake
// completed.
type CloseError struct {
	// Code is the status code: the peer's close code when a close frame
	// was received, closecode.NoStatus (1005) when it had no payload, the
	// code the connection was failed with when the peer broke the
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
	// a *closecode.Error for a protocol fault of the peer, the transport's
	// error, ErrKeepaliveTimeout, ErrCloseTimeout, or the driver's own.
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

// Errors of the peer, failing the connection.
var (
	errTooBig      = &closecode.Error{Code: closecode.MessageTooBig, Reason: "message exceeds the read limit"}
	errBadUTF8     = &closecode.Error{Code: closecode.InvalidPayload, Reason: "invalid UTF-8 in text message"}
	errCutUTF8     = &closecode.Error{Code: closecode.InvalidPayload, Reason: "text message ends inside a UTF-8 sequence"}
	errBadDeflate  = &closecode.Error{Code: closecode.InvalidPayload, Reason: "invalid compressed data"}
	errLostDeflate = &closecode.Error{Code: closecode.InternalError, Reason: "decompression context lost"}
	errCtrlRsv     = &closecode.Error{Code: closecode.ProtocolError, Reason: "reserved bit set on a control frame"}
	errDataRsv     = &closecode.Error{Code: closecode.ProtocolError, Reason: "reserved bit set on a frame that cannot carry it"}
	errNewData     = &closecode.Error{Code: closecode.ProtocolError, Reason: "new data frame while a fragmented message is open"}
	errBadCont     = &closecode.Error{Code: closecode.ProtocolError, Reason: "continuation frame without a message to continue"}
)
