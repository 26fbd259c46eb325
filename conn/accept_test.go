//go:build !js

package conn

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/handshake"
)

// acceptConnServer accepts one connection with AcceptConn and returns its
// result.
// acceptResult holds what AcceptConn returned, for the tests.
type acceptResult struct {
	c   *Conn
	err error
}

func acceptConnServer(t *testing.T, opts *AcceptOptions) (addr string, result func() acceptResult) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan acceptResult, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			ch <- acceptResult{nil, err}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := AcceptConn(ctx, nc, opts)
		ch <- acceptResult{c, err}
	}()
	return ln.Addr().String(), func() acceptResult {
		select {
		case r := <-ch:
			if r.c != nil {
				t.Cleanup(func() { r.c.CloseNow() })
			}
			return r
		case <-time.After(5 * time.Second):
			t.Fatal("AcceptConn did not return")
			return acceptResult{}
		}
	}
}

func TestAcceptConn(t *testing.T) {
	checkGoroutines(t)
	addr, result := acceptConnServer(t, &AcceptOptions{
		Options:                 Options{PingInterval: -1, Compression: &deflate.Config{}},
		Subprotocols:            []string{"chat"},
		InsecureSkipOriginCheck: true,
	})
	ctx := context.Background()
	cli, err := Dial(ctx, "ws://"+addr+"/", &DialOptions{
		Options:      Options{PingInterval: -1, Compression: &deflate.Config{}},
		Subprotocols: []string{"other", "chat"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.CloseNow()
	r := result()
	if r.err != nil {
		t.Fatal(r.err)
	}
	srv := r.c
	if srv.Subprotocol() != "chat" || cli.Subprotocol() != "chat" {
		t.Fatalf("subprotocols %q, %q", srv.Subprotocol(), cli.Subprotocol())
	}
	if _, ok := srv.Compression(); !ok {
		t.Fatal("server: compression not negotiated")
	}
	if _, ok := cli.Compression(); !ok {
		t.Fatal("client: compression not negotiated")
	}
	msg := []byte("hello, hello, hello, hello, hello, hello, hello, hello")
	if err := cli.Write(ctx, Text, msg); err != nil {
		t.Fatal(err)
	}
	typ, got, err := srv.Read(ctx, nil)
	if err != nil || typ != Text || string(got) != string(msg) {
		t.Fatalf("read %v %q %v", typ, got, err)
	}
	done := async(t, func() error {
		_, _, err := srv.Read(ctx, nil)
		return err
	})
	if err := cli.Close(closecode.Normal, "bye"); err != nil {
		t.Fatal(err)
	}
	wantCloseError(t, done(), closecode.Normal, true)
}

func TestAcceptConnRefuses(t *testing.T) {
	checkGoroutines(t)
	addr, result := acceptConnServer(t, nil)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// A cross-origin request, refused by the default origin check.
	req := "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Origin: http://evil.example\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	r := result()
	if r.err == nil || r.c != nil {
		t.Fatalf("AcceptConn = %v, %v; want an error", r.c, r.err)
	}
	if !errors.Is(r.err, handshake.ErrOriginNotAllowed) {
		t.Fatalf("error %v, want ErrOriginNotAllowed", r.err)
	}
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, _ := io.ReadAll(nc) // the server closed the connection
	if len(resp) < 12 || string(resp[:12]) != "HTTP/1.1 403" {
		t.Fatalf("response %q, want a 403", resp)
	}
}
