//go:build !js

package conn_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/handshake"
)

// Regression tests of issue 12 for Accept, AcceptConn and Dial.

var errBoom = errors.New("test panic")

// panicHijacker is a ResponseWriter wrapper whose Hijack panics.
type panicHijacker struct{ http.ResponseWriter }

func (panicHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) { panic(errBoom) }

// syncBuffer is a bytes.Buffer safe for a logger and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// A panic during Accept's handshake reaches the handler's goroutine with
// its value, so that net/http's recovery handles it as for any handler: the
// process survives, the server logs it and closes the connection, and the
// next request is served (issue 12, item 9).
func TestAcceptPanicReachesNetHTTP(t *testing.T) {
	var logs syncBuffer
	recovered := make(chan any, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			defer func() {
				v := recover()
				recovered <- v
				panic(v) // on to net/http
			}()
			w = panicHijacker{w}
		}
		c, err := conn.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := context.Background()
		typ, msg, err := c.Read(ctx, nil)
		if err == nil {
			c.Write(ctx, typ, msg)
		}
		c.Read(ctx, nil) // until the client closes
	}))
	srv.Config.ErrorLog = log.New(&logs, "", 0)
	srv.Start()
	defer srv.Close()
	base := "ws" + strings.TrimPrefix(srv.URL, "http")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	_, err := conn.Dial(ctx, base+"/panic", nil)
	var se *handshake.StatusError
	if err == nil || errors.As(err, &se) {
		t.Fatalf("Dial to the panicking handler: %v, want the connection closed without an answer", err)
	}
	select {
	case v := <-recovered:
		if v != errBoom {
			t.Errorf("the handler recovered %v (%T), want Hijack's panic value", v, v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler did not see the panic")
	}
	if l := logs.String(); !strings.Contains(l, "http: panic serving") || !strings.Contains(l, errBoom.Error()) {
		t.Errorf("server log = %q, want net/http's panic report with %q", l, errBoom)
	}

	c, err := conn.Dial(ctx, base+"/", nil)
	if err != nil {
		t.Fatalf("the next Dial: %v", err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, conn.Text, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.Read(ctx, nil); err != nil || string(msg) != "still here" {
		t.Fatalf("echo = %q, %v", msg, err)
	}
}

// panicConn is a net.Conn whose Read panics, or calls runtime.Goexit.
type panicConn struct {
	net.Conn
	goexit bool
}

func (c panicConn) Read([]byte) (int, error) {
	if c.goexit {
		runtime.Goexit()
	}
	panic(errBoom)
}

// A panic during AcceptConn's handshake reaches the caller's goroutine
// with its value, and the connection is closed (issue 12, item 9).
func TestAcceptConnPanicReachesCaller(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	got := make(chan any, 1)
	go func() {
		defer func() { got <- recover() }()
		conn.AcceptConn(context.Background(), panicConn{Conn: server}, nil)
	}()
	select {
	case v := <-got:
		if v != errBoom {
			t.Errorf("the caller recovered %v (%T), want Read's panic value", v, v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("AcceptConn neither returned nor panicked")
	}
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := client.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("client read = %v, want io.EOF: the server end closed", err)
	}
}

// A runtime.Goexit during AcceptConn's handshake (t.FailNow in a test's
// net.Conn) ends the caller's goroutine too, instead of leaving it blocked.
func TestAcceptConnGoexitReachesCaller(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	ended := make(chan bool, 1)
	go func() {
		returned := false
		defer func() { ended <- returned }()
		conn.AcceptConn(context.Background(), panicConn{Conn: server, goexit: true}, nil)
		returned = true
	}()
	select {
	case returned := <-ended:
		if returned {
			t.Error("AcceptConn returned, want the caller's goroutine to exit")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("AcceptConn's caller still blocked")
	}
}

// conn.Dial with a context without deadline is bounded by
// handshake.DefaultDialTimeout; a context's deadline replaces it (issue 12,
// item 12b).
func TestDialDefaultTimeout(t *testing.T) {
	errStop := errors.New("stop here")
	var dl time.Time
	var ok bool
	opts := &conn.DialOptions{
		Proxy: func(*http.Request) (*url.URL, error) { return nil, nil },
		NetDial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			dl, ok = ctx.Deadline()
			return nil, errStop
		},
	}
	start := time.Now()
	if _, err := conn.Dial(context.Background(), "ws://example.com/", opts); !errors.Is(err, errStop) {
		t.Fatalf("error = %v, want NetDial's", err)
	}
	if want := 45 * time.Second; !ok || dl.Sub(start) < want-time.Second || dl.Sub(start) > want+time.Second {
		t.Errorf("deadline %v (set %v) after the call, want %v", dl.Sub(start), ok, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start = time.Now()
	conn.Dial(ctx, "ws://example.com/", opts)
	if want := 2 * time.Minute; !ok || dl.Sub(start) < want-time.Second || dl.Sub(start) > want+time.Second {
		t.Errorf("with a 2 min context: deadline %v (set %v) after the call, want %v", dl.Sub(start), ok, want)
	}
}
