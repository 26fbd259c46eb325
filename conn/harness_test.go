//go:build !js

package conn

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/mask"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			ch <- nil
			return
		}
		ch <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-ch
	if b == nil {
		t.Fatal("accept failed")
	}
	return b, a // server end, client end
}

// pair returns a connected server and client Conn over loopback TCP.
func pair(t testing.TB, srvOpts, cliOpts *Options) (srv, cli *Conn) {
	t.Helper()
	s, c := tcpPair(t)
	srv = New(s, nil, frame.Server, srvOpts)
	cli = New(c, nil, frame.Client, cliOpts)
	t.Cleanup(func() { srv.CloseNow(); cli.CloseNow() })
	return srv, cli
}

// rawPeer is the far end of a Conn under test, speaking raw frames.
type rawPeer struct {
	t    testing.TB
	nc   net.Conn
	br   *bufio.Reader
	role frame.Role // the role the peer plays
}

// rawPair returns a Conn with the given role and a raw peer playing the
// other role.
func rawPair(t testing.TB, role frame.Role, opts *Options) (*Conn, *rawPeer) {
	t.Helper()
	s, c := tcpPair(t)
	mine, theirs := s, c
	peerRole := frame.Client
	if role == frame.Client {
		mine, theirs = c, s
		peerRole = frame.Server
	}
	conn := New(mine, nil, role, opts)
	p := &rawPeer{t: t, nc: theirs, br: bufio.NewReader(theirs), role: peerRole}
	t.Cleanup(func() { conn.CloseNow(); theirs.Close() })
	return conn, p
}

// frameBytes encodes a frame as the peer would send it (masked when the
// peer is a client).
func (p *rawPeer) frameBytes(fin bool, rsv byte, op frame.Opcode, payload []byte) []byte {
	h := frame.Header{Fin: fin, Rsv: rsv, Opcode: op, Length: int64(len(payload))}
	if p.role == frame.Client {
		h.Masked = true
		h.Key = [4]byte{0x12, 0x34, 0x56, 0x78}
	}
	b := frame.AppendHeader(nil, h)
	start := len(b)
	b = append(b, payload...)
	if h.Masked {
		mask.Apply(h.Key, 0, b[start:])
	}
	return b
}

func (p *rawPeer) send(fin bool, rsv byte, op frame.Opcode, payload []byte) {
	p.t.Helper()
	if _, err := p.nc.Write(p.frameBytes(fin, rsv, op, payload)); err != nil {
		p.t.Fatalf("peer write: %v", err)
	}
}

// recv reads one frame sent by the Conn under test, within a deadline.
func (p *rawPeer) recv() (frame.Header, []byte, error) {
	p.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	h, err := frame.ReadHeader(p.br)
	if err != nil {
		return h, nil, err
	}
	payload := make([]byte, h.Length)
	if _, err := io.ReadFull(p.br, payload); err != nil {
		return h, nil, err
	}
	if h.Masked {
		mask.Apply(h.Key, 0, payload)
	}
	return h, payload, nil
}

// expectClose reads frames until a close frame and checks its code.
func (p *rawPeer) expectClose(want closecode.Code) {
	p.t.Helper()
	for {
		h, payload, err := p.recv()
		if err != nil {
			p.t.Fatalf("peer: waiting for close %d: %v", want, err)
		}
		if h.Opcode != frame.OpClose {
			continue
		}
		code, _, err := closecode.Parse(payload)
		if err != nil {
			p.t.Fatalf("peer: bad close payload %x: %v", payload, err)
		}
		if code != want {
			p.t.Fatalf("peer: close code %d, want %d", code, want)
		}
		return
	}
}

// readErr runs Read in the background and returns its error, failing the
// test if it does not return in time.
func readResult(t testing.TB, c *Conn) (MessageType, []byte, error) {
	t.Helper()
	type res struct {
		typ MessageType
		msg []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		typ, msg, err := c.Read(context.Background(), nil)
		ch <- res{typ, msg, err}
	}()
	select {
	case r := <-ch:
		return r.typ, r.msg, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("Read did not return")
		return 0, nil, nil
	}
}

// wantCloseError checks that err is a *CloseError with the given code and
// cleanliness.
func wantCloseError(t testing.TB, err error, code closecode.Code, clean bool) *CloseError {
	t.Helper()
	var ce *CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want *CloseError", err, err)
	}
	if ce.Code != code || ce.Clean != clean {
		t.Fatalf("close = %d clean=%v (%v), want %d clean=%v", ce.Code, ce.Clean, ce, code, clean)
	}
	return ce
}

// checkGoroutines fails the test if goroutines started during it are still
// running shortly after it ends.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutines: %d before, %d after\n%s", before, n, buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

var _ = bytes.Equal

// shortOpts are test options: keepalive off and a close timeout that is
// short, yet long enough for a loaded machine to complete handshakes.
func shortOpts() *Options {
	return &Options{CloseTimeout: 2 * time.Second, PingInterval: -1}
}

// timeoutOpts are for tests of the close timeout itself.
func timeoutOpts() *Options {
	return &Options{CloseTimeout: 300 * time.Millisecond, PingInterval: -1}
}

// sendBytes writes b as is.
func (p *rawPeer) sendBytes(b []byte) {
	p.t.Helper()
	if _, err := p.nc.Write(b); err != nil {
		p.t.Fatalf("peer write: %v", err)
	}
}

// expectFrame reads the next frame and checks its opcode.
func (p *rawPeer) expectFrame(op frame.Opcode) (frame.Header, []byte) {
	p.t.Helper()
	h, payload, err := p.recv()
	if err != nil {
		p.t.Fatalf("peer: waiting for %v: %v", op, err)
	}
	if h.Opcode != op {
		p.t.Fatalf("peer: got %v frame (%q), want %v", h.Opcode, payload, op)
	}
	return h, payload
}

// failedWith reads until the close frame the Conn fails the connection
// with, checks its code, then closes the peer's side as a peer would.
func (p *rawPeer) failedWith(want closecode.Code) {
	p.t.Helper()
	p.expectClose(want)
	p.nc.Close()
}

// async runs f in a goroutine; the returned function waits for its result,
// failing the test if it takes longer than 5 s.
func async[T any](t testing.TB, f func() T) func() T {
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	return func() T {
		t.Helper()
		select {
		case v := <-ch:
			return v
		case <-time.After(5 * time.Second):
			t.Fatal("operation did not return in time")
			panic("unreachable")
		}
	}
}

// readAsync starts a Read in the background.
func readAsync(t testing.TB, c *Conn) func() readRes {
	return async(t, func() readRes {
		typ, msg, err := c.Read(context.Background(), nil)
		return readRes{typ, msg, err}
	})
}

type readRes struct {
	typ MessageType
	msg []byte
	err error
}

func bufioReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }
