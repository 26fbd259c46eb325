package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The clients' process: "dial ADDR N DEFLATE MSGS" connects N raw clients
// and answers "ok" once all are upgraded, then "done COMPRESSED" once every
// client read MSGS data messages; "close" closes them all (with a reset,
// so that no TIME_WAIT piles up) and answers "closed".

func runChild() {
	in := bufio.NewScanner(os.Stdin)
	var cur *fleet
	for in.Scan() {
		f := strings.Fields(in.Text())
		switch {
		case len(f) == 5 && f[0] == "dial":
			var n, msgs int
			fmt.Sscan(f[2], &n)
			fmt.Sscan(f[4], &msgs)
			var err error
			cur, err = dialFleet(f[1], n, f[3] == "true", msgs)
			if err != nil {
				fmt.Println("error", err)
				continue
			}
			go func(fl *fleet) {
				<-fl.done
				fmt.Println("done", fl.compressed.Load())
			}(cur)
		case len(f) == 1 && f[0] == "close":
			if cur != nil {
				cur.close()
				cur = nil
			}
			fmt.Println("closed")
		}
	}
}

// fleet is one run's clients.
type fleet struct {
	conns      []net.Conn
	left       atomic.Int64 // clients that have not read every message yet
	compressed atomic.Int64
	done       chan struct{}
	wg         sync.WaitGroup
}

func dialFleet(addr string, n int, deflate bool, msgs int) (*fleet, error) {
	fl := &fleet{conns: make([]net.Conn, n), done: make(chan struct{})}
	fl.left.Store(int64(n))
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	if deflate {
		req += "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n"
	}
	req += "\r\n"
	var mu sync.Mutex
	var firstErr error
	var dials sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range n {
		dials.Add(1)
		sem <- struct{}{}
		go func() {
			defer dials.Done()
			defer func() { <-sem }()
			c, rest, err := dialOne(addr, req)
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
				return
			}
			fl.conns[i] = c
			fl.wg.Add(1)
			go fl.read(c, rest, msgs)
		}()
	}
	dials.Wait()
	if firstErr != nil {
		fl.close()
		return nil, firstErr
	}
	return fl, nil
}

func dialOne(addr, req string) (net.Conn, []byte, error) {
	c, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		return nil, nil, err
	}
	c.(*net.TCPConn).SetLinger(0)
	if _, err := c.Write([]byte(req)); err != nil {
		c.Close()
		return nil, nil, err
	}
	buf := make([]byte, 0, 1024)
	for {
		if i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0 {
			if !bytes.HasPrefix(buf, []byte("HTTP/1.1 101")) {
				c.Close()
				return nil, nil, fmt.Errorf("handshake refused: %q", buf[:i])
			}
			return c, buf[i+4:], nil
		}
		if len(buf) == cap(buf) {
			c.Close()
			return nil, nil, errors.New("handshake response too long")
		}
		k, err := c.Read(buf[len(buf):cap(buf)])
		if err != nil {
			c.Close()
			return nil, nil, err
		}
		buf = buf[:len(buf)+k]
	}
}

// read counts the data messages arriving on c (rest: bytes read past the
// handshake), skipping their payloads.
func (fl *fleet) read(c net.Conn, rest []byte, msgs int) {
	defer fl.wg.Done()
	buf := make([]byte, 16<<10)
	n := copy(buf, rest)
	var skip int64 // payload bytes of the current frame still to skip
	got := 0
	for {
		p := buf[:n]
		for {
			if skip > 0 {
				k := min(skip, int64(len(p)))
				skip -= k
				p = p[k:]
				if skip > 0 {
					break
				}
			}
			if len(p) < 2 {
				break
			}
			hl, length := 2, int64(p[1]&0x7f)
			switch length {
			case 126:
				hl = 4
			case 127:
				hl = 10
			}
			if len(p) < hl {
				break
			}
			switch length {
			case 126:
				length = int64(p[2])<<8 | int64(p[3])
			case 127:
				length = 0
				for _, b := range p[2:10] {
					length = length<<8 | int64(b)
				}
			}
			fin, rsv1, op := p[0]&0x80 != 0, p[0]&0x40 != 0, p[0]&0x0f
			if rsv1 && (op == 1 || op == 2) {
				fl.compressed.Add(1)
			}
			if fin && op <= 2 {
				got++
				if got == msgs && fl.left.Add(-1) == 0 {
					close(fl.done)
				}
			}
			p = p[hl:]
			skip = length
		}
		n = copy(buf, p)
		k, err := c.Read(buf[n:])
		if err != nil {
			return
		}
		n += k
	}
}

func (fl *fleet) close() {
	for _, c := range fl.conns {
		if c != nil {
			c.Close()
		}
	}
	fl.wg.Wait()
}
