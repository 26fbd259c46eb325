package frame

import (
	"strconv"

	"github.com/hybi/ws/closecode"
)

// Role is the side of a connection an endpoint plays.
type Role uint8

// Roles of an endpoint.
const (
	Server Role = 1
	Client Role = 2
)

// String returns "server", "client", or "Role(n)" for other values.
func (r Role) String() string {
	switch r {
	case Server:
		return "server"
	case Client:
		return "client"
	}
	return "Role(" + strconv.Itoa(int(r)) + ")"
}

// Rules is what a receiver checks on every incoming header.
type Rules struct {
	Role       Role  // the receiver's role: Server requires masked frames, Client requires unmasked ones; 0 checks neither
	AllowedRsv byte  // RSV bits negotiated extensions allow
	MaxPayload int64 // largest frame payload accepted; 0 (or negative) means no limit
}

// Check returns nil if a receiver with rules r may accept h, or else a
// *closecode.Error with the code to fail the connection with:
//
//   - ProtocolError for a reserved opcode (RFC 6455 §5.2), an RSV bit not in
//     AllowedRsv (§5.2), a control frame that is fragmented or longer than
//     MaxControlPayload (§5.5), a close frame with a 1-byte payload (§5.5.1),
//     an unmasked frame received by a Server or a masked frame received by a
//     Client (§5.1);
//   - MessageTooBig for a Length above MaxPayload (§7.4.1).
//
// Check does not track fragmentation state across frames (for example a
// continuation frame without a message in progress); that is the caller's.
func (r Rules) Check(h Header) error {
	switch {
	case h.Opcode.IsReserved():
		return protocolError("reserved opcode")
	case h.Rsv&^r.AllowedRsv != 0:
		return protocolError("reserved bit set without a negotiated extension")
	}
	if h.Opcode.IsControl() {
		switch {
		case !h.Fin:
			return protocolError("fragmented control frame")
		case h.Length > MaxControlPayload:
			return protocolError("control frame payload over 125 bytes")
		case h.Opcode == OpClose && h.Length == 1:
			return protocolError("1-byte close payload")
		}
	}
	switch {
	case r.Role == Server && !h.Masked:
		return protocolError("unmasked frame from client")
	case r.Role == Client && h.Masked:
		return protocolError("masked frame from server")
	case r.MaxPayload > 0 && h.Length > r.MaxPayload:
		return &closecode.Error{Code: closecode.MessageTooBig, Reason: "frame payload too big"}
	}
	return nil
}

func protocolError(reason string) error {
	return &closecode.Error{Code: closecode.ProtocolError, Reason: reason}
}
