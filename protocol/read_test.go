package protocol_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

func TestNewRefusesInvalidConfigs(t *testing.T) {
	bad := []protocol.Config{
		{},
		{Role: 3},
		{Role: frame.Server, MaxFrameSize: -1},
		{Role: frame.Server, PongTimeout: -1},
		{Role: frame.Server, CloseTimeout: -1},
		{Role: frame.Client, Deflate: &deflateParams{ServerMaxWindowBits: 7}},
		{Role: frame.Client, Deflate: &deflateParams{ClientMaxWindowBits: 16}},
		{Role: frame.Client, Deflate: &deflateParams{}, Compression: &deflateConfig{Threshold: -1}},
	}
	for _, cfg := range bad {
		p, err := protocol.New(cfg, t0)
		if !errors.Is(err, protocol.ErrInvalidConfig) || p != nil {
			t.Errorf("New(%+v) = %v, %v; want ErrInvalidConfig", cfg, p, err)
		}
	}
	p := newProto(t, protocol.Config{Role: frame.Client, Deflate: &deflateParams{ServerMaxWindowBits: 8}})
	if p.State() != protocol.Open || p.Role() != frame.Client || !p.Compressed() || p.MaxFrameSize() != protocol.DefaultMaxFrameSize {
		t.Fatalf("state %v role %v compressed %v max frame %d", p.State(), p.Role(), p.Compressed(), p.MaxFrameSize())
	}
	if p.Result() != nil {
		t.Fatal("result before the end")
	}
}

