package protocol_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

func TestAppendMessageFragments(t *testing.T) {
	for _, role := range []frame.Role{frame.Server, frame.Client} {
		p := newProto(t, protocol.Config{Role: role, MaxFrameSize: 10})
		msg := []byte("0123456789abcdefghij0123")
		orig := append([]byte(nil), msg...)
		out, err := p.AppendMessage(nil, protocol.Binary, msg)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(msg, orig) {
			t.Fatal("AppendMessage modified its input")
		}
		fs := frames(t, out, role)
		if len(fs) != 3 {
			t.Fatalf("%d frames", len(fs))
		}
		var got []byte
		keys := map[[4]byte]bool{}
		for i, f := range fs {
			wantOp := frame.OpContinuation
			if i == 0 {
				wantOp = frame.OpBinary
			}
			if f.h.Opcode != wantOp || f.h.Fin != (i == 2) || f.h.Rsv != 0 || len(f.payload) > 10 {
				t.Fatalf("frame %d: %+v", i, f.h)
			}
			keys[f.h.Key] = true
			got = append(got, f.payload...)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("payload %q", got)
		}
		if role == frame.Client && len(keys) != 3 {
			t.Fatal("masking keys reused")
		}
		// Empty message: one empty final frame.
		out, _ = p.AppendMessage(nil, protocol.Text, nil)
		fs = frames(t, out, role)
		if len(fs) != 1 || !fs[0].h.Fin || fs[0].h.Opcode != frame.OpText || len(fs[0].payload) != 0 {
			t.Fatalf("empty message %+v", fs)
		}
	}
}

