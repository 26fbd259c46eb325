package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// wsClient is a minimal client: frames are masked with the zero key (so
// the payload goes as is), the server's frames are read raw, and its pings
// are answered with pongs.
type wsClient struct {
	nc  net.Conn
	br  *bufio.Reader
	buf []byte
}

const request = "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

var errRefused = errors.New("handshake refused")

func dialWS(addr string, src net.IP) (*wsClient, error) {
	d := net.Dialer{Timeout: 30 * time.Second}
	if src != nil {
		d.LocalAddr = &net.TCPAddr{IP: src}
	}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	nc.(*net.TCPConn).SetLinger(0)
	if _, err := fmt.Fprintf(nc, request, addr); err != nil {
		nc.Close()
		return nil, err
	}
	c := &wsClient{nc: nc, br: bufio.NewReaderSize(nc, 2048)}
	nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := c.br.ReadSlice('\n')
	if err != nil || !bytes.HasPrefix(line, []byte("HTTP/1.1 101")) {
		nc.Close()
		return nil, errRefused
	}
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			nc.Close()
			return nil, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			break
		}
	}
	nc.SetReadDeadline(time.Time{})
	return c, nil
}

// frame returns a masked (zero key) final frame of opcode op.
func frame(op byte, p []byte) []byte {
	b := []byte{0x80 | op}
	switch n := len(p); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	b = append(b, 0, 0, 0, 0)
	return append(b, p...)
}

// readMessage reads frames until a data frame ends, answering pings, and
// returns the payload length of the data frames.
func (c *wsClient) readMessage() (int, error) {
	total := 0
	for {
		var h [2]byte
		if _, err := io.ReadFull(c.br, h[:]); err != nil {
			return 0, err
		}
		n := int64(h[1] & 0x7f)
		switch n {
		case 126:
			var e [2]byte
			if _, err := io.ReadFull(c.br, e[:]); err != nil {
				return 0, err
			}
			n = int64(binary.BigEndian.Uint16(e[:]))
		case 127:
			var e [8]byte
			if _, err := io.ReadFull(c.br, e[:]); err != nil {
				return 0, err
			}
			n = int64(binary.BigEndian.Uint64(e[:]))
		}
		op := h[0] & 0xf
		if op >= 8 {
			p := make([]byte, n)
			if _, err := io.ReadFull(c.br, p); err != nil {
				return 0, err
			}
			switch op {
			case 9:
				if _, err := c.nc.Write(frame(0xa, p)); err != nil {
					return 0, err
				}
			case 8:
				return 0, io.EOF
			}
			continue
		}
		if _, err := c.br.Discard(int(n)); err != nil {
			return 0, err
		}
		total += int(n)
		if h[0]&0x80 != 0 {
			return total, nil
		}
	}
}

// idle answers the server's pings until the connection ends.
func (c *wsClient) idle() {
	for {
		if _, err := c.readMessage(); err != nil {
			return
		}
	}
}

// clientsMain is a client process: it opens n connections to addr from
// the source address src, echoes one 1 KiB message on each, prints
// "ready <ok> <failed>", and keeps them open (answering pings) until
// stdin closes.
func clientsMain(args []string) {
	addr, src := args[0], net.ParseIP(args[1])
	var n int
	fmt.Sscan(args[2], &n)
	msg := frame(2, bytes.Repeat([]byte("x"), 1024))
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				c, err := dialWS(addr, src)
				if err == nil {
					if _, err = c.nc.Write(msg); err == nil {
						_, err = c.readMessage()
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					if c != nil {
						c.nc.Close()
					}
					continue
				}
				ok.Add(1)
				go c.idle()
			}
		}()
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		fmt.Fprintf(os.Stderr, "evbench clients %s: %d failed, first: %v\n", src, failed.Load(), e)
	}
	fmt.Printf("ready %d %d\n", ok.Load(), failed.Load())
	io.Copy(io.Discard, os.Stdin)
}
