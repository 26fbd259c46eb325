//go:build !js

package conn

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"net"
	"net/http"
	"testing"
	"time"
)

// The allocations of one opening handshake and the teardown of its
// connection, on each side, with the network replaced by an in-memory
// connection that allocates nothing, so that only hybi's own allocations
// (and those of the net/http parts it calls) count.

// hsConn is a net.Conn that reads in and discards what is written; with
// server set, it answers the first request written to it with a 101
// response for its key, so that Dial completes.
type hsConn struct {
	in     []byte
	server bool
	resp   [256]byte
}

func (c *hsConn) Read(p []byte) (int, error) {
	if len(c.in) == 0 {
		return 0, net.ErrClosed
	}
	n := copy(p, c.in)
	c.in = c.in[n:]
	return n, nil
}

func (c *hsConn) Write(p []byte) (int, error) {
	if c.server {
		c.answer(p)
	}
	return len(p), nil
}

// answer sets the 101 response to the request p as what Read returns.
func (c *hsConn) answer(p []byte) {
	const hdr = "Sec-WebSocket-Key: "
	i := bytes.Index(p, []byte(hdr))
	if i < 0 {
		return
	}
	key := p[i+len(hdr):]
	key = key[:bytes.IndexByte(key, '\r')]
	var buf [64]byte
	n := copy(buf[:], key)
	n += copy(buf[n:], "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
	sum := sha1.Sum(buf[:n])
	b := append(c.resp[:0], "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	var acc [28]byte
	base64.StdEncoding.Encode(acc[:], sum[:])
	b = append(b, acc[:]...)
	c.in = append(b, "\r\n\r\n"...)
}

func (c *hsConn) Close() error                     { return nil }
func (c *hsConn) LocalAddr() net.Addr              { return hsAddr{} }
func (c *hsConn) RemoteAddr() net.Addr             { return hsAddr{} }
func (c *hsConn) SetDeadline(time.Time) error      { return nil }
func (c *hsConn) SetReadDeadline(time.Time) error  { return nil }
func (c *hsConn) SetWriteDeadline(time.Time) error { return nil }

type hsAddr struct{}

func (hsAddr) Network() string { return "mem" }
func (hsAddr) String() string  { return "mem" }

// browserHandshake is the opening handshake of a browser, as Chromium
// sends it.
const browserHandshake = "GET /chat HTTP/1.1\r\nHost: localhost:8080\r\nConnection: Upgrade\r\nPragma: no-cache\r\n" +
	"Cache-Control: no-cache\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n" +
	"Upgrade: websocket\r\nOrigin: http://localhost:8080\r\nSec-WebSocket-Version: 13\r\nAccept-Encoding: gzip, deflate, br\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"

// hijacker is the ResponseWriter of a parsed request, hijacking mc.
type hijacker struct {
	mc  *hsConn
	brw *bufio.ReadWriter
	h   http.Header
}

func (w *hijacker) Header() http.Header         { return w.h }
func (w *hijacker) Write(p []byte) (int, error) { return len(p), nil }
func (w *hijacker) WriteHeader(int)             {}
func (w *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.mc, w.brw, nil
}

// handshakeAllocs returns a function doing one handshake of side
// ("accept", "acceptconn" or "dial") and closing the connection.
func handshakeAllocs(t testing.TB, side string) func() {
	ctx := context.Background()
	mc := &hsConn{}
	aopts := &AcceptOptions{InsecureSkipOriginCheck: true}
	switch side {
	case "accept":
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader([]byte(browserHandshake))))
		if err != nil {
			t.Fatal(err)
		}
		r.RemoteAddr = "127.0.0.1:1234"
		w := &hijacker{mc: mc, h: http.Header{}}
		rd, wr := bufio.NewReaderSize(nil, 16), bufio.NewWriterSize(nil, 16)
		rd0, wr0 := *rd, *wr
		w.brw = bufio.NewReadWriter(rd, wr)
		return func() {
			// net/http hands over its bufio pair, which Accept resets.
			*rd, *wr = rd0, wr0
			c, err := Accept(w, r, aopts)
			if err != nil {
				t.Fatal(err)
			}
			c.CloseNow()
		}
	case "acceptconn":
		return func() {
			mc.in = []byte(browserHandshake)
			c, err := AcceptConn(ctx, mc, aopts)
			if err != nil {
				t.Fatal(err)
			}
			c.CloseNow()
		}
	case "dial":
		mc.server = true
		dopts := &DialOptions{NetDial: func(context.Context, string, string) (net.Conn, error) { return mc, nil }}
		return func() {
			c, err := Dial(ctx, "ws://localhost:8080/chat", dopts)
			if err != nil {
				t.Fatal(err)
			}
			c.CloseNow()
		}
	}
	t.Fatalf("unknown side %q", side)
	return nil
}

// BenchmarkHandshakeAllocs reports the allocations of one opening handshake
// and teardown on each side: Accept (given a parsed request, so without
// net/http's own), AcceptConn, and Dial, over an in-memory connection.
func BenchmarkHandshakeAllocs(b *testing.B) {
	for _, side := range []string{"accept", "acceptconn", "dial"} {
		b.Run(side, func(b *testing.B) {
			f := handshakeAllocs(b, side)
			b.ReportAllocs()
			for b.Loop() {
				f()
			}
		})
	}
}

// TestHandshakeAllocs guards the allocations per handshake.
func TestHandshakeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, c := range []struct {
		side string
		max  float64
	}{{"accept", 14}, {"acceptconn", 22}, {"dial", 30}} {
		got := testing.AllocsPerRun(200, handshakeAllocs(t, c.side))
		t.Logf("%s: %.0f allocations per handshake", c.side, got)
		if got > c.max {
			t.Errorf("%s: %.0f allocations per handshake, want at most %.0f", c.side, got, c.max)
		}
	}
}
