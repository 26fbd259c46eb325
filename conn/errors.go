package conn

import (
	"errors"

	"github.com/hybi/ws/protocol"
)

var (
	// ErrNotOpen is matched (errors.Is) by the errors of writes and pings on
	// a connection that is not Open; they unwrap to the *CloseError once
	// the connection ended.
	ErrNotOpen = protocol.ErrNotOpen
	// ErrKeepaliveTimeout is the cause of a connection torn down because
	// the peer did not answer a keepalive ping in time.
	ErrKeepaliveTimeout = protocol.ErrKeepaliveTimeout
	// ErrCloseTimeout is the cause of a connection torn down because the
	// close handshake did not complete in time.
	ErrCloseTimeout = protocol.ErrCloseTimeout
	// ErrClosedNow is the cause of a connection torn down by CloseNow.
	ErrClosedNow = errors.New("conn: connection torn down by CloseNow")
	// ErrWriteTimeout is the cause of a connection torn down because a
	// write without a caller's deadline (a control frame, or coalesced
	// messages) could not go out within Options.CloseTimeout: the peer
	// stopped reading.
	ErrWriteTimeout = errors.New("conn: write timed out: the peer stopped reading")
	// ErrWriterClosed is returned by a message writer used after its Close.
	ErrWriterClosed = errors.New("conn: message writer already closed")
	// ErrReaderClosed is returned by the reader of a message that Reader
	// returned, once a later message was asked for: what was left of its
	// message was discarded.
	ErrReaderClosed = errors.New("conn: message reader used after a later message was read")
	// ErrBadType refuses a message type other than Text and Binary.
	ErrBadType = protocol.ErrBadType
)

// CloseError reports how a connection ended: the close code and reason the
// peer sent (or the local failure's code), and whether the close handshake
// completed (the browser's CloseEvent.wasClean). Reads on a connection that
// has ended return it; use errors.As. Err, the cause of an end that was not
// clean, is a *closecode.Error for a protocol fault of the peer, an I/O
// error, ErrKeepaliveTimeout, ErrCloseTimeout, ErrWriteTimeout or
// ErrClosedNow.
type CloseError = protocol.CloseError
