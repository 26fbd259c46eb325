package fuzz

import (
	"bytes"
	"compress/flate"
	"strings"
	"testing"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

// FuzzProtocolRoundTrip has a client and a server Protocol exchange
// messages: the payloads are cut from msgs, and ops picks for each message
// its direction and type, how it is written (AppendMessage; streamed
// through AppendFrame in pieces with flushes and pings between them; the
// zero-copy AppendHeader path when the message allows it) and the chunks in
// which the receiver parses it; mode picks the compression (context
// takeover on either side, window bits, level, threshold) and the frame
// size. It checks that every message arrives intact, with its type and
// compression flag, without fault, and that a close handshake started by
// either side then ends cleanly on both.
func FuzzProtocolRoundTrip(f *testing.F) {
	text := "Hello, wörld! " + strings.Repeat("abc", 100)
	f.Add([]byte(text), uint8(0), []byte{0, 1, 2, 3})
	f.Add([]byte(text), uint8(0x0f), []byte{0x41, 0x82, 0xc3, 0x14, 0x55})
	f.Add(bytes.Repeat([]byte{0, 1, 2, 3, 0xff}, 3000), uint8(0x35), []byte{0x22, 0x63, 0xa4, 0xe5})
	f.Add([]byte{}, uint8(0xf3), []byte{})
	f.Fuzz(func(t *testing.T, msgs []byte, mode uint8, ops []byte) {
		defer protoWatchdog()()
		op := func(i int) byte {
			if len(ops) == 0 {
				return byte(i)
			}
			return ops[i%len(ops)]
		}
		var cfg protocol.Config
		cfg.MaxFrameSize = []int{0, 1, 7, 125, 126, 1000, 65535, 65536}[mode>>5]
		cfg.ReadLimit = -1
		if mode&1 != 0 {
			p := deflate.Params{ServerNoContextTakeover: mode&2 != 0, ClientNoContextTakeover: mode&4 != 0}
			if mode&8 != 0 {
				p.ServerMaxWindowBits, p.ClientMaxWindowBits = 9, 12
			}
			cfg.Deflate = &p
			cfg.Compression = &deflate.Config{
				Level:     []int{flate.BestSpeed, flate.DefaultCompression, flate.HuffmanOnly, flate.BestCompression}[mode>>3&3],
				Threshold: int(mode>>2&4) * 10,
			}
		}
		cfg.Role = frame.Client
		cli := protoNew(t, cfg)
		cfg.Role = frame.Server
		srv := protoNew(t, cfg)

		for i := 0; len(msgs) > 0 || i == 0; i++ {
			o := op(i)
			n := int(op(i+1)) * (int(op(i+2)) + 1)
			if n == 0 && i > 0 {
				n = 1 // progress
			}
			n = min(len(msgs), n)
			msg := msgs[:n]
			msgs = msgs[n:]
			from, to := cli, srv
			if o&1 != 0 {
				from, to = srv, cli
			}
			typ := protocol.Binary
			if o&2 != 0 {
				typ = protocol.Text
				msg = bytes.ToValidUTF8(msg, []byte("\uFFFD"))
			}
			var wire []byte
			streamed := o&4 != 0
			size := len(msg)
			if streamed {
				size = -1
			}
			if err := from.StartMessage(typ, size); err != nil {
				t.Fatal(err)
			}
			compressed := from.WriteCompressed()
			if !streamed {
				if from.ZeroCopy() && o&8 != 0 {
					for rest := msg; ; {
						hdr, k, err := from.AppendHeader(wire, len(rest), true)
						if err != nil {
							t.Fatal(err)
						}
						wire = append(hdr, rest[:k]...)
						rest = rest[k:]
						if len(rest) == 0 {
							break
						}
					}
				} else {
					from.CancelMessage()
					var err error
					if wire, err = from.AppendMessage(wire, typ, msg); err != nil {
						t.Fatal(err)
					}
				}
			} else {
				rest := msg
				for j := 3; len(rest) > 0; j++ {
					k := min(len(rest), int(op(i+j))*3+1)
					for piece := rest[:k]; len(piece) > 0; {
						var m int
						var err error
						if wire, m, err = from.AppendFrame(wire, piece, false); err != nil {
							t.Fatal(err)
						}
						piece = piece[m:]
					}
					rest = rest[k:]
					switch op(i+j) >> 6 {
					case 1:
						wire, _ = from.AppendFlush(wire)
					case 2:
						wire, _ = from.AppendPing(wire, []byte("between"))
					}
				}
				wire, _, _ = from.AppendFrame(wire, nil, true)
			}
			// The receiver parses the message in chunks.
			var got []byte
			var started, ended bool
			chunk := int(o>>4) + 1
			for off := 0; off <= len(wire); off += chunk {
				part := wire[off:min(off+chunk, len(wire))]
				for {
					e, k, err := to.Parse(part)
					if err != nil {
						t.Fatalf("message %d: %v", i, err)
					}
					part = part[k:]
					if e.Kind == protocol.EventNone {
						break
					}
					switch e.Kind {
					case protocol.EventMessageStart:
						if started || e.Type != typ || e.Compressed != compressed {
							t.Fatalf("message %d: %s, want %v compressed %v", i, protoEvent(e), typ, compressed)
						}
						started = true
					case protocol.EventData:
						got = append(got, e.Data...)
					case protocol.EventMessageEnd:
						ended = true
					case protocol.EventPing:
					default:
						t.Fatalf("message %d: %s", i, protoEvent(e))
					}
				}
			}
			if !started || !ended || !bytes.Equal(got, msg) {
				t.Fatalf("message %d (%d bytes): received %d bytes, start %v end %v", i, len(msg), len(got), started, ended)
			}
			to.AppendPending(nil) // pongs
		}

		// The close handshake.
		first, second := cli, srv
		if mode&0x10 != 0 {
			first, second = srv, cli
		}
		if err := first.Close(closecode.GoingAway, "done", protoT0); err != nil {
			t.Fatal(err)
		}
		for _, hop := range []struct{ from, to *protocol.Protocol }{{first, second}, {second, first}} {
			out := hop.from.AppendPending(nil)
			hop.from.PendingWritten(protoT0)
			for in := out; ; {
				e, k, err := hop.to.Parse(in)
				if err != nil {
					t.Fatal(err)
				}
				in = in[k:]
				if e.Kind == protocol.EventNone {
					break
				}
				if e.Kind != protocol.EventClose || e.Code != closecode.GoingAway {
					t.Fatalf("%s during the close handshake", protoEvent(e))
				}
			}
		}
		if cli.State() != protocol.Closing || srv.State() != protocol.Closed {
			t.Fatalf("states %v %v", cli.State(), srv.State())
		}
		cli.TransportClosed(nil) // the server closed the transport
		for _, p := range []*protocol.Protocol{cli, srv} {
			if ce := p.Result(); ce == nil || !ce.Clean || ce.Code != closecode.GoingAway {
				t.Fatalf("%v: result %v", p.Role(), ce)
			}
		}
	})
}