func TestStrings(t *testing.T) {
	for v, want := range map[interface{ String() string }]string{
		protocol.Text: "text", protocol.Binary: "binary", protocol.MessageType(7): "MessageType(7)",
		protocol.Connecting: "CONNECTING", protocol.Open: "OPEN", protocol.Closing: "CLOSING", protocol.Closed: "CLOSED",
		protocol.State(9): "State(9)", protocol.EventNone: "none", protocol.EventMessageStart: "message start",
		protocol.EventData: "data", protocol.EventMessageEnd: "message end", protocol.EventPing: "ping",
		protocol.EventPong: "pong", protocol.EventClose: "close", protocol.EventKind(42): "EventKind(42)",
	} {
		if got := v.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestMessages(t *testing.T) {
	for _, role := range []frame.Role{frame.Server, frame.Client} {
		masked := role == frame.Server
		mk := func() *protocol.Protocol { return newProto(t, protocol.Config{Role: role}) }
		big := strings.Repeat("0123456789", 7000) // 64-bit length
		in := cat(
			frm(true, frame.OpText, 0, masked, []byte("Hello")),
			frm(true, frame.OpBinary, 0, masked, []byte{0, 1, 2}),
			frm(true, frame.OpText, 0, masked, nil),
			frm(true, frame.OpBinary, 0, masked, []byte(big[:300])), // 16-bit length
			frm(true, frame.OpBinary, 0, masked, []byte(big)),
		)
		want := `start(text,false) data("Hello") message end start(binary,false) data("\x00\x01\x02") message end ` +
			`start(text,false) message end start(binary,false) data("` + big[:300] + `") message end ` +
			`start(binary,false) data("` + big + `") message end`
		wantEvents(t, mk, in, want, 0)
	}
}

func TestFragmentsAndControlFrames(t *testing.T) {
	in := cat(
		toServer(false, frame.OpText, "Hel"),
		toServer(true, frame.OpPing, "p1"),
		toServer(false, frame.OpContinuation, ""),
		toServer(true, frame.OpPong, "unsolicited"),
		toServer(false, frame.OpContinuation, "lo, "),
		toServer(true, frame.OpPing, "p2"),
		toServer(true, frame.OpContinuation, "wörld"),
		toServer(true, frame.OpBinary, "b"),
	)
	want := `start(text,false) data("Hel") ping("p1") pong("unsolicited") data("lo, ") ping("p2") data("wörld") message end ` +
		`start(binary,false) data("b") message end`
	wantEvents(t, func() *protocol.Protocol { return server(t) }, in, want, 0)

	// Only the latest ping is answered.
	p := server(t)
	if _, err := feed(t, p, in, 1); err != nil {
		t.Fatal(err)
	}
	if !p.HasPending() {
		t.Fatal("no pong pending")
	}
	out := p.AppendPending(nil)
	fs := frames(t, out, frame.Server)
	if len(fs) != 1 || fs[0].h.Opcode != frame.OpPong || string(fs[0].payload) != "p2" || !fs[0].h.Fin {
		t.Fatalf("pending %q", out)
	}
	if p.HasPending() || len(p.AppendPending(nil)) != 0 {
		t.Fatal("pong sent twice")
	}
}

func TestPingAnsweredByClient(t *testing.T) {
	p := client(t)
	if _, err := feed(t, p, toClient(true, frame.OpPing, "are you there"), 0); err != nil {
		t.Fatal(err)
	}
	fs := frames(t, p.AppendPending(nil), frame.Client)
	if len(fs) != 1 || fs[0].h.Opcode != frame.OpPong || string(fs[0].payload) != "are you there" {
		t.Fatalf("pong %+v", fs)
	}
}

func TestProtocolViolations(t *testing.T) {
	hdr := func(b0, b1 byte, rest ...byte) []byte { return append([]byte{b0, b1}, rest...) }
	key := testKey[:]
	cases := []struct {
		name    string
		deflate bool
		role    frame.Role
		in      []byte
		want    string // events before the error
		code    closecode.Code
	}{
		{"continuation without message", false, frame.Server, toServer(true, frame.OpContinuation, "x"), "", 1002},
		{"continuation after complete message", false, frame.Server, cat(toServer(true, frame.OpText, "a"), toServer(true, frame.OpContinuation, "x")), `start(text,false) data("a") message end`, 1002},
		{"new message during fragmented one", false, frame.Server, cat(toServer(false, frame.OpText, "a"), toServer(true, frame.OpBinary, "x")), `start(text,false) data("a")`, 1002},
		{"RSV1 without compression", false, frame.Server, frm(true, frame.OpText, frame.RSV1, true, []byte("a")), "", 1002},
		{"RSV2", true, frame.Server, frm(true, frame.OpText, frame.RSV2, true, []byte("a")), "", 1002},
		{"RSV3", true, frame.Server, frm(true, frame.OpBinary, frame.RSV3, true, []byte("a")), "", 1002},
		{"RSV1 on continuation", true, frame.Server, cat(frm(false, frame.OpText, frame.RSV1, true, nil), frm(true, frame.OpContinuation, frame.RSV1, true, nil)), `start(text,true)`, 1002},
		{"RSV1 on control frame", true, frame.Server, frm(true, frame.OpPing, frame.RSV1, true, nil), "", 1002},
		{"reserved opcode 3", false, frame.Server, toServer(true, 3, ""), "", 1002},
		{"reserved opcode 7", false, frame.Client, toClient(true, 7, ""), "", 1002},
		{"reserved opcode 0xB", false, frame.Server, toServer(true, 0xB, ""), "", 1002},
		{"reserved opcode 0xF", false, frame.Client, toClient(true, 0xF, ""), "", 1002},
		{"fragmented ping", false, frame.Server, toServer(false, frame.OpPing, ""), "", 1002},
		{"fragmented close", false, frame.Server, toServer(false, frame.OpClose, ""), "", 1002},
		{"long ping", false, frame.Server, toServer(true, frame.OpPing, strings.Repeat("x", 126)), "", 1002},
		{"long pong", false, frame.Client, toClient(true, frame.OpPong, strings.Repeat("x", 200)), "", 1002},
		{"unmasked to server", false, frame.Server, toClient(true, frame.OpText, "a"), "", 1002},
		{"masked to client", false, frame.Client, toServer(true, frame.OpText, "a"), "", 1002},
		{"non-minimal 16-bit length", false, frame.Server, hdr(0x82, 0xfe, append([]byte{0, 5}, key...)...), "", 1002},
		{"non-minimal 64-bit length", false, frame.Server, hdr(0x82, 0xff, append([]byte{0, 0, 0, 0, 0, 0, 0xff, 0xff}, key...)...), "", 1002},
		{"64-bit length MSB set", false, frame.Server, hdr(0x82, 0xff, append([]byte{0x80, 0, 0, 0, 0, 0, 0, 0}, key...)...), "", 1002},
		{"1-byte close", false, frame.Server, toServer(true, frame.OpClose, "\x03"), "", 1002},
		{"close code 999", false, frame.Server, toServer(true, frame.OpClose, "\x03\xe7"), "", 1002},
		{"close code 1004", false, frame.Server, toServer(true, frame.OpClose, "\x03\xec"), "", 1002},
		{"close code 1005", false, frame.Server, toServer(true, frame.OpClose, "\x03\xed"), "", 1002},
		{"close code 1006", false, frame.Client, toClient(true, frame.OpClose, "\x03\xee"), "", 1002},
		{"close code 1015", false, frame.Server, toServer(true, frame.OpClose, "\x03\xf7"), "", 1002},
		{"close code 1016", false, frame.Server, toServer(true, frame.OpClose, "\x03\xf8"), "", 1002},
		{"close code 2999", false, frame.Server, toServer(true, frame.OpClose, "\x0b\xb7"), "", 1002},
		{"close code 5000", false, frame.Server, toServer(true, frame.OpClose, "\x13\x88"), "", 1002},
		{"close reason not UTF-8", false, frame.Server, toServer(true, frame.OpClose, "\x03\xe8\xff"), "", 1007},
		{"close reason cut UTF-8", false, frame.Client, toClient(true, frame.OpClose, "\x03\xe8\xe2\x82"), "", 1007},
		{"invalid UTF-8", false, frame.Server, toServer(true, frame.OpText, "ab\xff"), `start(text,false) data("ab")`, 1007},
		{"surrogate", false, frame.Server, toServer(true, frame.OpText, "\xed\xa0\x80"), `start(text,false) data("\xed")`, 1007},
		{"text ends inside a character", false, frame.Server, toServer(true, frame.OpText, "ab\xe2\x82"), `start(text,false) data("ab\xe2\x82")`, 1007},
		{"fragmented text ends inside a character", false, frame.Client, cat(toClient(false, frame.OpText, "a\xf0\x9f"), toClient(true, frame.OpContinuation, "\x98")), `start(text,false) data("a\xf0\x9f\x98")`, 1007},
		{"invalid UTF-8 in a later fragment", false, frame.Server, cat(toServer(false, frame.OpText, "ok"), toServer(true, frame.OpContinuation, "\xc0\xaf")), `start(text,false) data("ok")`, 1007},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := protocol.Config{Role: c.role}
			if c.deflate {
				cfg.Deflate = &deflateParams{}
			}
			for _, chunk := range []int{0, 1, 3} {
				p := newProto(t, cfg)
				evs, err := feed(t, p, c.in, chunk)
				// The valid prefix of invalid UTF-8 may or may not be
				// delivered, depending on the chunking.
				got := evsString(evs)
				if got != c.want && !(c.code == 1007 && strings.HasPrefix(c.want, got)) {
					t.Fatalf("chunk %d: events %s, want %s", chunk, got, c.want)
				}
				checkCode(t, err, c.code)
				if p.State() != protocol.Closing {
					t.Fatalf("state %v", p.State())
				}
				code, _ := closeOf(t, p.AppendPending(nil), c.role)
				if code != c.code {
					t.Fatalf("close frame with %d, want %d", code, c.code)
				}
				// Input after the failure is dropped.
				if e, n, err := p.Parse([]byte("\x81\x05hello")); e.Kind != protocol.EventNone || n != 7 || err != nil {
					t.Fatalf("Parse after failure: %v %d %v", e.Kind, n, err)
				}
			}
		})
	}
}

