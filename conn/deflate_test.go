//go:build !js

package conn

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
)

// countingConn counts the bytes written to a net.Conn.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// httpPair connects a client to an httptest server through Accept and
// Dial. written counts the bytes the client sent.
func httpPair(t testing.TB, srvOpts AcceptOptions, cliOpts DialOptions) (srv, cli *Conn, written *atomic.Int64) {
	t.Helper()
	conns := make(chan *Conn, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, &srvOpts)
		if err != nil {
			t.Errorf("Accept: %v", err)
		}
		conns <- c
	}))
	defer ts.Close()
	written = new(atomic.Int64)
	cliOpts.NetDial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, written}, nil
	}
	cli, err := Dial(context.Background(), "ws"+strings.TrimPrefix(ts.URL, "http"), &cliOpts)
	if err != nil {
		t.Fatal(err)
	}
	srv = <-conns
	if srv == nil {
		t.FailNow()
	}
	t.Cleanup(func() { srv.CloseNow(); cli.CloseNow() })
	return srv, cli, written
}

func TestDeflateRoundTrips(t *testing.T) {
	for _, srvNoCT := range []bool{false, true} {
		for _, cliNoCT := range []bool{false, true} {
			name := "takeover"
			if srvNoCT {
				name = "server-no-takeover"
			}
			if cliNoCT {
				name += "+client-no-takeover"
			}
			t.Run(name, func(t *testing.T) {
				checkGoroutines(t)
				so, co := AcceptOptions{Options: *shortOpts()}, DialOptions{Options: *shortOpts()}
				so.Compression = &deflate.Config{NoContextTakeover: srvNoCT}
				co.Compression = &deflate.Config{NoContextTakeover: cliNoCT}
				srv, cli, written := httpPair(t, so, co)
				sp, ok1 := srv.Compression()
				cp, ok2 := cli.Compression()
				if !ok1 || !ok2 || sp != cp {
					t.Fatalf("negotiated %+v %v / %+v %v", sp, ok1, cp, ok2)
				}
				if sp.ServerNoContextTakeover != srvNoCT || sp.ClientNoContextTakeover != cliNoCT {
					t.Fatalf("params %+v", sp)
				}
				testEcho(t, srv, cli, written)
			})
		}
	}
}

