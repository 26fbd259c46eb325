package protocol_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

type (
	deflateParams = deflate.Params
	deflateConfig = deflate.Config
)

func compressedServer(t testing.TB, limit int64) *protocol.Protocol {
	return newProto(t, protocol.Config{Role: frame.Server, ReadLimit: limit, Deflate: &deflateParams{}})
}

// The examples of RFC 7692 §7.2.3.
func TestRFC7692Examples(t *testing.T) {
	mk := func() *protocol.Protocol { return compressedServer(t, 0) }
	hello := []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"one frame", frm(true, frame.OpText, frame.RSV1, true, hello), `start(text,true) data("Hello") message end`},
		{"fragmented", cat(frm(false, frame.OpText, frame.RSV1, true, hello[:3]), frm(true, frame.OpContinuation, 0, true, hello[3:])),
			`start(text,true) data("Hello") message end`},
		{"stored block", frm(true, frame.OpText, frame.RSV1, true, []byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}),
			`start(text,true) data("Hello") message end`},
		{"BFINAL block", frm(true, frame.OpText, frame.RSV1, true, []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}),
			`start(text,true) data("Hello") message end`},
		{"two messages sharing a window", cat(frm(true, frame.OpText, frame.RSV1, true, hello), frm(true, frame.OpText, frame.RSV1, true, []byte{0xf2, 0x00, 0x11, 0x00, 0x00})),
			`start(text,true) data("Hello") message end start(text,true) data("Hello") message end`},
		{"empty", frm(true, frame.OpBinary, frame.RSV1, true, []byte{0}), `start(binary,true) message end`},
		{"uncompressed among compressed", cat(toServer(true, frame.OpText, "plain"), frm(true, frame.OpText, frame.RSV1, true, hello)),
			`start(text,false) data("plain") message end start(text,true) data("Hello") message end`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantEvents(t, mk, c.in, c.want, 0) })
	}
}

func TestCompressedFaults(t *testing.T) {
	comp := func(msg []byte) []byte {
		var cfg deflateConfig
		c := cfg.NewCompressor(deflateParams{}, false)
		return c.Compress(nil, msg)
	}
	cases := []struct {
		name  string
		limit int64
		in    []byte
		code  closecode.Code
	}{
		{"empty payload", 0, frm(true, frame.OpBinary, frame.RSV1, true, nil), closecode.InvalidPayload},
		{"invalid data", 0, frm(true, frame.OpBinary, frame.RSV1, true, []byte{0xff, 0xff, 0xff}), closecode.InvalidPayload},
		{"invalid UTF-8 inflated", 0, frm(true, frame.OpText, frame.RSV1, true, comp([]byte("ok\xff"))), closecode.InvalidPayload},
		{"cut UTF-8 inflated", 0, frm(true, frame.OpText, frame.RSV1, true, comp([]byte("ok\xe2\x82"))), closecode.InvalidPayload},
		{"inflates over the limit", 100, frm(true, frame.OpBinary, frame.RSV1, true, comp(make([]byte, 101))), closecode.MessageTooBig},
		{"bomb", 64 << 10, frm(true, frame.OpBinary, frame.RSV1, true, comp(make([]byte, 50<<20))), closecode.MessageTooBig},
		{"compressed payload over the bound", 10, frm(true, frame.OpBinary, frame.RSV1, true, make([]byte, 2*10+64<<10+1))[:14], closecode.MessageTooBig},
		{"compressed fragments over the bound", 10, cat(frm(false, frame.OpBinary, frame.RSV1, true, make([]byte, 64<<10)),
			frm(true, frame.OpContinuation, 0, true, make([]byte, 21))[:6]), closecode.MessageTooBig},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, chunk := range []int{0, 1000} {
				p := compressedServer(t, c.limit)
				_, err := feed(t, p, c.in, chunk)
				checkCode(t, err, c.code)
				if code, _ := closeOf(t, p.AppendPending(nil), frame.Server); code != c.code {
					t.Fatalf("close frame %d", code)
				}
			}
		})
	}
	// At the limit exactly is fine.
	p := compressedServer(t, 100)
	evs, err := feed(t, p, frm(true, frame.OpBinary, frame.RSV1, true, comp(make([]byte, 100))), 0)
	if err != nil || len(evs) != 3 || len(evs[1].Data) != 100 {
		t.Fatalf("%s %v", evsString(evs), err)
	}
	// With the largest limit the compressed bound saturates.
	p = compressedServer(t, 1<<62)
	if _, err := feed(t, p, frm(true, frame.OpBinary, frame.RSV1, true, comp([]byte("x"))), 0); err != nil {
		t.Fatal(err)
	}
}

