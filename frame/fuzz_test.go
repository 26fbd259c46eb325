package frame

import (
	"bufio"
	"bytes"
	"errors"
	"testing"

	"github.com/hybi/ws/closecode"
)

// FuzzParseHeader checks, on any input, that ParseHeader keeps its
// short-input contract, rejects only with ProtocolError, re-encodes every
// accepted header byte for byte, and agrees with ReadHeader.
func FuzzParseHeader(f *testing.F) {
	for _, ex := range rfcExamples {
		f.Add(ex.wire[:min(len(ex.wire), 16)])
	}
	f.Add([]byte{0x82, 0x7e, 0x00, 0x05})
	f.Add([]byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseHeader(b)
		switch {
		case err == ErrShortHeader:
			if n <= len(b) || n < 2 || n > MaxHeaderSize {
				t.Fatalf("ParseHeader(% x): short with n=%d", b, n)
			}
			if _, n2, err := ParseHeader(append(b, make([]byte, n-len(b))...)); err == ErrShortHeader {
				t.Fatalf("ParseHeader(% x) still short after padding to %d (n=%d)", b, n, n2)
			}
		case err != nil:
			var ce *closecode.Error
			if !errors.As(err, &ce) || ce.Code != closecode.ProtocolError {
				t.Fatalf("ParseHeader(% x): %v", b, err)
			}
		default:
			if n != h.Size() || h.Length < 0 {
				t.Fatalf("ParseHeader(% x) = %+v, n=%d", b, h, n)
			}
			if out := AppendHeader(nil, h); !bytes.Equal(out, b[:n]) {
				t.Fatalf("re-encode of % x = % x", b[:n], out)
			}
			_ = Rules{Role: Server, MaxPayload: 1 << 20}.Check(h)
		}
		rh, rerr := ReadHeader(bufio.NewReader(bytes.NewReader(b)))
		if err == nil && (rerr != nil || rh != h) {
			t.Fatalf("ReadHeader(% x) = %+v, %v; ParseHeader = %+v", b, rh, rerr, h)
		}
	})
}
