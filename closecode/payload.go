package closecode

import (
	"encoding/binary"
	"unicode/utf8"
)

// maxPayload is the largest control frame payload (RFC 6455 §5.5).
const maxPayload = 2 + MaxReasonLen

// Parse decodes the payload of a received close frame (RFC 6455 §5.5.1).
//
// An empty payload yields (NoStatus, "", nil). A 1-byte payload, a payload
// longer than 125 bytes, or a code that is not ValidOnWire yields an *Error
// with Code ProtocolError; a reason that is not valid UTF-8 yields an *Error
// with Code InvalidPayload (§8.1).
func Parse(payload []byte) (Code, string, error) {
	switch {
	case len(payload) == 0:
		return NoStatus, "", nil
	case len(payload) == 1:
		return 0, "", &Error{Code: ProtocolError, Reason: "1-byte close payload"}
	case len(payload) > maxPayload:
		return 0, "", &Error{Code: ProtocolError, Reason: "close payload over 125 bytes"}
	}
	code := Code(binary.BigEndian.Uint16(payload))
	if !code.ValidOnWire() {
		return 0, "", &Error{Code: ProtocolError, Reason: "invalid close code"}
	}
	reason := payload[2:]
	if !utf8.Valid(reason) {
		return 0, "", &Error{Code: InvalidPayload, Reason: "close reason is not UTF-8"}
	}
	return code, string(reason), nil
}

// Append appends to dst the payload of a close frame carrying code and
// reason, and returns the extended slice.
//
// NoStatus with an empty reason appends nothing: it stands for a close
// frame without payload. Otherwise code must be ValidOnWire (else
// ErrInvalidCode; NoStatus with a reason is ErrInvalidCode too), reason must
// be at most MaxReasonLen bytes (else ErrReasonTooLong) and valid UTF-8
// (else ErrReasonNotUTF8). On error dst is returned unchanged.
func Append(dst []byte, code Code, reason string) ([]byte, error) {
	if code == NoStatus && reason == "" {
		return dst, nil
	}
	if !code.ValidOnWire() {
		return dst, ErrInvalidCode
	}
	if len(reason) > MaxReasonLen {
		return dst, ErrReasonTooLong
	}
	if !utf8.ValidString(reason) {
		return dst, ErrReasonNotUTF8
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, reason...), nil
}