// TestInflateChunks checks that a compressed message is delivered in chunks
// of at most 16 KiB, none of them empty.
func TestInflateChunks(t *testing.T) {
	var cfg deflateConfig
	msg := bytes.Repeat([]byte("0123456789"), 10000)
	wire := frm(true, frame.OpBinary, frame.RSV1, true, cfg.NewCompressor(deflateParams{}, false).Compress(nil, msg))
	p := compressedServer(t, 0)
	var got []byte
	for in := wire; ; {
		e, n, err := p.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		in = in[n:]
		if e.Kind == protocol.EventData {
			if len(e.Data) == 0 || len(e.Data) > 16<<10 {
				t.Fatalf("chunk of %d bytes", len(e.Data))
			}
			got = append(got, e.Data...)
		}
		if e.Kind == protocol.EventMessageEnd {
			break
		}
		if e.Kind == protocol.EventNone {
			t.Fatal("message not complete")
		}
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("message differs")
	}
}

// TestIdleRelease checks that the keepalive tick's release of the
// compressor and buffers keeps both sides' context takeover intact.
func TestIdleRelease(t *testing.T) {
	cfg := protocol.Config{Role: frame.Client, Deflate: &deflateParams{}, PingInterval: time.Second, Compression: &deflateConfig{Level: flate.BestCompression}}
	cli := newProto(t, cfg)
	cfg.Role = frame.Server
	srv := newProto(t, cfg)
	msg := bytes.Repeat([]byte("context takeover "), 100)
	now := t0
	for i := 0; i < 4; i++ {
		wire, _ := cli.AppendMessage(nil, protocol.Text, msg)
		if i > 0 && len(wire) > 30 {
			t.Fatalf("message %d: %d bytes: no back-reference into the previous message", i, len(wire))
		}
		evs, err := feed(t, srv, wire, 0)
		if err != nil || len(evs) != 3 || evs[1].Data != string(msg) {
			t.Fatalf("message %d: %v", i, err)
		}
		// Both go idle for a tick (the second tick of each pair finds
		// the compressor unused).
		for j := 0; j < 2; j++ {
			now = now.Add(time.Second)
			for _, p := range []*protocol.Protocol{cli, srv} {
				p.Tick(now)
				p.AppendPending(nil)
				p.PendingWritten(now)
				p.Alive(now)
			}
		}
	}
}

func TestCompressionThreshold(t *testing.T) {
	p := newProto(t, protocol.Config{Role: frame.Server, Deflate: &deflateParams{}, Compression: &deflateConfig{Threshold: 10}})
	for _, c := range []struct {
		size int
		comp bool
	}{{9, false}, {10, true}, {-1, true}} {
		p.StartMessage(protocol.Binary, c.size)
		if p.WriteCompressed() != c.comp || p.ZeroCopy() == c.comp {
			t.Fatalf("size %d: compressed %v", c.size, p.WriteCompressed())
		}
		if c.comp {
			if _, _, err := p.AppendHeader(nil, 1, true); err != protocol.ErrNotZeroCopy {
				t.Fatalf("AppendHeader: %v", err)
			}
		}
		out, _, _ := p.AppendFrame(nil, nil, true)
		if fs := frames(t, out, frame.Server); len(fs) != 1 || (fs[0].h.Rsv == frame.RSV1) != c.comp {
			t.Fatalf("size %d: %+v", c.size, fs)
		}
	}
	// A compressed message cannot be cancelled once the compressor took
	// bytes in; before that, it can.
	p.StartMessage(protocol.Binary, -1)
	if err := p.CancelMessage(); err != nil {
		t.Fatal(err)
	}
	p.StartMessage(protocol.Binary, -1)
	p.AppendFrame(nil, []byte("abc"), false)
	if err := p.CancelMessage(); !errors.Is(err, protocol.ErrCannotCancel) {
		t.Fatalf("CancelMessage: %v", err)
	}
}

// TestCompressedFrameSize checks that compressed output is cut into frames
// of at most MaxFrameSize.
func TestCompressedFrameSize(t *testing.T) {
	cfg := protocol.Config{Role: frame.Server, Deflate: &deflateParams{}, MaxFrameSize: 100}
	p := newProto(t, cfg)
	msg := make([]byte, 5000)
	for i := range msg {
		msg[i] = byte(i * 7919 >> 3) // poorly compressible
	}
	wire, _ := p.AppendMessage(nil, protocol.Binary, msg)
	fs := frames(t, wire, frame.Server)
	if len(fs) < 10 {
		t.Fatalf("%d frames", len(fs))
	}
	for i, f := range fs {
		if len(f.payload) > 100 || (f.h.Rsv == frame.RSV1) != (i == 0) || f.h.Fin != (i == len(fs)-1) {
			t.Fatalf("frame %d: %+v, %d bytes", i, f.h, len(f.payload))
		}
	}
	cfg.Role = frame.Client
	evs, err := feed(t, newProto(t, cfg), wire, 0)
	if err != nil || len(evs) != 3 || evs[1].Data != string(msg) {
		t.Fatalf("%v", err)
	}
}