func TestStreamedMessage(t *testing.T) {
	p := newProto(t, protocol.Config{Role: frame.Client, MaxFrameSize: 4})
	if _, _, err := p.AppendFrame(nil, []byte("x"), true); err != protocol.ErrNoMessage {
		t.Fatalf("AppendFrame without message: %v", err)
	}
	if err := p.StartMessage(3, -1); err != protocol.ErrBadType {
		t.Fatalf("StartMessage(3): %v", err)
	}
	if err := p.StartMessage(protocol.Text, -1); err != nil {
		t.Fatal(err)
	}
	if err := p.StartMessage(protocol.Text, -1); err != protocol.ErrMessageOpen {
		t.Fatalf("second StartMessage: %v", err)
	}
	if _, err := p.AppendMessage(nil, protocol.Text, nil); err != protocol.ErrMessageOpen {
		t.Fatalf("AppendMessage during a message: %v", err)
	}
	if p.ZeroCopy() || p.WriteCompressed() {
		t.Fatal("a client's message is zero-copy")
	}
	if _, _, err := p.AppendHeader(nil, 3, true); err != protocol.ErrNotZeroCopy {
		t.Fatalf("AppendHeader on a client: %v", err)
	}
	var out []byte
	var n int
	out, n, _ = p.AppendFrame(out, nil, false) // nothing to send
	if n != 0 || len(out) != 0 {
		t.Fatal("empty non-final frame")
	}
	out, _ = p.AppendFlush(out) // nothing held
	if len(out) != 0 {
		t.Fatal("flush of an uncompressed message sent something")
	}
	data := []byte("héllo, wörld")
	for rest := data; len(rest) > 0; {
		out, n, _ = p.AppendFrame(out, rest, false)
		rest = rest[n:]
	}
	// Control frames may go between fragments.
	out, err := p.AppendPing(out, []byte("between"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.AppendPing(nil, make([]byte, 126)); err != protocol.ErrControlTooLong {
		t.Fatalf("long ping: %v", err)
	}
	out, _, _ = p.AppendFrame(out, nil, true)
	s := server(t)
	evs, err := feed(t, s, out, 3)
	if err != nil || evsString(evs) != `start(text,false) data("héllo, wörld") ping("between") message end` {
		t.Fatalf("%s %v", evsString(evs), err)
	}
}

func TestZeroCopy(t *testing.T) {
	p := newProto(t, protocol.Config{Role: frame.Server, MaxFrameSize: 1000})
	payload := bytes.Repeat([]byte("z"), 2500)
	if err := p.StartMessage(protocol.Binary, len(payload)); err != nil {
		t.Fatal(err)
	}
	if !p.ZeroCopy() {
		t.Fatal("not zero-copy")
	}
	if _, _, err := p.AppendHeader(nil, -1, true); err != protocol.ErrBadLength {
		t.Fatalf("negative length: %v", err)
	}
	if hdr, n, _ := p.AppendHeader(nil, 0, false); len(hdr) != 0 || n != 0 {
		t.Fatal("empty non-final frame")
	}
	var wire []byte
	for rest := payload; ; {
		hdr, n, err := p.AppendHeader(nil, len(rest), true)
		if err != nil {
			t.Fatal(err)
		}
		wire = append(append(wire, hdr...), rest[:n]...)
		rest = rest[n:]
		if len(rest) == 0 {
			break
		}
	}
	if p.ZeroCopy() {
		t.Fatal("message still open")
	}
	fs := frames(t, wire, frame.Server)
	if len(fs) != 3 || len(fs[0].payload) != 1000 || len(fs[2].payload) != 500 || !fs[2].h.Fin || fs[0].h.Opcode != frame.OpBinary {
		t.Fatalf("frames %d", len(fs))
	}
	// A message can be cancelled before any of it went out.
	p.StartMessage(protocol.Text, -1)
	if err := p.CancelMessage(); err != nil {
		t.Fatal(err)
	}
	if err := p.CancelMessage(); err != nil {
		t.Fatal(err)
	}
	if err := p.StartMessage(protocol.Binary, 0); err != nil {
		t.Fatal(err)
	}
}

func TestWriteAfterClose(t *testing.T) {
	for _, how := range []string{"our close", "peer close", "failure", "closed"} {
		p := server(t)
		p.StartMessage(protocol.Binary, -1)
		out, _, _ := p.AppendFrame(nil, []byte("part"), false)
		switch how {
		case "our close":
			p.Close(closecode.Normal, "", t0)
		case "peer close":
			feed(t, p, toServer(true, frame.OpClose, ""), 0)
		case "failure":
			feed(t, p, toClient(true, frame.OpText, ""), 0)
		case "closed":
			p.TransportClosed(nil)
		}
		if _, _, err := p.AppendFrame(out, []byte("rest"), true); !errors.Is(err, protocol.ErrNotOpen) {
			t.Errorf("%s: AppendFrame: %v", how, err)
		}
		if _, _, err := p.AppendHeader(out, 4, true); !errors.Is(err, protocol.ErrNotOpen) {
			t.Errorf("%s: AppendHeader: %v", how, err)
		}
		if _, err := p.AppendFlush(out); !errors.Is(err, protocol.ErrNotOpen) {
			t.Errorf("%s: AppendFlush: %v", how, err)
		}
		if _, err := p.AppendMessage(out, protocol.Text, nil); !errors.Is(err, protocol.ErrNotOpen) {
			t.Errorf("%s: AppendMessage: %v", how, err)
		}
		var noe *protocol.NotOpenError
		_, err := p.AppendPing(nil, nil)
		if !errors.As(err, &noe) || noe.State != p.State() {
			t.Errorf("%s: AppendPing: %v", how, err)
		}
		if how != "closed" && err.Error() != "conn: connection is CLOSING, not OPEN" {
			t.Errorf("%s: %q", how, err.Error())
		}
		if how != "closed" && errors.Unwrap(err) != nil {
			t.Errorf("%s: unwraps to %v", how, errors.Unwrap(err))
		}
	}
}

// TestRoundTrip has a client core and a server core exchange messages of
// many sizes, types and fragmentations, in both directions, over byte
// streams cut at random, with pings and a close at the end.
func TestRoundTrip(t *testing.T) {
	for _, comp := range []string{"none", "takeover", "no takeover", "threshold"} {
		t.Run(comp, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var dp *deflateParams
			var dc *deflateConfig
			switch comp {
			case "takeover":
				dp = &deflateParams{}
			case "no takeover":
				dp = &deflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true}
			case "threshold":
				dp, dc = &deflateParams{ServerMaxWindowBits: 9}, &deflateConfig{Threshold: 100, Level: 6}
			}
			cfg := protocol.Config{MaxFrameSize: 1 << 12, Deflate: dp, Compression: dc}
			cfg.Role = frame.Client
			cli := newProto(t, cfg)
			cfg.Role = frame.Server
			srv := newProto(t, cfg)
			for i := 0; i < 60; i++ {
				from, to := cli, srv
				if i%2 == 1 {
					from, to = srv, cli
				}
				size := []int{0, 1, 50, 125, 126, 5000, 70000, 200000}[rng.IntN(8)]
				typ := protocol.Binary
				msg := make([]byte, size)
				if rng.IntN(2) == 0 {
					typ = protocol.Text
					for j := range msg {
						msg[j] = "abcdefgh é"[rng.IntN(9)]
					}
					msg = bytes.ToValidUTF8(msg, []byte("?"))
				} else {
					for j := range msg {
						msg[j] = byte(rng.IntN(4)) // compressible
					}
				}
				var wire []byte
				streamed := rng.IntN(2) == 0
				if !streamed {
					var err error
					if wire, err = from.AppendMessage(nil, typ, msg); err != nil {
						t.Fatal(err)
					}
				} else {
					// Streamed in random pieces, with flushes and pings.
					from.StartMessage(typ, -1)
					for rest := msg; ; {
						k := min(len(rest), rng.IntN(9000))
						var n int
						wire, n, _ = from.AppendFrame(wire, rest[:k], false)
						rest = rest[n:]
						switch rng.IntN(4) {
						case 0:
							wire, _ = from.AppendFlush(wire)
						case 1:
							wire, _ = from.AppendPing(wire, []byte("p"))
						}
						if len(rest) == 0 {
							break
						}
					}
					wire, _, _ = from.AppendFrame(wire, nil, true)
				}
				evs, err := feed(t, to, wire, rng.IntN(3000))
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				var got []byte
				for _, e := range evs {
					switch e.Kind {
					case protocol.EventMessageStart:
						wantComp := dp != nil && (streamed || dc == nil || size >= dc.Threshold)
						if e.Type != typ || e.Compressed != wantComp {
							t.Fatalf("message %d: start %v", i, e)
						}
					case protocol.EventData:
						got = append(got, e.Data...)
					case protocol.EventPing:
					case protocol.EventMessageEnd:
					default:
						t.Fatalf("event %v", e)
					}
				}
				if !bytes.Equal(got, msg) || evs[len(evs)-1].Kind != protocol.EventMessageEnd {
					t.Fatalf("message %d of %d bytes: got %d bytes", i, size, len(got))
				}
				to.AppendPending(nil) // the pongs
			}
			// The client closes.
			cli.Close(closecode.Normal, "done", t0)
			wire := cli.AppendPending(nil)
			cli.PendingWritten(t0)
			if _, err := feed(t, srv, wire, 0); err != nil {
				t.Fatal(err)
			}
			wire = srv.AppendPending(nil)
			srv.PendingWritten(t0)
			wantClose(t, srv, closecode.Normal, true)
			if _, err := feed(t, cli, wire, 0); err != nil {
				t.Fatal(err)
			}
			cli.TransportClosed(nil)
			if ce := wantClose(t, cli, closecode.Normal, true); ce.Reason != "" {
				t.Fatalf("reason %q", ce.Reason)
			}
		})
	}
}

func TestLongMessageLimitExact(t *testing.T) {
	// Uncompressed message exactly at the limit, then over it.
	msg := strings.Repeat("x", 1000)
	cli := client(t)
	wire, _ := cli.AppendMessage(nil, protocol.Text, []byte(msg))
	p := newProto(t, protocol.Config{Role: frame.Server, ReadLimit: 1000})
	if _, err := feed(t, p, wire, 7); err != nil {
		t.Fatal(err)
	}
	wire, _ = cli.AppendMessage(nil, protocol.Text, []byte(msg+"y"))
	_, err := feed(t, p, wire, 7)
	checkCode(t, err, closecode.MessageTooBig)
}