// testEcho echoes a series of messages, compressible or not, written whole
// or streamed, and checks the compressible ones shrank on the wire.
func testEcho(t *testing.T, srv, cli *Conn, written *atomic.Int64) {
	ctx := context.Background()
	echo := async(t, func() error {
		var buf []byte
		for {
			typ, msg, err := srv.Read(ctx, buf)
			if err != nil {
				return err
			}
			if err := srv.Write(ctx, typ, msg); err != nil {
				return err
			}
			buf = msg
		}
	})
	r := rand.New(rand.NewPCG(1, 2))
	var raw int64
	for i := 0; i < 24; i++ {
		var msg []byte
		switch i % 4 {
		case 0:
			msg = []byte(strings.Repeat("the same words again and again ", r.IntN(1000)))
		case 1:
			msg = make([]byte, r.IntN(40000))
			for j := 0; j+8 <= len(msg); j += 8 {
				binary.LittleEndian.PutUint64(msg[j:], r.Uint64())
			}
		case 2:
			msg = []byte("short é")
		case 3:
			msg = nil
		}
		raw += int64(len(msg))
		before := written.Load()
		typ := Text
		if i%4 == 1 {
			typ = Binary
		}
		if i%3 == 0 {
			w, err := cli.Writer(ctx, typ)
			if err != nil {
				t.Fatal(err)
			}
			for rest := msg; len(rest) > 0; {
				n := min(len(rest), 1+r.IntN(9000))
				w.Write(rest[:n])
				rest = rest[n:]
				if r.IntN(2) == 0 {
					if err := w.Flush(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		} else if err := cli.Write(ctx, typ, msg); err != nil {
			t.Fatal(err)
		}
		gt, got, err := cli.Read(ctx, nil)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if gt != typ || !bytes.Equal(got, msg) {
			t.Fatalf("message %d: %d bytes back, want %d", i, len(got), len(msg))
		}
		if i%4 == 0 && len(msg) > 1000 && written.Load()-before > int64(len(msg))/4 {
			t.Fatalf("message %d: %d bytes for %d compressible", i, written.Load()-before, len(msg))
		}
	}
	if err := cli.Close(closecode.Normal, ""); err != nil {
		t.Fatal(err)
	}
	wantCloseError(t, echo(), closecode.Normal, true)
}

func TestDeflateNotNegotiated(t *testing.T) {
	checkGoroutines(t)
	so, co := AcceptOptions{Options: *shortOpts()}, DialOptions{Options: *shortOpts()}
	co.Compression = &deflate.Config{}
	srv, cli, written := httpPair(t, so, co)
	if _, ok := cli.Compression(); ok {
		t.Fatal("compression without the server's consent")
	}
	_ = written
	res := readAsync(t, srv)
	if err := cli.Write(context.Background(), Text, []byte("plain")); err != nil {
		t.Fatal(err)
	}
	if r := res(); r.err != nil || string(r.msg) != "plain" {
		t.Fatalf("%q %v", r.msg, r.err)
	}
}

// deflateRawPair is rawPair with permessage-deflate in force, and the
// peer's compressor.
func deflateRawPair(t testing.TB, opts *Options) (*Conn, *rawPeer, *deflate.Compressor) {
	t.Helper()
	s, cl := tcpPair(t)
	var params deflate.Params
	cfg := &deflate.Config{}
	o := *opts
	o.Compression = cfg
	c := newConn(s, nil, frame.Server, &o, "", &params)
	p := &rawPeer{t: t, nc: cl, br: bufioReader(cl), role: frame.Client}
	t.Cleanup(func() { c.CloseNow(); cl.Close() })
	return c, p, cfg.NewCompressor(params, false)
}

func TestDeflateFragmentedWithControl(t *testing.T) {
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			checkGoroutines(t)
			c, p, comp := deflateRawPair(t, shortOpts())
			for i := 0; i < 3; i++ { // context takeover across messages
				msg := []byte(strings.Repeat("fragmented and compressed ", 100+i))
				z := comp.Compress(nil, msg)
				res := async(t, func() readRes {
					typ, m, err := rd.read(c)
					return readRes{typ, m, err}
				})
				third := len(z) / 3
				p.send(false, frame.RSV1, frame.OpText, z[:third])
				p.send(true, 0, frame.OpPing, []byte("between"))
				if _, pong := p.expectFrame(frame.OpPong); string(pong) != "between" {
					t.Fatalf("pong %q", pong)
				}
				p.send(false, 0, frame.OpContinuation, z[third:2*third])
				p.send(true, 0, frame.OpPong, nil)
				p.send(true, 0, frame.OpContinuation, z[2*third:])
				if r := res(); r.err != nil || r.typ != Text || !bytes.Equal(r.msg, msg) {
					t.Fatalf("message %d: %d bytes, %v", i, len(r.msg), r.err)
				}
				// An uncompressed message in between.
				res = async(t, func() readRes {
					typ, m, err := rd.read(c)
					return readRes{typ, m, err}
				})
				p.send(true, 0, frame.OpBinary, []byte("plain"))
				if r := res(); r.err != nil || string(r.msg) != "plain" {
					t.Fatalf("plain: %q %v", r.msg, r.err)
				}
			}
		})
	}
}

func TestDeflateBomb(t *testing.T) {
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			checkGoroutines(t)
			o := shortOpts()
			o.ReadLimit = 64 << 10
			c, p, comp := deflateRawPair(t, o)
			z := comp.Compress(nil, make([]byte, 4<<20))
			if len(z) > 64<<10 {
				t.Fatalf("bomb of %d bytes", len(z))
			}
			var err error
			n := allocatedDuring(func() {
				res := async(t, func() error {
					_, _, err := rd.read(c)
					return err
				})
				p.send(true, frame.RSV1, frame.OpBinary, z)
				p.failedWith(closecode.MessageTooBig)
				err = res()
			})
			wantCloseError(t, err, closecode.MessageTooBig, false)
			if n > 4<<20 {
				t.Fatalf("a 4 MiB bomb against a 64 KiB limit allocated %d bytes", n)
			}
		})
	}
}

