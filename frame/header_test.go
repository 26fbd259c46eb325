package frame

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hybi/ws/closecode"
)

// xorMask is a naive reference implementation of RFC 6455 §5.3 masking.
func xorMask(key [4]byte, b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[i] = b[i] ^ key[i%4]
	}
	return out
}

var rfcKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// rfcExamples are the frames of RFC 6455 §5.7, with header and payload.
var rfcExamples = []struct {
	name    string
	wire    []byte // the whole frame as given by the RFC
	header  Header
	payload []byte // unmasked application data
}{
	{
		name:    "single-frame unmasked text",
		wire:    []byte{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f},
		header:  Header{Fin: true, Opcode: OpText, Length: 5},
		payload: []byte("Hello"),
	},
	{
		name:    "single-frame masked text",
		wire:    []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
		header:  Header{Fin: true, Opcode: OpText, Masked: true, Key: rfcKey, Length: 5},
		payload: []byte("Hello"),
	},
	{
		name:    "fragmented unmasked text, first",
		wire:    []byte{0x01, 0x03, 0x48, 0x65, 0x6c},
		header:  Header{Opcode: OpText, Length: 3},
		payload: []byte("Hel"),
	},
	{
		name:    "fragmented unmasked text, last",
		wire:    []byte{0x80, 0x02, 0x6c, 0x6f},
		header:  Header{Fin: true, Opcode: OpContinuation, Length: 2},
		payload: []byte("lo"),
	},
	{
		name:    "unmasked ping",
		wire:    []byte{0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f},
		header:  Header{Fin: true, Opcode: OpPing, Length: 5},
		payload: []byte("Hello"),
	},
	{
		name:    "masked pong",
		wire:    []byte{0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
		header:  Header{Fin: true, Opcode: OpPong, Masked: true, Key: rfcKey, Length: 5},
		payload: []byte("Hello"),
	},
	{
		name:    "256 bytes binary",
		wire:    append([]byte{0x82, 0x7e, 0x01, 0x00}, pattern(256)...),
		header:  Header{Fin: true, Opcode: OpBinary, Length: 256},
		payload: pattern(256),
	},
	{
		name:    "64KiB binary",
		wire:    append([]byte{0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}, pattern(65536)...),
		header:  Header{Fin: true, Opcode: OpBinary, Length: 65536},
		payload: pattern(65536),
	},
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func TestRFCExamplesDecode(t *testing.T) {
	for _, tt := range rfcExamples {
		t.Run(tt.name, func(t *testing.T) {
			h, n, err := ParseHeader(tt.wire)
			if err != nil {
				t.Fatalf("ParseHeader: %v", err)
			}
			if diff := cmp.Diff(tt.header, h); diff != "" {
				t.Errorf("ParseHeader header mismatch (-want +got):\n%s", diff)
			}
			if n != h.Size() {
				t.Errorf("ParseHeader consumed %d bytes, Size() = %d", n, h.Size())
			}
			payload := tt.wire[n:]
			if int64(len(payload)) != h.Length {
				t.Fatalf("payload after header is %d bytes, Length = %d", len(payload), h.Length)
			}
			if h.Masked {
				payload = xorMask(h.Key, payload)
			}
			if !bytes.Equal(payload, tt.payload) {
				t.Errorf("payload = %q, want %q", payload, tt.payload)
			}
			role := Client
			if h.Masked {
				role = Server
			}
			if err := (Rules{Role: role}).Check(h); err != nil {
				t.Errorf("Check for a %v: %v", role, err)
			}
		})
	}
}

func TestRFCExamplesEncode(t *testing.T) {
	for _, tt := range rfcExamples {
		t.Run(tt.name, func(t *testing.T) {
			payload := tt.payload
			if tt.header.Masked {
				payload = xorMask(tt.header.Key, payload)
			}
			got := append(AppendHeader(nil, tt.header), payload...)
			if !bytes.Equal(got, tt.wire) {
				t.Errorf("AppendHeader+payload:\n got % x\nwant % x", head(got), head(tt.wire))
			}
			var buf [MaxHeaderSize]byte
			n := PutHeader(buf[:], tt.header)
			if !bytes.Equal(buf[:n], tt.wire[:n]) || n != tt.header.Size() {
				t.Errorf("PutHeader = % x (n=%d), want % x", buf[:n], n, tt.wire[:tt.header.Size()])
			}
		})
	}
}

func head(b []byte) []byte {
	if len(b) > 16 {
		return b[:16]
	}
	return b
}

// lengthBoundaries covers every length class and its edges.
var lengthBoundaries = []struct {
	length int64
	size   int // encoded header size when unmasked
}{
	{0, 2}, {1, 2}, {125, 2},
	{126, 4}, {127, 4}, {65535, 4},
	{65536, 10}, {1 << 32, 10}, {math.MaxInt64, 10},
}

func TestRoundTrip(t *testing.T) {
	opcodes := []Opcode{OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong, 0x3, 0xf}
	for _, lb := range lengthBoundaries {
		for _, masked := range []bool{false, true} {
			for rsv := byte(0); rsv <= 7; rsv++ {
				for _, op := range opcodes {
					for _, fin := range []bool{false, true} {
						h := Header{Fin: fin, Rsv: rsv << 4, Opcode: op, Masked: masked, Length: lb.length}
						if masked {
							h.Key = [4]byte{0xde, 0xad, rsv, byte(op)}
						}
						roundTrip(t, h, lb.size)
					}
				}
			}
		}
	}
}

func roundTrip(t *testing.T, h Header, unmaskedSize int) {
	t.Helper()
	wantSize := unmaskedSize
	if h.Masked {
		wantSize += 4
	}
	if h.Size() != wantSize {
		t.Fatalf("%+v: Size() = %d, want %d", h, h.Size(), wantSize)
	}
	b := AppendHeader([]byte("x"), h)[1:]
	if len(b) != wantSize {
		t.Fatalf("%+v: AppendHeader wrote %d bytes, want %d", h, len(b), wantSize)
	}
	var put [MaxHeaderSize + 1]byte
	if n := PutHeader(put[:], h); !bytes.Equal(put[:n], b) {
		t.Fatalf("%+v: PutHeader = % x, AppendHeader = % x", h, put[:n], b)
	}
	got, n, err := ParseHeader(append(b, "payload"...))
	if err != nil {
		t.Fatalf("%+v: ParseHeader(% x): %v", h, b, err)
	}
	if n != wantSize {
		t.Errorf("%+v: ParseHeader consumed %d, want %d", h, n, wantSize)
	}
	if got != h {
		t.Errorf("round trip: got %+v, want %+v", got, h)
	}
	// And back: bytes → header → bytes is byte-exact.
	if again := AppendHeader(nil, got); !bytes.Equal(again, b) {
		t.Errorf("re-encode = % x, want % x", again, b)
	}
}

func TestBytesRoundTrip(t *testing.T) {
	// Every first byte and every 7-bit length/mask combination re-encodes to
	// exactly the bytes it was parsed from.
	for b0 := 0; b0 < 256; b0++ {
		for b1 := 0; b1 < 256; b1++ {
			in := []byte{byte(b0), byte(b1), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
			switch b1 & 0x7f {
			case 126:
				in[2], in[3] = 0x12, 0x34
			case 127:
				in[7], in[8] = 0x56, 0x78
			}
			if b1&0x80 != 0 {
				copy(in[len(in)-4:], "\x01\x02\x03\x04")
			}
			h, n, err := ParseHeader(in)
			if err != nil {
				t.Fatalf("ParseHeader(% x): %v", in, err)
			}
			if out := AppendHeader(nil, h); !bytes.Equal(out, in[:n]) {
				t.Fatalf("re-encode of % x = % x", in[:n], out)
			}
		}
	}
}

func TestParseHeaderShort(t *testing.T) {
	headers := []Header{
		{Fin: true, Opcode: OpText, Length: 5},
		{Fin: true, Opcode: OpText, Masked: true, Key: rfcKey, Length: 5},
		{Opcode: OpBinary, Length: 300},
		{Opcode: OpBinary, Masked: true, Key: rfcKey, Length: 300},
		{Opcode: OpBinary, Length: 70000},
		{Opcode: OpBinary, Masked: true, Key: rfcKey, Length: math.MaxInt64},
	}
	for _, h := range headers {
		full := AppendHeader(nil, h)
		for i := 0; i < len(full); i++ {
			want := 2
			if i >= 2 {
				want = len(full)
			}
			got, n, err := ParseHeader(full[:i])
			if err != ErrShortHeader || n != want || got != (Header{}) {
				t.Errorf("ParseHeader(% x) = %+v, %d, %v; want zero header, %d, ErrShortHeader", full[:i], got, n, err, want)
			}
		}
		if _, n, err := ParseHeader(full); err != nil || n != len(full) {
			t.Errorf("ParseHeader(% x) = %d, %v; want %d, nil", full, n, err, len(full))
		}
	}
}

func TestParseHeaderInvalid(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"16-bit length 0", []byte{0x82, 0x7e, 0x00, 0x00}},
		{"16-bit length 125", []byte{0x82, 0x7e, 0x00, 0x7d}},
		{"16-bit length 125 masked", []byte{0x82, 0xfe, 0x00, 0x7d, 1, 2, 3, 4}},
		{"64-bit length 0", []byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"64-bit length 125", []byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x7d}},
		{"64-bit length 126", []byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x7e}},
		{"64-bit length 65535", []byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff}},
		{"64-bit length MSB set", []byte{0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0}},
		{"64-bit length all ones", []byte{0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"64-bit length MSB set masked", []byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseHeader(tt.in)
			wantCloseError(t, err, closecode.ProtocolError)
		})
	}
}

