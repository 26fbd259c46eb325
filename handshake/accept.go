package handshake

import (
	"crypto/sha1"
	"encoding/base64"
)

// keyGUID is the GUID of RFC 6455 §1.3 appended to the key before hashing.
const keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// acceptLen is the length of a Sec-WebSocket-Accept value: base64 of 20 bytes.
const acceptLen = 28

// AcceptKey returns the Sec-WebSocket-Accept value for a Sec-WebSocket-Key:
// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
func AcceptKey(key string) string {
	var b [acceptLen]byte
	return string(appendAcceptKey(b[:0], key))
}

// appendAcceptKey appends AcceptKey(key) to dst without allocating when
// key has the usual length (24) and dst has room.
func appendAcceptKey(dst []byte, key string) []byte {
	var sum [sha1.Size]byte
	var buf [24 + len(keyGUID)]byte
	if len(key) <= 24 {
		n := copy(buf[:], key)
		n += copy(buf[n:], keyGUID)
		sum = sha1.Sum(buf[:n])
	} else {
		h := sha1.New()
		h.Write([]byte(key))
		h.Write([]byte(keyGUID))
		h.Sum(sum[:0])
	}
	var out [acceptLen]byte
	base64.StdEncoding.Encode(out[:], sum[:])
	return append(dst, out[:]...)
}

// strictBase64 rejects non-canonical padding bits and embedded newlines.
var strictBase64 = base64.StdEncoding.Strict()

// validKey reports whether key is the base64 encoding of exactly 16 bytes.
func validKey(key string) bool {
	if len(key) != 24 {
		return false
	}
	var src [24]byte
	copy(src[:], key)
	var dst [18]byte
	n, err := strictBase64.Decode(dst[:], src[:])
	return err == nil && n == 16
}
