package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wsURL(s *httptest.Server) string {
	return "ws" + strings.TrimPrefix(s.URL, "http") + "/any/path?x=1"
}

func TestEchoPlain(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(echo))
	defer s.Close()
	if err := client(testContext(t), wsURL(s), false); err != nil {
		t.Fatalf("client: %v", err)
	}
}

func TestEchoTLS(t *testing.T) {
	cert, err := selfSigned()
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewUnstartedServer(http.HandlerFunc(echo))
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.StartTLS()
	defer s.Close()
	if err := client(testContext(t), wsURL(s), true); err != nil {
		t.Fatalf("client -insecure: %v", err)
	}
	// Without -insecure the self-signed certificate must be refused.
	if err := client(testContext(t), wsURL(s), false); err == nil {
		t.Fatal("client without -insecure accepted a self-signed certificate")
	}
}

// misbehaving is a server that echoes the first message and then does what
// then says.
func misbehaving(then func(c *conn.Conn, typ conn.MessageType, msg []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := context.Background()
		typ, msg, err := c.Read(ctx, nil)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
		typ, msg, err = c.Read(ctx, nil)
		if err != nil {
			return
		}
		then(c, typ, msg)
	}
}

func TestClientOutcomes(t *testing.T) {
	tests := []struct {
		name string
		then func(c *conn.Conn, typ conn.MessageType, msg []byte)
		ok   bool
	}{
		{"server closes 1001 after first echo", func(c *conn.Conn, _ conn.MessageType, _ []byte) {
			c.Close(closecode.GoingAway, "going away")
		}, true},
		{"wrong echo", func(c *conn.Conn, typ conn.MessageType, msg []byte) {
			c.Write(context.Background(), typ, append(msg, '!'))
			c.Read(context.Background(), nil) // answer the client's close
		}, false},
		{"wrong type", func(c *conn.Conn, _ conn.MessageType, msg []byte) {
			c.Write(context.Background(), conn.Binary, msg)
			c.Read(context.Background(), nil)
		}, false},
		{"connection dropped", func(c *conn.Conn, _ conn.MessageType, _ []byte) {
			c.CloseNow()
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := httptest.NewServer(misbehaving(tt.then))
			defer s.Close()
			err := client(testContext(t), wsURL(s), false)
			if tt.ok && err != nil {
				t.Fatalf("client: %v, want success", err)
			}
			if !tt.ok && err == nil {
				t.Fatal("client succeeded, want an error")
			}
			t.Logf("client: %v", err)
		})
	}
}

// TestServerClosesFirst has the server close right after the first echo,
// while the client is writing its second message.
func TestServerClosesFirst(t *testing.T) {
	for i := 0; i < 20; i++ {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := conn.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer c.CloseNow()
			ctx := context.Background()
			typ, msg, err := c.Read(ctx, nil)
			if err == nil && c.Write(ctx, typ, msg) == nil {
				c.Close(closecode.GoingAway, "going away")
			}
		}))
		err := client(testContext(t), wsURL(s), false)
		s.Close()
		if err != nil {
			t.Fatalf("run %d: client: %v, want success", i, err)
		}
	}
}

func TestDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if err := client(testContext(t), "ws://"+addr+"/", false); err == nil {
		t.Fatal("client succeeded against a closed port")
	}
}

// TestBinary builds the command and runs it as a server, plain and with
// -tls, and as a client of each: the exit status is what scripts rely on.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command; skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "echo")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name, scheme string
		serverArgs   []string
		clientArgs   []string
	}{
		{"ws", "ws", nil, nil},
		{"wss", "wss", []string{"-tls"}, []string{"-insecure"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := freeAddr(t)
			srv := exec.Command(bin, append([]string{"-addr", addr}, tc.serverArgs...)...)
			var srvLog bytes.Buffer
			srv.Stderr = &srvLog
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				srv.Process.Kill()
				srv.Wait()
				t.Logf("server log:\n%s", srvLog.String())
			}()
			waitListening(t, addr)
			ctx := testContext(t)
			cli := exec.CommandContext(ctx, bin, append([]string{"-dial", tc.scheme + "://" + addr + "/echo"}, tc.clientArgs...)...)
			out, err := cli.CombinedOutput()
			if err != nil {
				t.Fatalf("client: %v\n%s", err, out)
			}
			if tc.clientArgs != nil {
				// Without -insecure the client must fail, with a non-zero status.
				cli := exec.CommandContext(ctx, bin, "-dial", tc.scheme+"://"+addr+"/")
				out, err := cli.CombinedOutput()
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					t.Fatalf("client without -insecure: %v, want a non-zero exit\n%s", err, out)
				}
			}
		})
	}
}

// TestBinarySlowClient runs the command as a server with
// -read-header-timeout 1s: a client trickling its handshake is cut off.
func TestBinarySlowClient(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command; skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "echo")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	srv := exec.Command(bin, "-addr", addr, "-read-header-timeout", "1s")
	var srvLog bytes.Buffer
	srv.Stderr = &srvLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		srv.Process.Kill()
		srv.Wait()
		t.Logf("server log:\n%s", srvLog.String())
	}()
	waitListening(t, addr)
	took := trickleUntilCut(t, addr, 5*time.Second)
	t.Logf("cut after %v", took)
	if took < 900*time.Millisecond {
		t.Errorf("cut after %v, before the 1 s timeout", took)
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitListening(t *testing.T, addr string) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listening on %s", addr)
}

// slowRequest is a handshake request for trickleUntilCut.
const slowRequest = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// trickleUntilCut sends a handshake request to addr one byte every 100 ms,
// a slowloris client, and returns how long the server took to close the
// connection; it fails the test if the server upgrades the connection or
// has not closed it within limit. (net/http answers 400 before closing.)
func trickleUntilCut(t *testing.T, addr string, limit time.Duration) time.Duration {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	c.SetDeadline(start.Add(limit))
	closed := make(chan error, 1)
	go func() {
		got, err := io.ReadAll(c)
		if err == nil {
			err = io.EOF
		}
		if len(got) > 0 && !strings.HasPrefix(string(got), "HTTP/1.1 400 ") {
			err = errors.New("server answered " + strconv.Quote(string(got)))
		}
		closed <- err
	}()
	for i := 0; i < len(slowRequest); i++ {
		select {
		case err := <-closed:
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("connection still open after %v", limit)
			}
			if err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("after %d of %d bytes: %v, want the server to close", i, len(slowRequest), err)
			}
			return time.Since(start)
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := c.Write([]byte{slowRequest[i]}); err != nil {
			break // closed: the reader tells
		}
	}
	t.Fatalf("the whole request went out in %v without the server closing", time.Since(start))
	return 0
}

// The server cuts off a client that sends its handshake slowly: its
// ReadHeaderTimeout (-read-header-timeout) bounds the request head.
func TestSlowClientCut(t *testing.T) {
	srv := newServer("", time.Second)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	took := trickleUntilCut(t, ln.Addr().String(), 5*time.Second)
	t.Logf("cut after %v", took)
	if took < 900*time.Millisecond {
		t.Errorf("cut after %v, before the 1 s timeout", took)
	}
	// A client that sends its request at once is served.
	if err := client(testContext(t), "ws://"+ln.Addr().String()+"/", false); err != nil {
		t.Fatalf("client: %v", err)
	}
}
