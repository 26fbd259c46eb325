package handshake

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// listen returns a loopback listener closed at cleanup.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// A client sending its request byte by byte is cut off by HandshakeTimeout.
func TestUpgradeConnSlowClient(t *testing.T) {
	ln := listen(t)
	wg := waitGroup(t)
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return
		}
		defer c.Close()
		raw := []byte(rawRequest(nil))
		for i := range raw {
			if _, err := c.Write(raw[i : i+1]); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	u := &Upgrader{HandshakeTimeout: 200 * time.Millisecond}
	res, err := u.UpgradeConn(context.Background(), c)
	elapsed := time.Since(start)
	if res != nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("UpgradeConn = %v, %v; want a deadline error", res, err)
	}
	if elapsed < 150*time.Millisecond || elapsed > 2*time.Second {
		t.Errorf("cut off after %v, want about 200ms", elapsed)
	}
	// c is closed: the client's writes fail and its goroutine ends.
	if _, err := c.Write([]byte("x")); err == nil {
		t.Errorf("connection still open after failure")
	}
}

// The context deadline applies when it comes before HandshakeTimeout, and
// canceling the context aborts the handshake.
func TestUpgradeConnContext(t *testing.T) {
	for _, name := range []string{"deadline", "cancel"} {
		t.Run(name, func(t *testing.T) {
			client, server := net.Pipe()
			defer client.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			want := context.DeadlineExceeded
			if name == "cancel" {
				ctx, cancel = context.WithCancel(context.Background())
				time.AfterFunc(50*time.Millisecond, cancel)
				want = context.Canceled
			}
			start := time.Now()
			_, err := (&Upgrader{}).UpgradeConn(ctx, server)
			if !errors.Is(err, want) {
				t.Errorf("error = %v, want %v", err, want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	// An already canceled context fails at once and closes the connection.
	client, server := net.Pipe()
	defer client.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&Upgrader{}).UpgradeConn(ctx, server); !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if _, err := client.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read after failure = %v, want EOF", err)
	}
}

// Bytes written right behind the request end up in Result.Buffered, and
// the connection has no deadline after the handshake.
func TestUpgradeConnPipelined(t *testing.T) {
	frame := []byte{0x81, 0x85, 1, 2, 3, 4, 'h' ^ 1, 'e' ^ 2, 'l' ^ 3, 'l' ^ 4, 'o' ^ 1}
	client, server := net.Pipe()
	defer client.Close()
	wg := waitGroup(t)
	wg.Add(1)
	go func() {
		defer wg.Done()
		client.Write(append([]byte(rawRequest(nil)), frame...)) // one write
		io.Copy(io.Discard, client)
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u := &Upgrader{HandshakeTimeout: 100 * time.Millisecond}
	res, err := u.UpgradeConn(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Conn.Close()
	if !bytes.Equal(res.Buffered, frame) {
		t.Errorf("Buffered = %x, want %x", res.Buffered, frame)
	}
	// Past HandshakeTimeout and with ctx canceled, the connection still works.
	cancel()
	time.Sleep(150 * time.Millisecond)
	if _, err := res.Conn.Write([]byte("ping")); err != nil {
		t.Errorf("write after handshake: %v", err)
	}
}

// Without a cancelable context, UpgradeConn allocates only a handful of times.
func TestUpgradeConnAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation count")
	}
	c := &fakeConn{}
	u := &Upgrader{}
	req := []byte(browserRequest)
	allocs := testing.AllocsPerRun(100, func() {
		c.reset(req)
		if _, err := u.UpgradeConn(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("UpgradeConn: %v allocs", allocs)
	if allocs > 10 {
		t.Errorf("UpgradeConn allocates %v times for a browser request, want <= 10", allocs)
	}
}

// The raw path refuses request targets and Host values that net/http
// refuses too (found by fuzz.FuzzUpgradePaths), and accepts the valid forms.
func TestUpgradeConnTargetAndHost(t *testing.T) {
	const tail = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	for _, tc := range []struct {
		line, host string
		ok         bool
	}{
		{"GET /chat?x=1 HTTP/1.1", "example.com", true},
		{"GET ws://example.com/chat HTTP/1.1", "example.com", true},
		{"GET /chat HTTP/1.1", "[::1]:8080", true},
		{"GET 0 HTTP/1.1", "example.com", false},
		{"GET * HTTP/1.1", "example.com", false},
		{"GET //evil/x HTTP/1.1", "example.com", false},
		{"GET mailto:x@y HTTP/1.1", "example.com", false},
		{"GET /chat HTTP/1.1", `"`, false},
		{"GET /chat HTTP/1.1", "a b", false},
	} {
		c := &fakeConn{keep: true}
		c.reset([]byte(tc.line + "\r\nHost: " + tc.host + "\r\n" + tail))
		u := &Upgrader{}
		_, err := u.UpgradeConn(context.Background(), c)
		if (err == nil) != tc.ok {
			t.Errorf("%q Host %q: err = %v, want ok=%v", tc.line, tc.host, err, tc.ok)
		}
		if !tc.ok && !bytes.HasPrefix(c.out, []byte("HTTP/1.1 400 ")) {
			t.Errorf("%q Host %q: answered %q, want 400", tc.line, tc.host, c.out)
		}
	}
}