func TestDeflateLimit(t *testing.T) {
	const limit = 100000
	incompressible := make([]byte, limit+1)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range incompressible {
		incompressible[i] = byte(r.Uint32())
	}
	for _, size := range []int{limit, limit + 1} {
		checkGoroutines(t)
		o := shortOpts()
		o.ReadLimit = limit
		c, p, comp := deflateRawPair(t, o)
		z := comp.Compress(nil, incompressible[:size])
		if len(z) <= limit {
			t.Fatalf("compressed to %d bytes; the test wants more than the limit", len(z))
		}
		res := async(t, func() readRes {
			typ, m, err := c.Read(context.Background(), nil)
			return readRes{typ, m, err}
		})
		p.send(true, frame.RSV1, frame.OpBinary, z)
		if size == limit {
			if r := res(); r.err != nil || len(r.msg) != limit {
				t.Fatalf("message at the limit: %d bytes, %v", len(r.msg), r.err)
			}
			continue
		}
		p.failedWith(closecode.MessageTooBig)
		wantCloseError(t, res().err, closecode.MessageTooBig, false)
	}
}

func TestDeflateBadInput(t *testing.T) {
	tests := []struct {
		name string
		send func(p *rawPeer, comp *deflate.Compressor)
		want closecode.Code
	}{
		{"invalid DEFLATE data", func(p *rawPeer, _ *deflate.Compressor) {
			p.send(true, frame.RSV1, frame.OpBinary, []byte{0xff, 0xff, 0xff, 0xff})
		}, closecode.InvalidPayload},
		{"compressed text not UTF-8", func(p *rawPeer, comp *deflate.Compressor) {
			p.send(true, frame.RSV1, frame.OpText, comp.Compress(nil, []byte("ok\xffno")))
		}, closecode.InvalidPayload},
		{"RSV1 on continuation", func(p *rawPeer, comp *deflate.Compressor) {
			p.send(false, frame.RSV1, frame.OpText, nil)
			p.send(true, frame.RSV1, frame.OpContinuation, comp.Compress(nil, []byte("x")))
		}, closecode.ProtocolError},
		{"RSV1 on ping", func(p *rawPeer, _ *deflate.Compressor) {
			p.send(true, frame.RSV1, frame.OpPing, nil)
		}, closecode.ProtocolError},
		{"RSV2 with deflate", func(p *rawPeer, _ *deflate.Compressor) {
			p.send(true, frame.RSV2, frame.OpBinary, nil)
		}, closecode.ProtocolError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGoroutines(t)
			c, p, comp := deflateRawPair(t, shortOpts())
			res := async(t, func() error {
				_, _, err := c.Read(context.Background(), nil)
				return err
			})
			tt.send(p, comp)
			p.failedWith(tt.want)
			wantCloseError(t, res(), tt.want, false)
		})
	}
}

// TestDeflateLimitSmallBlocks reads a message at the limit from a compressor
// that emits small stored blocks, as zlib does with a low memLevel (Python's
// websockets): the compressed form is several percent bigger than the
// message, and must not be mistaken for an oversize message.
func TestDeflateLimitSmallBlocks(t *testing.T) {
	checkGoroutines(t)
	const limit = 1 << 16
	msg := make([]byte, limit)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range msg {
		msg[i] = byte(r.Uint32())
	}
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.NoCompression)
	for off := 0; off < len(msg); off += 256 {
		fw.Write(msg[off : off+256])
		fw.Flush()
	}
	wire := bytes.TrimSuffix(z.Bytes(), []byte{0, 0, 0xff, 0xff})
	if len(wire) < limit*102/100 {
		t.Fatalf("compressed to %d bytes; the test wants 2%% over the limit", len(wire))
	}
	o := shortOpts()
	o.ReadLimit = limit
	c, p, _ := deflateRawPair(t, o)
	res := async(t, func() readRes {
		typ, m, err := c.Read(context.Background(), nil)
		return readRes{typ, m, err}
	})
	p.send(true, frame.RSV1, frame.OpBinary, wire)
	if got := res(); got.err != nil || !bytes.Equal(got.msg, msg) {
		t.Fatalf("message at the limit in small blocks: %d bytes, %v", len(got.msg), got.err)
	}
}
