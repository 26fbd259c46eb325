package conn

import "github.com/hybi/ws/protocol"

// PreparedMessage is a message encoded once, to be sent with WritePrepared
// on any number of connections (a broadcast): see
// protocol.PreparedMessage for what is shared and what each connection
// does. It is safe for concurrent use.
type PreparedMessage = protocol.PreparedMessage

// NewPreparedMessage returns the message data of type typ (Text or Binary)
// prepared for WritePrepared; it copies data.
func NewPreparedMessage(typ MessageType, data []byte) (*PreparedMessage, error) {
	return protocol.NewPreparedMessage(typ, data)
}