// TestUTF8FailFast checks that invalid text fails as soon as its first
// invalid byte arrives, before the rest of the frame.
func TestUTF8FailFast(t *testing.T) {
	for _, prefix := range []string{"\xff", "abc\xc3\x28", "\xe2\x28", "\xf4\x90", "\xe0\x80"} {
		p := server(t)
		payload := prefix + strings.Repeat("a", 1000)
		in := toServer(true, frame.OpText, payload)
		_, err := feed(t, p, in[:8+len(prefix)], 1) // 8: header with a 16-bit length and a key
		checkCode(t, err, 1007)
	}
	// A sequence cut by a chunk boundary is not a fault until it goes wrong.
	p := server(t)
	in := toServer(true, frame.OpText, "\xe2\x82\xac")
	evs, err := feed(t, p, in, 1)
	if err != nil || evsString(evs) != `start(text,false) data("€") message end` {
		t.Fatalf("%s %v", evsString(evs), err)
	}
}

func TestReadLimit(t *testing.T) {
	lim := func(l int64) func() *protocol.Protocol {
		return func() *protocol.Protocol { return newProto(t, protocol.Config{Role: frame.Server, ReadLimit: l}) }
	}
	// Exactly at the limit is fine, in one frame or several.
	wantEvents(t, lim(10), toServer(true, frame.OpBinary, "0123456789"), `start(binary,false) data("0123456789") message end`, 0)
	wantEvents(t, lim(10), cat(toServer(false, frame.OpBinary, "01234"), toServer(true, frame.OpContinuation, "56789")),
		`start(binary,false) data("0123456789") message end`, 0)
	// One byte over fails at the header, before any payload.
	for _, in := range [][]byte{
		toServer(true, frame.OpBinary, "0123456789X")[:6], // the header alone
		cat(toServer(false, frame.OpBinary, "01234"), toServer(true, frame.OpContinuation, "56789X")[:6]),
	} {
		_, err := feed(t, lim(10)(), in, 1)
		checkCode(t, err, 1009)
	}
	// The default limit is 1 MiB.
	wantEvents(t, lim(0), frm(true, frame.OpBinary, 0, true, make([]byte, 1<<20+1))[:14], "", 1009)
	// The largest length a header can announce.
	huge := func(op frame.Opcode, fin bool, length uint64) []byte {
		b := []byte{byte(op), 0xff}
		if fin {
			b[0] |= 0x80
		}
		b = binary.BigEndian.AppendUint64(b, length)
		return append(b, testKey[:]...)
	}
	wantEvents(t, lim(0), huge(frame.OpBinary, true, math.MaxInt64), "", 1009)
	wantEvents(t, lim(math.MaxInt64-1), huge(frame.OpBinary, true, math.MaxInt64), "", 1009)
	// With ReadLimit = MaxInt64 nothing overflows: a frame of 2^63-1 bytes
	// is accepted, and a continuation that would take the total past it
	// is refused.
	wantEvents(t, lim(math.MaxInt64), cat(huge(frame.OpBinary, false, math.MaxInt64), []byte("\x37")), `start(binary,false) data("\x00")`, 0)
	wantEvents(t, lim(math.MaxInt64), cat(toServer(false, frame.OpBinary, "ab"), huge(frame.OpContinuation, true, math.MaxInt64)),
		`start(binary,false) data("ab")`, 1009)
	wantEvents(t, lim(math.MaxInt64), cat(toServer(false, frame.OpBinary, "ab"), huge(frame.OpContinuation, true, math.MaxInt64-2)),
		`start(binary,false) data("ab")`, 0)
	// No limit: anything goes, and the running total saturates.
	wantEvents(t, lim(-1), cat(toServer(false, frame.OpBinary, "ab"), huge(frame.OpContinuation, false, math.MaxInt64), []byte("\x37")),
		`start(binary,false) data("ab\x00")`, 0)
	// A continuation without a message, too long: the limit is checked
	// first, as conn does.
	wantEvents(t, lim(10), huge(frame.OpContinuation, true, 1<<40), "", 1009)
}

