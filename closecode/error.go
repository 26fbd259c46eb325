package closecode

import "errors"

// Error is a fault of the peer that fails the connection with Code
// (RFC 6455 §7.1.7). Reason is a short description, at most MaxReasonLen
// bytes of UTF-8, suitable as the reason of the close frame sent in reply.
// Use errors.As to retrieve it from a wrapped error.
type Error struct {
	Code   Code
	Reason string
}

// Error describes e as "closecode: <code>: <reason>", as every error of hybi starts with the name of the package defining it.
func (e *Error) Error() string {
	if e.Reason == "" {
		return "closecode: " + e.Code.String()
	}
	return "closecode: " + e.Code.String() + ": " + e.Reason
}

// Errors returned by Append for a close payload that must not be sent.
var (
	// ErrInvalidCode is returned for a code that is not ValidOnWire, or for
	// NoStatus with a non-empty reason.
	ErrInvalidCode = errors.New("closecode: invalid close code")
	// ErrReasonTooLong is returned for a reason longer than MaxReasonLen bytes.
	ErrReasonTooLong = errors.New("closecode: close reason longer than 123 bytes")
	// ErrReasonNotUTF8 is returned for a reason that is not valid UTF-8.
	ErrReasonNotUTF8 = errors.New("closecode: close reason is not valid UTF-8")
)
