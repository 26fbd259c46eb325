package closecode

import "strconv"

// Code is a WebSocket close status code (RFC 6455 §7.4).
type Code uint16

// Close codes registered by RFC 6455 §7.4.1 and the IANA "WebSocket Close
// Code Number Registry". NoStatus, Abnormal and TLSHandshake are reserved
// for local reporting and are never sent in a close frame.
const (
	Normal             Code = 1000 // normal closure
	GoingAway          Code = 1001 // endpoint going away
	ProtocolError      Code = 1002 // protocol error
	UnsupportedData    Code = 1003 // data type the endpoint cannot accept
	NoStatus           Code = 1005 // no status code was present (local only)
	Abnormal           Code = 1006 // closed without a close frame (local only)
	InvalidPayload     Code = 1007 // message data inconsistent with its type, e.g. non-UTF-8 text
	PolicyViolation    Code = 1008 // message violates the endpoint's policy
	MessageTooBig      Code = 1009 // message too big to process
	MandatoryExtension Code = 1010 // client expected the server to negotiate an extension
	InternalError      Code = 1011 // unexpected condition in the server
	ServiceRestart     Code = 1012 // service is restarting
	TryAgainLater      Code = 1013 // temporary condition, try again later
	BadGateway         Code = 1014 // gateway received an invalid response
	TLSHandshake       Code = 1015 // TLS handshake failure (local only)
)

// MaxReasonLen is the largest close reason in bytes: a control frame payload
// is at most 125 bytes, two of which hold the code.
const MaxReasonLen = 123

var names = [...]string{
	Normal - 1000:             "normal closure",
	GoingAway - 1000:          "going away",
	ProtocolError - 1000:      "protocol error",
	UnsupportedData - 1000:    "unsupported data",
	1004 - 1000:               "reserved",
	NoStatus - 1000:           "no status",
	Abnormal - 1000:           "abnormal closure",
	InvalidPayload - 1000:     "invalid payload data",
	PolicyViolation - 1000:    "policy violation",
	MessageTooBig - 1000:      "message too big",
	MandatoryExtension - 1000: "mandatory extension",
	InternalError - 1000:      "internal error",
	ServiceRestart - 1000:     "service restart",
	TryAgainLater - 1000:      "try again later",
	BadGateway - 1000:         "bad gateway",
	TLSHandshake - 1000:       "TLS handshake failure",
}

// String returns the code number followed by its meaning, for example
// "1000 normal closure", "3000 registered", "4000 private" or
// "2000 unassigned".
func (c Code) String() string {
	return strconv.Itoa(int(c)) + " " + c.name()
}

func (c Code) name() string {
	switch {
	case c >= 1000 && int(c-1000) < len(names):
		return names[c-1000]
	case c >= 3000 && c <= 3999:
		return "registered" // IANA registry: libraries, frameworks, applications
	case c >= 4000 && c <= 4999:
		return "private"
	default:
		return "unassigned"
	}
}

// ValidOnWire reports whether c may appear in a close frame: 1000-1003,
// 1007-1014 and 3000-4999. Codes below 1000, 1004 (reserved), the local-only
// 1005, 1006 and 1015, the unassigned 1016-2999 and codes of 5000 and above
// are not.
func (c Code) ValidOnWire() bool {
	switch {
	case c >= Normal && c <= UnsupportedData:
		return true
	case c >= InvalidPayload && c <= BadGateway:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}