func TestPeerClose(t *testing.T) {
	cases := []struct {
		payload    string
		code       closecode.Code
		reason     string
		echoLength int
	}{
		{"", closecode.NoStatus, "", 0},
		{"\x03\xe8", closecode.Normal, "", 2},
		{"\x03\xe9bye", closecode.GoingAway, "bye", 2},
		{"\x0b\xb8" + strings.Repeat("r", 123), 3000, strings.Repeat("r", 123), 2},
		{"\x13\x87é", 4999, "é", 2},
	}
	for _, c := range cases {
		for _, role := range []frame.Role{frame.Server, frame.Client} {
			p := newProto(t, protocol.Config{Role: role})
			in := cat(frm(true, frame.OpClose, 0, role == frame.Server, []byte(c.payload)), []byte("ignored after the close"))
			evs, err := feed(t, p, in, 0)
			if err != nil || len(evs) != 1 || evs[0].Kind != protocol.EventClose || evs[0].Code != c.code || evs[0].Reason != c.reason {
				t.Fatalf("%q: %s %v", c.payload, evsString(evs), err)
			}
			if p.State() != protocol.Closing || !p.PeerClosedFirst() {
				t.Fatalf("state %v", p.State())
			}
			out := p.AppendPending(nil)
			fs := frames(t, out, role)
			if len(fs) != 1 || fs[0].h.Opcode != frame.OpClose || len(fs[0].payload) != c.echoLength ||
				c.echoLength == 2 && !bytes.Equal(fs[0].payload, []byte(c.payload[:2])) {
				t.Fatalf("echo %q of %q", out, c.payload)
			}
		}
	}
}

