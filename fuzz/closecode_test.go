package fuzz

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/hybi/ws/closecode"
)

// FuzzClosePayload checks closecode.Parse on any close frame payload: an
// empty payload is NoStatus; 1 byte, more than 125 bytes or a code that is not
// ValidOnWire is a ProtocolError, a reason that is not UTF-8 an
// InvalidPayload; a valid payload re-encodes with Append to the same bytes.
func FuzzClosePayload(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x03})
	f.Add([]byte{0x03, 0xe8})
	f.Add([]byte("\x03\xe8bye"))
	f.Add([]byte("\x03\xed"))             // 1005
	f.Add([]byte("\x03\xee"))             // 1006
	f.Add([]byte("\x03\xf7"))             // 1015
	f.Add([]byte("\x0b\xb8app"))          // 3000
	f.Add([]byte("\x13\x87"))             // 4999
	f.Add([]byte("\x13\x88"))             // 5000
	f.Add([]byte("\x03\xe9\xff\xfe"))     // bad UTF-8
	f.Add([]byte("\x03\xe9\xed\xa0\x80")) // surrogate
	f.Add(append([]byte{0x03, 0xe8}, bytes.Repeat([]byte("x"), 124)...))
	f.Fuzz(func(t *testing.T, p []byte) {
		defer watchdog()()
		code, reason, err := closecode.Parse(p)
		var wantCode closecode.Code
		switch {
		case len(p) == 0:
			if err != nil || code != closecode.NoStatus || reason != "" {
				t.Fatalf("Parse(empty) = %v, %q, %v", code, reason, err)
			}
		case len(p) == 1 || len(p) > 125 || !closecode.Code(uint16(p[0])<<8|uint16(p[1])).ValidOnWire():
			wantCode = closecode.ProtocolError
		case !utf8.Valid(p[2:]):
			wantCode = closecode.InvalidPayload
		}
		if wantCode != 0 {
			var ce *closecode.Error
			if !errors.As(err, &ce) || ce.Code != wantCode {
				t.Fatalf("Parse(% x) = %v, %q, %v; want a *closecode.Error with %d", p, code, reason, err, wantCode)
			}
			return
		}
		if err != nil {
			t.Fatalf("Parse(% x): %v", p, err)
		}
		out, err := closecode.Append([]byte("prefix"), code, reason)
		if err != nil || string(out[:6]) != "prefix" || !bytes.Equal(out[6:], p) {
			t.Fatalf("Append(Parse(% x)) = % x, %v", p, out, err)
		}
		_ = code.String()
	})
}

// FuzzCloseAppend checks closecode.Append for any code and reason: it fails
// exactly as documented, leaves dst unchanged on error, and otherwise yields a
// payload that Parse reads back as the same code and reason.
func FuzzCloseAppend(f *testing.F) {
	f.Add(uint16(1000), "")
	f.Add(uint16(1005), "")
	f.Add(uint16(1005), "x")
	f.Add(uint16(1006), "")
	f.Add(uint16(4000), "héllo")
	f.Add(uint16(1001), string(bytes.Repeat([]byte("é"), 62)))
	f.Add(uint16(1011), "\xff")
	f.Fuzz(func(t *testing.T, c uint16, reason string) {
		defer watchdog()()
		code := closecode.Code(c)
		dst := []byte("prefix")
		out, err := closecode.Append(dst, code, reason)
		// The order in which Append checks is not specified: any of the
		// applicable errors will do.
		var want []error
		if code == closecode.NoStatus && reason == "" {
			// a close frame without payload
		} else {
			if !code.ValidOnWire() {
				want = append(want, closecode.ErrInvalidCode)
			}
			if len(reason) > closecode.MaxReasonLen {
				want = append(want, closecode.ErrReasonTooLong)
			}
			if !utf8.ValidString(reason) {
				want = append(want, closecode.ErrReasonNotUTF8)
			}
		}
		if want != nil {
			ok := false
			for _, w := range want {
				ok = ok || errors.Is(err, w)
			}
			if !ok || string(out) != "prefix" {
				t.Fatalf("Append(%d, %q) = % x, %v; want one of %v", c, reason, out, err, want)
			}
			return
		}
		if err != nil || string(out[:6]) != "prefix" {
			t.Fatalf("Append(%d, %q) = % x, %v", c, reason, out, err)
		}
		pc, pr, err := closecode.Parse(out[6:])
		if err != nil || pc != code || pr != reason {
			t.Fatalf("Parse(Append(%d, %q)) = %d, %q, %v", c, reason, pc, pr, err)
		}
	})
}
