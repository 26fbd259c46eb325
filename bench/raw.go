package bench

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
)

// RawClient is a fixed, minimal WebSocket client that writes pre-masked
// frames straight to the socket and reads the echoes raw, so that a
// benchmark against it measures the server's cost alone. It also holds the
// idle connections of the memory benchmarks.
type RawClient struct {
	nc      net.Conn
	br      *bufio.Reader // created on first use, so that idle clients hold none
	pending []byte        // bytes read past the handshake response
	frame   []byte        // the prepared masked frame
	want    int64         // payload length of the expected echo
	h       [10]byte      // scratch for frame headers
}

// rawRequest is the handshake request; the key is fixed.
const rawRequest = "GET / HTTP/1.1\r\n" +
	"Host: %s\r\n" +
	"Upgrade: websocket\r\n" +
	"Connection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Sec-WebSocket-Version: 13\r\n"

var errHandshake = errors.New("bench: raw handshake refused")

// DialRaw connects to addr from local (nil for any) and performs the
// opening handshake, offering permessage-deflate when deflate is set.
func DialRaw(addr string, local net.Addr, deflate bool) (*RawClient, error) {
	d := net.Dialer{LocalAddr: local, Timeout: dialTimeout}
	nc, err := d.DialContext(context.Background(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	req := strings.Replace(rawRequest, "%s", addr, 1)
	if deflate {
		req += "Sec-WebSocket-Extensions: permessage-deflate\r\n"
	}
	req += "\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		nc.Close()
		return nil, err
	}
	var resp []byte
	buf := make([]byte, 1024)
	for {
		n, err := nc.Read(buf)
		if err != nil {
			nc.Close()
			return nil, err
		}
		resp = append(resp, buf[:n]...)
		if i := bytes.Index(resp, []byte("\r\n\r\n")); i >= 0 {
			if !bytes.HasPrefix(resp, []byte("HTTP/1.1 101")) {
				nc.Close()
				return nil, errHandshake
			}
			c := &RawClient{nc: nc}
			if rest := resp[i+4:]; len(rest) > 0 {
				c.pending = append([]byte(nil), rest...)
			}
			return c, nil
		}
		if len(resp) > 8192 {
			nc.Close()
			return nil, errHandshake
		}
	}
}

// rawKey masks every frame of the raw client.
var rawKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// appendFrame appends a final masked binary frame carrying p, with RSV1 when
// rsv1 is set.
func appendFrame(dst []byte, p []byte, rsv1 bool) []byte {
	b0 := byte(0x82)
	if rsv1 {
		b0 |= 0x40
	}
	dst = append(dst, b0)
	switch n := len(p); {
	case n < 126:
		dst = append(dst, 0x80|byte(n))
	case n <= 0xffff:
		dst = append(dst, 0x80|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, 0x80|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	dst = append(dst, rawKey[:]...)
	start := len(dst)
	dst = append(dst, p...)
	for i := range p {
		dst[start+i] ^= rawKey[i&3]
	}
	return dst
}

// Prepare builds the masked frame carrying msg that RoundTrip sends.
func (c *RawClient) Prepare(msg []byte) {
	c.frame = appendFrame(c.frame[:0], msg, false)
	c.want = int64(len(msg))
	c.reader(64 << 10)
}

var errEcho = errors.New("bench: unexpected echo frame")

// RoundTrip writes the prepared frame and reads the unmasked echo: binary
// frames, fragmented or not, of the same total payload length.
func (c *RawClient) RoundTrip() error {
	if _, err := c.nc.Write(c.frame); err != nil {
		return err
	}
	n, err := c.readMessage()
	if err != nil {
		return err
	}
	if n != c.want {
		return errEcho
	}
	return nil
}

// reader returns the buffered reader of the connection, creating it with
// size bytes and the handshake's leftovers first.
func (c *RawClient) reader(size int) *bufio.Reader {
	if c.br == nil {
		var r io.Reader = c.nc
		if len(c.pending) > 0 {
			r = io.MultiReader(bytes.NewReader(c.pending), c.nc)
			c.pending = nil
		}
		c.br = bufio.NewReaderSize(r, size)
	}
	return c.br
}

// readMessage reads and discards the frames of one data message, skipping
// control frames, and returns the payload length.
func (c *RawClient) readMessage() (int64, error) {
	r := c.reader(4096)
	var total int64
	h := c.h[:]
	for {
		if _, err := io.ReadFull(r, h[:2]); err != nil {
			return 0, err
		}
		n := int64(h[1] & 0x7f)
		switch n {
		case 126:
			if _, err := io.ReadFull(r, h[2:4]); err != nil {
				return 0, err
			}
			n = int64(binary.BigEndian.Uint16(h[2:4]))
		case 127:
			if _, err := io.ReadFull(r, h[2:10]); err != nil {
				return 0, err
			}
			n = int64(binary.BigEndian.Uint64(h[2:10]))
		}
		if h[1]&0x80 != 0 || n > 64<<20 {
			return 0, errEcho
		}
		if _, err := r.Discard(int(n)); err != nil {
			return 0, err
		}
		op := h[0] & 0x0f
		if op >= 8 {
			if op == 8 {
				return 0, io.EOF
			}
			continue
		}
		total += n
		if h[0]&0x80 != 0 {
			return total, nil
		}
	}
}

// ExchangeCompressed sends msg as one compressed message (RSV1, deflated
// without context, as permessage-deflate requires) and reads and discards
// one message in answer, whatever its form.
func (c *RawClient) ExchangeCompressed(msg []byte) error {
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestSpeed)
	fw.Write(msg)
	fw.Flush()
	p := bytes.TrimSuffix(z.Bytes(), []byte{0, 0, 0xff, 0xff})
	if _, err := c.nc.Write(appendFrame(nil, p, true)); err != nil {
		return err
	}
	_, err := c.readMessage()
	c.br = nil // idle clients hold no buffer (nothing follows the echo)
	return err
}

// Close closes the connection at once.
func (c *RawClient) Close() error { return c.nc.Close() }
