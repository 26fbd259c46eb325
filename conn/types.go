package conn

import "github.com/hybi/ws/protocol"

// MessageType is the type of a data message: Text or Binary.
type MessageType = protocol.MessageType

// Message types, numbered as their opcodes.
const (
	Text   = protocol.Text
	Binary = protocol.Binary
)

// State is the ready state of a connection, as in the browser API.
type State = protocol.State

// The states of a connection.
const (
	Connecting = protocol.Connecting // opening handshake in progress
	Open       = protocol.Open       // messages flow both ways
	Closing    = protocol.Closing    // a close frame was sent or received
	Closed     = protocol.Closed     // the connection is torn down
)
