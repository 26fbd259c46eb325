package h2test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/handshake"
)

func dialH2(t testing.TB, s *server, opts *conn.DialOptions) *conn.Conn {
	t.Helper()
	if opts == nil {
		opts = &conn.DialOptions{}
	}
	if opts.Transport == nil {
		opts.Transport = s.transport(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, s.wsURL(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func roundTrip(t testing.TB, c *conn.Conn, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, conn.Text, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	_, got, err := c.Read(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != msg {
		t.Fatalf("echo: got %q, want %q", got, msg)
	}
}

func closeErr(t testing.TB, err error) *conn.CloseError {
	t.Helper()
	var ce *conn.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a *conn.CloseError", err)
	}
	return ce
}

func wait[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// TestWithoutSwitch runs TestChildWithoutSwitch in a process without
// GODEBUG=http2xconnect=1.
func TestWithoutSwitch(t *testing.T) {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GODEBUG=") {
			kv = strings.ReplaceAll(kv, "http2xconnect=1", "")
		}
		env = append(env, kv)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildWithoutSwitch$", "-test.v", "-test.timeout=60s")
	cmd.Env = append(env, noSwitchEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestChildWithoutSwitch")) {
		t.Fatalf("child without the switch: %v\n%s", err, out)
	}
}

// TestChildWithoutSwitch is the child of TestWithoutSwitch. It also shows
// that setting GODEBUG once the process runs does not turn the switch on:
// net/http read it when it initialized.
func TestChildWithoutSwitch(t *testing.T) {
	if os.Getenv(noSwitchEnv) == "" {
		return // run by TestWithoutSwitch, in a process without the switch
	}
	os.Setenv("GODEBUG", "http2xconnect=1") // too late: no effect
	ended := make(chan error, 4)
	s := newServer(t, echo(nil, ended))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := conn.Dial(ctx, s.wsURL(), &conn.DialOptions{Transport: s.transport(t)})
	if !errors.Is(err, handshake.ErrExtendedConnect) {
		t.Fatalf("Dial over HTTP/2 to a server without the switch: %v, want ErrExtendedConnect", err)
	}
	t.Logf("over HTTP/2: %v", err)
	// The same server still serves HTTP/2 requests and HTTP/1.1
	// WebSockets.
	resp, err := s.Client().Get(s.URL + "/page")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c, err := conn.Dial(ctx, s.wsURL(), &conn.DialOptions{TLSConfig: s.tlsConfig()})
	if err != nil {
		t.Fatalf("Dial over HTTP/1.1: %v", err)
	}
	roundTrip(t, c, "over HTTP/1.1")
	c.Close(closecode.Normal, "")
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.protos) != 2 || s.protos[0] != 2 || s.protos[1] != 1 {
		t.Fatalf("requests arrived as %v, want the page over HTTP/2 then the WebSocket over HTTP/1.1", s.protos)
	}
}

// connect sends an extended CONNECT by hand and returns the response.
func connect(t *testing.T, s *server, protocol string, h http.Header) *http.Response {
	t.Helper()
	if h == nil {
		h = http.Header{}
	}
	h[":protocol"] = []string{protocol}
	h.Set("Sec-WebSocket-Version", "13")
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodConnect, s.URL+"/ws", pr)
	req.Header = h
	resp, err := s.transport(t).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestOtherProtocolRefused(t *testing.T) {
	ended := make(chan error, 1)
	s := newServer(t, echo(nil, ended))
	resp := connect(t, s, "connect-udp", nil)
	if resp.StatusCode != http.StatusNotImplemented {
		t.Fatalf("CONNECT with :protocol connect-udp: %s, want 501", resp.Status)
	}
	if err := wait(t, ended, "Accept"); !errors.Is(err, handshake.ErrNotWebSocket) {
		t.Fatalf("Accept: %v, want ErrNotWebSocket", err)
	}
}

func TestMissingVersionRefused(t *testing.T) {
	s := newServer(t, echo(nil, nil))
	h := http.Header{}
	resp := connect(t, s, "websocket", h)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("well-formed CONNECT: %s", resp.Status)
	}
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest(http.MethodConnect, s.URL+"/ws", pr)
	req.Header = http.Header{":protocol": {"websocket"}}
	resp2, err := s.transport(t).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	if resp2.StatusCode != http.StatusBadRequest || resp2.Header.Get("Sec-WebSocket-Version") != "13" {
		t.Fatalf("CONNECT without Sec-WebSocket-Version: %s %v, want 400 with Sec-WebSocket-Version: 13", resp2.Status, resp2.Header)
	}
}

func TestCrossOriginRefused(t *testing.T) {
	ended := make(chan error, 1)
	s := newServer(t, echo(nil, ended))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := conn.Dial(ctx, s.wsURL(), &conn.DialOptions{Transport: s.transport(t), Origin: "https://evil.example"})
	var se *handshake.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin Dial: %v, want a 403 StatusError", err)
	}
	if err := wait(t, ended, "Accept"); !errors.Is(err, handshake.ErrOriginNotAllowed) {
		t.Fatalf("Accept: %v, want ErrOriginNotAllowed", err)
	}
	// The same origin is admitted.
	c, err := conn.Dial(ctx, s.wsURL(), &conn.DialOptions{Transport: s.transport(t), Origin: s.URL})
	if err != nil {
		t.Fatalf("same-origin Dial: %v", err)
	}
	roundTrip(t, c, "same origin")
	c.Close(closecode.Normal, "")
}

func TestSubprotocolAndCompression(t *testing.T) {
	s := newServer(t, echo(&conn.AcceptOptions{
		Subprotocols: []string{"chat.v2", "chat.v1"},
		Options:      conn.Options{Compression: &deflate.Config{}},
	}, nil))
	c := dialH2(t, s, &conn.DialOptions{
		Subprotocols: []string{"chat.v1", "chat.v2"},
		Options:      conn.Options{Compression: &deflate.Config{}},
	})
	if c.Subprotocol() != "chat.v2" {
		t.Fatalf("subprotocol %q, want chat.v2", c.Subprotocol())
	}
	if _, ok := c.Compression(); !ok {
		t.Fatal("permessage-deflate not negotiated over HTTP/2")
	}
	roundTrip(t, c, strings.Repeat("compressible ", 1000))
}

// TestReadDeadlineResumes shows that a read cut by its context leaves the
// stream usable, and that keepalive runs over HTTP/2 while the
// application does not read.
func TestReadDeadlineResumes(t *testing.T) {
	s := newServer(t, echo(nil, nil))
	c := dialH2(t, s, &conn.DialOptions{Options: conn.Options{PingInterval: 20 * time.Millisecond, PongTimeout: 200 * time.Millisecond}})
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		_, _, err := c.Read(ctx, nil)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("read with nothing to read: %v, want DeadlineExceeded", err)
		}
	}
	time.Sleep(300 * time.Millisecond) // keepalive pings, answered while nobody reads
	roundTrip(t, c, "still open")
	if c.State() != conn.Open {
		t.Fatalf("state %v", c.State())
	}
}

