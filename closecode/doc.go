// Package closecode defines the WebSocket close status codes of RFC 6455
// §7.4 and encodes and decodes the payload of a close frame (§5.5.1).
//
// A close payload is either empty or a 2-byte big-endian status code
// followed by an optional UTF-8 reason. Since a control frame carries at
// most 125 bytes of payload, the reason is limited to MaxReasonLen bytes.
//
// Error is the typed error used throughout hybi for a fault of the peer:
// it carries the Code with which the connection must be failed.
package closecode
