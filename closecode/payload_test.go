package closecode

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	reason123 := strings.Repeat("r", MaxReasonLen)
	tests := []struct {
		name       string
		payload    []byte
		wantCode   Code
		wantReason string
		wantErr    Code // 0: no error
	}{
		{"empty", nil, NoStatus, "", 0},
		{"one byte", []byte{0x03}, 0, "", ProtocolError},
		{"code only", []byte{0x03, 0xe8}, Normal, "", 0},
		{"code and reason", []byte("\x03\xe9bye"), GoingAway, "bye", 0},
		{"private code", []byte("\x0f\xa0x"), 4000, "x", 0},
		{"multibyte reason", []byte("\x03\xe8h\xc3\xa9llo"), Normal, "héllo", 0},
		{"123-byte reason", append([]byte{0x03, 0xe8}, reason123...), Normal, reason123, 0},
		{"124-byte reason", append([]byte{0x03, 0xe8}, reason123+"r"...), 0, "", ProtocolError},
		{"code 0", []byte{0, 0}, 0, "", ProtocolError},
		{"code 999", []byte{0x03, 0xe7}, 0, "", ProtocolError},
		{"code 1004", []byte{0x03, 0xec}, 0, "", ProtocolError},
		{"code 1005", []byte{0x03, 0xed}, 0, "", ProtocolError},
		{"code 1006", []byte{0x03, 0xee}, 0, "", ProtocolError},
		{"code 1015", []byte{0x03, 0xf7}, 0, "", ProtocolError},
		{"code 1016", []byte{0x03, 0xf8}, 0, "", ProtocolError},
		{"code 2999", []byte{0x0b, 0xb7}, 0, "", ProtocolError},
		{"code 5000", []byte{0x13, 0x88}, 0, "", ProtocolError},
		{"code 65535", []byte{0xff, 0xff}, 0, "", ProtocolError},
		{"invalid UTF-8", []byte("\x03\xe8\xff"), 0, "", InvalidPayload},
		{"truncated UTF-8", []byte("\x03\xe8h\xc3"), 0, "", InvalidPayload},
		{"surrogate", []byte("\x03\xe8\xed\xa0\x80"), 0, "", InvalidPayload},
		{"invalid code before UTF-8", []byte("\x03\xed\xff"), 0, "", ProtocolError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, reason, err := Parse(tt.payload)
			if tt.wantErr != 0 {
				var ce *Error
				if !errors.As(err, &ce) {
					t.Fatalf("Parse(%q) error = %v, want *Error", tt.payload, err)
				}
				if ce.Code != tt.wantErr {
					t.Errorf("Parse(%q) error code = %v, want %v", tt.payload, ce.Code, tt.wantErr)
				}
				if len(ce.Reason) > MaxReasonLen || !utf8.ValidString(ce.Reason) {
					t.Errorf("error reason %q unusable in a close frame", ce.Reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q) error = %v", tt.payload, err)
			}
			if code != tt.wantCode || reason != tt.wantReason {
				t.Errorf("Parse(%q) = %v, %q; want %v, %q", tt.payload, code, reason, tt.wantCode, tt.wantReason)
			}
		})
	}
}

func TestAppend(t *testing.T) {
	reason123 := strings.Repeat("r", MaxReasonLen)
	tests := []struct {
		name    string
		code    Code
		reason  string
		want    []byte
		wantErr error
	}{
		{"no status", NoStatus, "", nil, nil},
		{"normal", Normal, "", []byte{0x03, 0xe8}, nil},
		{"with reason", GoingAway, "bye", []byte("\x03\xe9bye"), nil},
		{"private", 4999, "", []byte{0x13, 0x87}, nil},
		{"123-byte reason", Normal, reason123, append([]byte{0x03, 0xe8}, reason123...), nil},
		{"124-byte reason", Normal, reason123 + "r", nil, ErrReasonTooLong},
		{"bad UTF-8", Normal, "\xff", nil, ErrReasonNotUTF8},
		{"no status with reason", NoStatus, "x", nil, ErrInvalidCode},
		{"abnormal", Abnormal, "", nil, ErrInvalidCode},
		{"TLS", TLSHandshake, "", nil, ErrInvalidCode},
		{"reserved 1004", 1004, "", nil, ErrInvalidCode},
		{"zero", 0, "", nil, ErrInvalidCode},
		{"unassigned 2000", 2000, "", nil, ErrInvalidCode},
		{"5000", 5000, "", nil, ErrInvalidCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("prefix")
			got, err := Append(prefix, tt.code, tt.reason)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Append(%v, %q) error = %v, want %v", tt.code, tt.reason, err, tt.wantErr)
			}
			want := append([]byte("prefix"), tt.want...)
			if !bytes.Equal(got, want) {
				t.Errorf("Append(%v, %q) = %q, want %q", tt.code, tt.reason, got, want)
			}
			if err != nil {
				return
			}
			// What Append produces, Parse accepts and returns unchanged.
			code, reason, err := Parse(got[len(prefix):])
			if err != nil || code != tt.code || reason != tt.reason {
				t.Errorf("Parse(Append(%v, %q)) = %v, %q, %v", tt.code, tt.reason, code, reason, err)
			}
		})
	}
}

func TestAppendAllocs(t *testing.T) {
	buf := make([]byte, 0, 128)
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = Append(buf, GoingAway, "bye")
	})
	if allocs != 0 {
		t.Errorf("Append into a big-enough slice: %v allocs, want 0", allocs)
	}
}