func TestNetConnOverH2(t *testing.T) {
	s := newServer(t, echo(nil, nil))
	c := dialH2(t, s, nil)
	nc := conn.NetConn(c, conn.Binary)
	want := bytes.Repeat([]byte("0123456789"), 10000)
	go nc.Write(want)
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(nc, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("NetConn echo differs")
	}
}

// TestStreamResetMidMessage: the client resets the stream in the middle
// of a message; the server reports 1006.
func TestStreamResetMidMessage(t *testing.T) {
	ended := make(chan error, 1)
	s := newServer(t, echo(nil, ended))
	c := dialH2(t, s, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w, err := c.Writer(ctx, conn.Binary)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(make([]byte, 1000))
	if err := w.Flush(); err != nil { // a first frame, not final
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	c.CloseNow() // cancels the request: RST_STREAM
	ce := closeErr(t, wait(t, ended, "the server's read"))
	if ce.Code != closecode.Abnormal || ce.Clean {
		t.Fatalf("server saw %v, want 1006, not clean", ce)
	}
}

// TestClientCancelOrder: when the client ends the request (CloseNow), the
// client's reads report 1006 at once, then the server's read ends with
// 1006, the server connection is done, and the handler can return.
func TestClientCancelOrder(t *testing.T) {
	accepted := make(chan *conn.Conn, 1)
	reqDone := make(chan struct{})
	handlerOut := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		defer close(handlerOut)
		c, err := conn.Accept(w, r, nil)
		if err != nil {
			return
		}
		go func() { <-r.Context().Done(); close(reqDone) }()
		accepted <- c
		for {
			if _, _, err := c.Read(context.Background(), nil); err != nil {
				break
			}
		}
		<-c.Done()
	})
	// The Dial's context ends right after Dial: that must not end the
	// WebSocket, whose stream outlives the handshake.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	c, err := conn.Dial(ctx, s.wsURL(), &conn.DialOptions{Transport: s.transport(t)})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	sc := wait(t, accepted, "Accept")
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if err := c.Write(ctx2, conn.Text, []byte("after the Dial context ended")); err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, _, err := c.Read(context.Background(), nil)
		readErr <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c.CloseNow()
	ce := closeErr(t, wait(t, readErr, "the client's read"))
	if ce.Code != closecode.Abnormal || !errors.Is(ce, conn.ErrClosedNow) {
		t.Fatalf("client read: %v, want 1006 ErrClosedNow", ce)
	}
	wait(t, reqDone, "the server request's context")
	wait(t, sc.Done(), "the server connection's end")
	wait(t, handlerOut, "the handler's return")
	sce := closeErr(t, sc.Close(closecode.Normal, ""))
	if sce.Code != closecode.Abnormal || sce.Clean {
		t.Fatalf("server: %v, want 1006", sce)
	}
}

