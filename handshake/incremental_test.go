package handshake

import (
	"errors"
	"strings"
	"testing"
)

const incRequest = "GET /chat?x=1 HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\r\n"

// TestRequestReaderByteAtATime feeds a request a byte at a time, followed
// by the start of the frame stream.
func TestRequestReaderByteAtATime(t *testing.T) {
	u := &Upgrader{Subprotocols: []string{"chat"}}
	var r RequestReader
	in := incRequest + "\x81\x85"
	for i := 0; i < len(incRequest)-1; i++ {
		res, out, err := r.Feed(u, []byte{in[i]}, nil)
		if res != nil || err != nil || len(out) != 0 {
			t.Fatalf("byte %d: %v %q %v", i, res, out, err)
		}
		if r.Len() != i+1 {
			t.Fatalf("byte %d: holds %d bytes", i, r.Len())
		}
	}
	res, out, err := r.Feed(u, []byte(in[len(incRequest)-1:]), nil)
	if err != nil || res == nil {
		t.Fatalf("end of head: %v %v", res, err)
	}
	if !strings.HasPrefix(string(out), "HTTP/1.1 101 ") || !strings.Contains(string(out), "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") {
		t.Errorf("response %q", out)
	}
	if res.Subprotocol != "chat" || res.RequestURI != "/chat?x=1" || string(res.Buffered) != "\x81\x85" || res.Header.Get("Host") != "example.com" {
		t.Errorf("result %+v", res)
	}
	if r.Len() != 0 {
		t.Errorf("holds %d bytes after the head", r.Len())
	}
	if _, _, err := r.Feed(u, []byte("x"), nil); !errors.Is(err, ErrFed) {
		t.Errorf("Feed after the head: %v", err)
	}
}

// TestRequestReaderRefuses answers bad and oversized requests as
// UpgradeConn does.
func TestRequestReaderRefuses(t *testing.T) {
	u := &Upgrader{MaxRequestBytes: 64}
	var r RequestReader
	res, out, err := r.Feed(u, []byte(strings.Repeat("a", 65)), nil)
	if res != nil || !errors.Is(err, ErrRequestTooLarge) || !strings.HasPrefix(string(out), "HTTP/1.1 431 ") {
		t.Errorf("oversized: %v %q %v", res, out, err)
	}
	var r2 RequestReader
	bad := strings.Replace(incRequest, "Version: 13", "Version: 8", 1)
	res, out, err = r2.Feed(&Upgrader{}, []byte(bad), nil)
	if res != nil || !errors.Is(err, ErrBadVersion) || !strings.HasPrefix(string(out), "HTTP/1.1 426 ") {
		t.Errorf("bad version: %v %q %v", res, out, err)
	}
}