func wantCloseError(t *testing.T, err error, code closecode.Code) {
	t.Helper()
	var ce *closecode.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v, want *closecode.Error", err)
	}
	if ce.Code != code {
		t.Errorf("error code = %v, want %v (%v)", ce.Code, code, err)
	}
}

func TestPutHeaderPanics(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		h    Header
	}{
		{"negative length", make([]byte, MaxHeaderSize), Header{Length: -1}},
		{"short buffer", make([]byte, 3), Header{Length: 200}},
		{"short buffer masked", make([]byte, 5), Header{Masked: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("PutHeader(%d bytes, %+v) did not panic", len(tt.b), tt.h)
				}
			}()
			PutHeader(tt.b, tt.h)
		})
	}
}

func TestOpcode(t *testing.T) {
	tests := []struct {
		op                Opcode
		str               string
		control, reserved bool
	}{
		{OpContinuation, "continuation", false, false},
		{OpText, "text", false, false},
		{OpBinary, "binary", false, false},
		{0x3, "reserved(0x3)", false, true},
		{0x7, "reserved(0x7)", false, true},
		{OpClose, "close", true, false},
		{OpPing, "ping", true, false},
		{OpPong, "pong", true, false},
		{0xb, "reserved(0xb)", true, true},
		{0xf, "reserved(0xf)", true, true},
		{0x10, "reserved(0x10)", false, true},
	}
	for _, tt := range tests {
		if got := tt.op.String(); got != tt.str {
			t.Errorf("Opcode(%#x).String() = %q, want %q", uint8(tt.op), got, tt.str)
		}
		if got := tt.op.IsControl(); got != tt.control {
			t.Errorf("Opcode(%#x).IsControl() = %v, want %v", uint8(tt.op), got, tt.control)
		}
		if got := tt.op.IsReserved(); got != tt.reserved {
			t.Errorf("Opcode(%#x).IsReserved() = %v, want %v", uint8(tt.op), got, tt.reserved)
		}
	}
}