// TestServerCloseOrder: a server Close completes cleanly for both sides:
// the client answers, the handler returns, the stream ends.
func TestServerClose(t *testing.T) {
	handlerOut := make(chan error, 1)
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Accept(w, r, nil)
		if err != nil {
			handlerOut <- err
			return
		}
		handlerOut <- c.Close(closecode.GoingAway, "restart")
	})
	c := dialH2(t, s, nil)
	_, _, err := c.Read(context.Background(), nil)
	ce := closeErr(t, err)
	if ce.Code != closecode.GoingAway || ce.Reason != "restart" || !ce.Clean {
		t.Fatalf("client: %v, want a clean 1001 restart", ce)
	}
	if err := wait(t, handlerOut, "the server's Close"); err != nil {
		t.Fatalf("server Close: %v", err)
	}
}

// TestPeerStopsReading: the client stops reading; the server's writes
// block once HTTP/2 flow control's windows are full, the write's context
// bounds them, and memory stays bounded.
func TestPeerStopsReading(t *testing.T) {
	result := make(chan error, 1)
	var sent atomic.Int64
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Accept(w, r, &conn.AcceptOptions{Options: conn.Options{PingInterval: -1}})
		if err != nil {
			result <- err
			return
		}
		msg := make([]byte, 256<<10)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		for {
			if err := c.Write(ctx, conn.Binary, msg); err != nil {
				result <- err
				<-c.Done()
				return
			}
			sent.Add(int64(len(msg)))
		}
	})
	c := dialH2(t, s, &conn.DialOptions{Options: conn.Options{PingInterval: -1}})
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := wait(t, result, "the server's blocked write")
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, conn.ErrNotOpen) {
		t.Fatalf("server write: %v, want the context's deadline", err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// x/net's transport takes 4 MiB per stream before it stops granting
	// flow control; no copy of ours builds up.
	if n := sent.Load(); n > 16<<20 {
		t.Fatalf("the server wrote %d bytes to a peer that does not read", n)
	}
	if grow := int64(after.HeapInuse) - int64(before.HeapInuse); grow > 32<<20 {
		t.Fatalf("heap grew by %d bytes", grow)
	}
	t.Logf("sent %d bytes before the writes blocked; %v", sent.Load(), err)
	c.CloseNow()
}

// TestManyOnOneConnection multiplexes 1,000 WebSockets on one HTTP/2
// connection.
func TestManyOnOneConnection(t *testing.T) {
	n := 1000
	if raceEnabled {
		n = 500 // the race detector allows 8,128 goroutines; each WebSocket takes about 5 across both sides
	}
	var conns atomic.Int32
	s := newServer(t, echo(&conn.AcceptOptions{Options: conn.Options{PingInterval: -1}}, nil), func(hs *http.Server) {
		hs.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		}
	})
	tr := s.transport(t)
	cs := make([]*conn.Conn, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	errs := make(chan error, n)
	for i := range cs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := conn.Dial(ctx, s.wsURL(), &conn.DialOptions{Transport: tr, Options: conn.Options{PingInterval: -1}})
			if err != nil {
				errs <- err
				return
			}
			cs[i] = c
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			roundTrip(t, c, "socket "+string(rune('a'+i%26)))
		}()
	}
	wg.Wait()
	if got := conns.Load(); got != 1 {
		t.Fatalf("%d WebSockets used %d TCP connections, want 1", n, got)
	}
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Close(closecode.Normal, ""); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// TestServerTimeoutsCleared: the http.Server's ReadTimeout and
// WriteTimeout, which net/http applies to each stream, do not cut a
// WebSocket: Accept clears them.
func TestServerTimeoutsCleared(t *testing.T) {
	s := newServer(t, echo(nil, nil), func(hs *http.Server) {
		hs.ReadTimeout = 100 * time.Millisecond
		hs.WriteTimeout = 100 * time.Millisecond
	})
	c := dialH2(t, s, nil)
	roundTrip(t, c, "before")
	time.Sleep(300 * time.Millisecond)
	roundTrip(t, c, "after the server's timeouts")
}