// TestPayloadPending reads a large payload the way a driver reading into
// its caller's buffer would: the header from a small buffer, the payload
// straight into the destination.
func TestPayloadPending(t *testing.T) {
	msg := bytes.Repeat([]byte("payload "), 1000)
	wire := toServer(true, frame.OpBinary, string(msg))
	p := server(t)
	if p.PayloadPending() != 0 {
		t.Fatal("payload pending before a frame")
	}
	e, n, err := p.Parse(wire[:20]) // the header and 12 payload bytes
	if err != nil || e.Kind != protocol.EventMessageStart || n != 8 {
		t.Fatalf("%v %d %v", e.Kind, n, err)
	}
	if got := p.PayloadPending(); got != int64(len(msg)) {
		t.Fatalf("pending %d", got)
	}
	dst := make([]byte, len(msg))
	copy(dst, wire[8:]) // "read from the transport" into dst
	e, n, err = p.Parse(dst)
	if err != nil || e.Kind != protocol.EventData || n != len(dst) || &e.Data[0] != &dst[0] || !bytes.Equal(dst, msg) {
		t.Fatalf("%v %d %v", e.Kind, n, err)
	}
	if p.PayloadPending() != 0 {
		t.Fatal("payload pending after the frame")
	}
	c := compressedServer(t, 0)
	feed(t, c, frm(false, frame.OpBinary, frame.RSV1, true, []byte{0xf2, 0x48, 0xcd}), 0)
	feed(t, c, frm(true, frame.OpContinuation, 0, true, []byte{0xc9, 0xc9, 0x07, 0x00})[:6], 0)
	if c.PayloadPending() != 0 {
		t.Fatal("payload pending in a compressed message")
	}
}