func TestAllocs(t *testing.T) {
	h := Header{Fin: true, Opcode: OpBinary, Masked: true, Key: rfcKey, Length: 70000}
	wire := AppendHeader(nil, h)
	dst := make([]byte, 0, 64)
	var put [MaxHeaderSize]byte
	tests := map[string]func(){
		"ParseHeader":  func() { _, _, _ = ParseHeader(wire) },
		"PutHeader":    func() { PutHeader(put[:], h) },
		"AppendHeader": func() { dst = AppendHeader(dst[:0], h) },
		"Size":         func() { _ = h.Size() },
		"Check":        func() { _ = Rules{Role: Server, MaxPayload: 1 << 20}.Check(h) },
	}
	for name, f := range tests {
		if allocs := testing.AllocsPerRun(100, f); allocs != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, allocs)
		}
	}
}

func BenchmarkParseHeader(b *testing.B) {
	for _, h := range benchHeaders {
		wire := AppendHeader(nil, h)
		b.Run(fmt.Sprintf("len=%d/masked=%v", h.Length, h.Masked), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := ParseHeader(wire); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendHeader(b *testing.B) {
	for _, h := range benchHeaders {
		dst := make([]byte, 0, MaxHeaderSize)
		b.Run(fmt.Sprintf("len=%d/masked=%v", h.Length, h.Masked), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dst = AppendHeader(dst[:0], h)
			}
		})
	}
}

var benchHeaders = []Header{
	{Fin: true, Opcode: OpText, Length: 100},
	{Fin: true, Opcode: OpText, Masked: true, Key: rfcKey, Length: 100},
	{Fin: true, Opcode: OpBinary, Masked: true, Key: rfcKey, Length: 1000},
	{Fin: true, Opcode: OpBinary, Masked: true, Key: rfcKey, Length: 100000},
}
