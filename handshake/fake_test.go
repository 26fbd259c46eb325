package handshake

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"time"
)

// browserRequest is a typical request from a browser.
const browserRequest = "GET /chat HTTP/1.1\r\n" +
	"Host: example.com:8080\r\n" +
	"Connection: Upgrade\r\n" +
	"Pragma: no-cache\r\n" +
	"Cache-Control: no-cache\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
	"Upgrade: websocket\r\n" +
	"Origin: http://example.com:8080\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
	"\r\n"

// fakeConn is an in-memory net.Conn: reads come from in, writes are
// counted (and kept in out when keep is set).
type fakeConn struct {
	in      []byte
	written int
	keep    bool
	out     []byte
}

func (c *fakeConn) reset(in []byte) { c.in, c.written, c.out = in, 0, c.out[:0] }

func (c *fakeConn) Read(b []byte) (int, error) {
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	n := copy(b, c.in)
	c.in = c.in[n:]
	return n, nil
}

func (c *fakeConn) Write(b []byte) (int, error) {
	c.written += len(b)
	if c.keep {
		c.out = append(c.out, b...)
	}
	return len(b), nil
}

func (c *fakeConn) Close() error                { return nil }
func (c *fakeConn) LocalAddr() net.Addr         { return fakeAddr{} }
func (c *fakeConn) RemoteAddr() net.Addr        { return fakeAddr{} }
func (c *fakeConn) SetDeadline(time.Time) error { return nil }

func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }

type fakeAddr struct{}

func (fakeAddr) Network() string { return "fake" }
func (fakeAddr) String() string  { return "fake" }

// hijackWriter is a ResponseWriter that hijacks to a fakeConn.
type hijackWriter struct {
	http.ResponseWriter
	conn *fakeConn
	brw  *bufio.ReadWriter
}

func (w *hijackWriter) Header() http.Header { return http.Header{} }
func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.conn, w.brw, nil
}
