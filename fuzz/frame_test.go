package fuzz

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
)

// rfcFrames are the example frames of RFC 6455 §5.7.
var rfcFrames = [][]byte{
	{0x81, 0x05, 'H', 'e', 'l', 'l', 'o'},                                   // unmasked text
	{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},      // masked text
	{0x01, 0x03, 'H', 'e', 'l'},                                             // first fragment
	{0x80, 0x02, 'l', 'o'},                                                  // last fragment
	{0x89, 0x05, 'H', 'e', 'l', 'l', 'o'},                                   // unmasked ping
	{0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},      // masked pong
	append([]byte{0x82, 0x7e, 0x01, 0x00}, make([]byte, 256)...),            // 256-byte binary
	append([]byte{0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}, make([]byte, 64)...), // 64 KiB binary (truncated)
}

// malformedHeaders are structurally invalid or rule-breaking headers.
var malformedHeaders = [][]byte{
	{},
	{0x81},
	{0x82, 0x7e, 0x00, 0x05}, // non-minimal 16-bit length
	{0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff},                   // non-minimal 64-bit length
	{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4},          // 64-bit length with the MSB set
	{0x83, 0x80, 1, 2, 3, 4},                                     // reserved opcode
	{0xf1, 0x80, 1, 2, 3, 4},                                     // all RSV bits
	{0x09, 0x80, 1, 2, 3, 4},                                     // fragmented ping
	{0x88, 0xfe, 0x00, 0x7e, 1, 2, 3, 4},                         // 126-byte close
	{0x88, 0x81, 1, 2, 3, 4, 0},                                  // 1-byte close
	{0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, // largest length, no key
}

// headerSize is the size of the header whose first two bytes are b0 and b1.
func headerSize(b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

// checkRules checks r.Check(h) against an independent reading of its rules.
func checkRules(t *testing.T, r frame.Rules, h frame.Header) {
	err := r.Check(h)
	proto := h.Opcode.IsReserved() ||
		h.Rsv&^r.AllowedRsv != 0 ||
		h.Opcode.IsControl() && (!h.Fin || h.Length > frame.MaxControlPayload) ||
		h.Opcode == frame.OpClose && h.Length == 1 ||
		r.Role == frame.Server && !h.Masked ||
		r.Role == frame.Client && h.Masked
	tooBig := r.MaxPayload > 0 && h.Length > r.MaxPayload
	if err == nil {
		if proto || tooBig {
			t.Fatalf("%+v.Check(%+v) = nil; want an error", r, h)
		}
		return
	}
	var ce *closecode.Error
	if !errors.As(err, &ce) {
		t.Fatalf("%+v.Check(%+v) = %v; want a *closecode.Error", r, h, err)
	}
	switch {
	case proto && ce.Code == closecode.ProtocolError:
	case tooBig && ce.Code == closecode.MessageTooBig:
	default:
		t.Fatalf("%+v.Check(%+v) = %v (code %d); protocol fault %v, too big %v", r, h, err, ce.Code, proto, tooBig)
	}
}

// FuzzFrameHeader checks frame.ParseHeader on any input: it never panics;
// a short input yields ErrShortHeader with n the header size that the input's
// second byte announces (2 before it), consistently for every prefix; a
// rejected header is a *closecode.Error with ProtocolError; an accepted one
// consumes h.Size() bytes and re-encodes with AppendHeader (and PutHeader) to
// exactly those bytes. frame.Rules.Check is then compared with an independent
// statement of its rules, for a server and a client, with RSV bits and a
// payload limit taken from the input.
func FuzzFrameHeader(f *testing.F) {
	for _, b := range rfcFrames {
		f.Add(b, byte(0), uint16(0))
	}
	for _, b := range malformedHeaders {
		f.Add(b, byte(frame.RSV1), uint16(125))
	}
	f.Fuzz(func(t *testing.T, b []byte, rsv byte, maxPayload uint16) {
		defer watchdog()()
		h, n, err := frame.ParseHeader(b)
		switch {
		case err == frame.ErrShortHeader:
			want := 2
			if len(b) >= 2 {
				want = headerSize(b[1])
			}
			if n != want || n <= len(b) {
				t.Fatalf("ParseHeader(% x): short with n=%d, want %d", b, n, want)
			}
			for k := range len(b) {
				_, nk, errk := frame.ParseHeader(b[:k])
				if errk != frame.ErrShortHeader || (k >= 2 && nk != n) || (k < 2 && nk != 2) {
					t.Fatalf("ParseHeader(% x) = n %d, %v; the longer % x needs %d", b[:k], nk, errk, b, n)
				}
			}
			if _, _, err := frame.ParseHeader(append(b[:len(b):len(b)], make([]byte, n-len(b))...)); err == frame.ErrShortHeader {
				t.Fatalf("ParseHeader(% x) still short after padding to %d", b, n)
			}
		case err != nil:
			var ce *closecode.Error
			if !errors.As(err, &ce) || ce.Code != closecode.ProtocolError {
				t.Fatalf("ParseHeader(% x): %v; want a ProtocolError", b, err)
			}
			if len(b) < 2 || len(b) < headerSize(b[1]) {
				// A structural fault may be seen before the masking key
				// arrives, but not before the length.
				if len(b) < 2 || len(b) < headerSize(b[1]&0x7f) {
					t.Fatalf("ParseHeader(% x) = %v before the length is complete", b, err)
				}
			}
		default:
			if n != h.Size() || n != headerSize(b[1]) || h.Length < 0 {
				t.Fatalf("ParseHeader(% x) = %+v, n=%d", b, h, n)
			}
			if h.Masked != (b[1]&0x80 != 0) || h.Fin != (b[0]&0x80 != 0) || h.Rsv != b[0]&0x70 || h.Opcode != frame.Opcode(b[0]&0x0f) {
				t.Fatalf("ParseHeader(% x) = %+v: bits of the first two bytes misread", b, h)
			}
			if out := frame.AppendHeader(nil, h); !bytes.Equal(out, b[:n]) {
				t.Fatalf("AppendHeader(ParseHeader(% x)) = % x", b[:n], out)
			}
			var buf [frame.MaxHeaderSize + 1]byte
			if m := frame.PutHeader(buf[:], h); m != n || !bytes.Equal(buf[:m], b[:n]) {
				t.Fatalf("PutHeader(ParseHeader(% x)) = % x", b[:n], buf[:m])
			}
			rsv &= frame.RSV1 | frame.RSV2 | frame.RSV3
			for _, role := range []frame.Role{frame.Server, frame.Client, 0} {
				checkRules(t, frame.Rules{Role: role}, h)
				checkRules(t, frame.Rules{Role: role, AllowedRsv: rsv, MaxPayload: int64(maxPayload)}, h)
			}
		}
	})
}

// chunkReader returns its data in reads of the sizes chunks gives in turn
// (a 0 makes an empty read, which io.Reader allows), then io.EOF.
type chunkReader struct {
	data   []byte
	chunks []byte
	i      int
	empty  int // consecutive empty reads, bounded so readers progress
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := len(r.data)
	if len(r.chunks) > 0 {
		n = int(r.chunks[r.i%len(r.chunks)] & 0x1f)
		r.i++
		if n == 0 && r.empty < 3 {
			r.empty++
			return 0, nil
		}
		n = max(n, 1)
	}
	r.empty = 0
	n = min(n, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// FuzzFrameReadHeader reads a stream of frames with frame.ReadHeader, from a
// bufio.Reader over a reader that returns the data in random chunks and from
// the chunked reader itself, skipping each frame's payload, and compares every
// result with frame.ParseHeader on the same bytes: the same header, exactly its
// bytes consumed, io.EOF at the end of the stream, io.ErrUnexpectedEOF inside a
// header, and the same *closecode.Error code for a malformed header.
func FuzzFrameReadHeader(f *testing.F) {
	var all []byte
	for _, b := range rfcFrames[:6] {
		all = append(all, b...)
	}
	f.Add(all, []byte{1})
	f.Add(all, []byte{3, 0, 7, 16})
	for _, b := range malformedHeaders {
		f.Add(append(append([]byte{}, rfcFrames[0]...), b...), []byte{2, 5})
	}
	f.Fuzz(func(t *testing.T, data, chunks []byte) {
		defer watchdog()()
		for _, buffered := range []bool{true, false} {
			var r io.Reader = &chunkReader{data: data, chunks: chunks}
			if buffered {
				r = bufio.NewReaderSize(r, 16)
			}
			rest := data
			for frames := 0; ; frames++ {
				h, err := frame.ReadHeader(r)
				ph, n, perr := frame.ParseHeader(rest)
				switch {
				case perr == frame.ErrShortHeader:
					want := io.ErrUnexpectedEOF
					if len(rest) == 0 {
						want = io.EOF
					}
					if err != want {
						t.Fatalf("frame %d: ReadHeader at % x = %+v, %v; want %v", frames, rest, h, err, want)
					}
				case perr != nil:
					var ce, pce *closecode.Error
					errors.As(perr, &pce)
					if !errors.As(err, &ce) || ce.Code != pce.Code {
						t.Fatalf("frame %d: ReadHeader at % x = %+v, %v; ParseHeader: %v", frames, rest, h, err, perr)
					}
				default:
					if err != nil || h != ph {
						t.Fatalf("frame %d: ReadHeader at % x = %+v, %v; ParseHeader: %+v", frames, rest, h, err, ph)
					}
					rest = rest[n:]
					if h.Length > int64(len(rest)) {
						break
					}
					// Skip the payload through the reader.
					if _, err := io.ReadFull(r, make([]byte, h.Length)); err != nil {
						t.Fatalf("frame %d: reading %d payload bytes: %v", frames, h.Length, err)
					}
					rest = rest[h.Length:]
					continue
				}
				break
			}
		}
	})
}
