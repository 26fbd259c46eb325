//go:build !js

package conn

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/handshake"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestAcceptConnOnRequest routes and authenticates on the raw path, and
// keeps compression and the subprotocol.
func TestAcceptConnOnRequest(t *testing.T) {
	checkGoroutines(t)
	var seen *http.Request
	addr, result := acceptConnServer(t, &AcceptOptions{
		Options:      Options{PingInterval: -1, Compression: &deflate.Config{}},
		Subprotocols: []string{"chat.v1", "chat.v2"},
		Header:       http.Header{"X-Static": {"1"}},
		OnRequest: func(r *http.Request, resp *handshake.Response) error {
			seen = r
			if ck, err := r.Cookie("session"); err != nil || ck.Value != "s3cret" {
				return &handshake.StatusError{StatusCode: http.StatusUnauthorized}
			}
			if resp.Subprotocol != "chat.v1" {
				t.Errorf("resp.Subprotocol = %q, want the default choice chat.v1", resp.Subprotocol)
			}
			resp.Subprotocol = "chat.v2" // offered too
			resp.Header.Set("Set-Cookie", "seen=yes")
			return nil
		},
	})
	var got *http.Response
	c, err := Dial(testCtx(t), "ws://"+addr+"/rooms/42?nick=ann", &DialOptions{
		Options:      Options{PingInterval: -1, Compression: &deflate.Config{}},
		Subprotocols: []string{"chat.v1", "chat.v2"},
		Header:       http.Header{"Cookie": {"session=s3cret"}},
		OnResponse:   func(resp *http.Response) error { got = resp; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	res := result()
	if res.err != nil {
		t.Fatal(res.err)
	}
	if seen.URL.Path != "/rooms/42" || seen.URL.Query().Get("nick") != "ann" || seen.Method != "GET" ||
		seen.RemoteAddr == "" || seen.Host != addr || seen.RequestURI != "/rooms/42?nick=ann" || seen.Context() == nil {
		t.Errorf("request: %+v", seen)
	}
	if c.Subprotocol() != "chat.v2" || res.c.Subprotocol() != "chat.v2" {
		t.Errorf("subprotocol: client %q, server %q", c.Subprotocol(), res.c.Subprotocol())
	}
	if _, ok := c.Compression(); !ok {
		t.Error("client: compression not negotiated")
	}
	if _, ok := res.c.Compression(); !ok {
		t.Error("server: compression not negotiated")
	}
	if got == nil || got.StatusCode != 101 || got.Header.Get("X-Static") != "1" {
		t.Fatalf("OnResponse got %+v", got)
	}
	if cs := got.Cookies(); len(cs) != 1 || cs[0].Name != "seen" || cs[0].Value != "yes" {
		t.Errorf("response cookies %v", cs)
	}
	sendOnce(t, res.c, c)
}

// sendOnce sends a message from a to b and checks it arrives.
func sendOnce(t *testing.T, a, b *Conn) {
	t.Helper()
	ctx := testCtx(t)
	if err := a.Write(ctx, Text, []byte("hello hello hello")); err != nil {
		t.Fatal(err)
	}
	typ, msg, err := b.Read(ctx, nil)
	if err != nil || typ != Text || string(msg) != "hello hello hello" {
		t.Fatalf("Read: %v %q %v", typ, msg, err)
	}
}

func TestOnRequestRefusals(t *testing.T) {
	errNoToken := errors.New("no token")
	for _, tc := range []struct {
		name       string
		hook       func(r *http.Request, resp *handshake.Response) error
		status     int
		body       string
		header     string // a response header that must be there: key=value
		serverErrs []error
	}{
		{"status", func(*http.Request, *handshake.Response) error {
			return &handshake.StatusError{StatusCode: 401, Header: http.Header{"Www-Authenticate": {"Bearer"}, "Content-Length": {"999"}}, Body: []byte("log in first")}
		}, 401, "log in first", "Www-Authenticate=Bearer", nil},
		{"plain error", func(*http.Request, *handshake.Response) error { return errNoToken }, 403, "forbidden", "", []error{errNoToken}},
		{"wrapped status", func(*http.Request, *handshake.Response) error {
			return errors.Join(errNoToken, &handshake.StatusError{StatusCode: 429, Body: []byte("slow down")})
		}, 429, "slow down", "", []error{errNoToken}},
		{"status not an error", func(*http.Request, *handshake.Response) error { return &handshake.StatusError{StatusCode: 200} }, 500, "", "", nil},
		{"status out of range", func(*http.Request, *handshake.Response) error { return &handshake.StatusError{StatusCode: 1000} }, 500, "", "", nil},
		{"subprotocol not offered", func(_ *http.Request, resp *handshake.Response) error { resp.Subprotocol = "evil"; return nil }, 500, "", "", []error{handshake.ErrBadResponse}},
		{"subprotocol not a token", func(_ *http.Request, resp *handshake.Response) error { resp.Subprotocol = "a b"; return nil }, 500, "", "", []error{handshake.ErrBadResponse}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"raw", "http"} {
				opts := &AcceptOptions{Options: *shortOpts(), OnRequest: tc.hook}
				var serverErr func() error
				var url string
				if path == "raw" {
					addr, result := acceptConnServer(t, opts)
					url, serverErr = "ws://"+addr+"/", func() error { return result().err }
				} else {
					errc := make(chan error, 1)
					srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						c, err := Accept(w, r, opts)
						if c != nil {
							c.CloseNow()
						}
						errc <- err
					}))
					defer srv.Close()
					url, serverErr = "ws"+strings.TrimPrefix(srv.URL, "http")+"/", func() error { return <-errc }
				}
				_, err := Dial(testCtx(t), url, &DialOptions{Options: *shortOpts(), Subprotocols: []string{"chat"}})
				var se *handshake.StatusError
				if !errors.As(err, &se) || se.StatusCode != tc.status {
					t.Fatalf("%s: Dial: %v, want status %d", path, err, tc.status)
				}
				if tc.body != "" && strings.TrimSpace(string(se.Body)) != tc.body {
					t.Errorf("%s: body %q, want %q", path, se.Body, tc.body)
				}
				if k, v, ok := strings.Cut(tc.header, "="); ok && se.Header.Get(k) != v {
					t.Errorf("%s: header %s = %q, want %q", path, k, se.Header.Get(k), v)
				}
				serr := serverErr()
				if serr == nil {
					t.Fatalf("%s: the server side reported no error", path)
				}
				for _, want := range tc.serverErrs {
					if !errors.Is(serr, want) {
						t.Errorf("%s: server error %v does not match %v", path, serr, want)
					}
				}
				if !strings.HasPrefix(serr.Error(), "handshake: ") {
					t.Errorf("%s: server error %q lacks the package prefix", path, serr)
				}
			}
		})
	}
}

func TestOnRequestPanicClosesConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	recovered := make(chan any, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			recovered <- err
			return
		}
		defer func() { recovered <- recover() }()
		AcceptConn(context.Background(), nc, &AcceptOptions{OnRequest: func(*http.Request, *handshake.Response) error { panic("boom") }})
	}()
	if _, err := Dial(testCtx(t), "ws://"+ln.Addr().String()+"/", nil); err == nil {
		t.Fatal("Dial succeeded")
	}
	if r := <-recovered; r != "boom" {
		t.Fatalf("recovered %v", r)
	}
}

func TestDialOnResponseError(t *testing.T) {
	checkGoroutines(t)
	addr, result := acceptConnServer(t, &AcceptOptions{Options: *shortOpts()})
	errWrong := errors.New("wrong server")
	_, err := Dial(testCtx(t), "ws://"+addr+"/", &DialOptions{
		Options:    *shortOpts(),
		OnResponse: func(*http.Response) error { return errWrong },
	})
	if !errors.Is(err, errWrong) || !strings.HasPrefix(err.Error(), "conn: ") {
		t.Fatalf("Dial: %v", err)
	}
	res := result()
	if res.err != nil {
		t.Fatal(res.err)
	}
	// The client closed its side: the server sees the end.
	if _, _, err := res.c.Read(testCtx(t), nil); err == nil {
		t.Fatal("server read succeeded")
	}
}

func TestDialJarAndNetDial(t *testing.T) {
	checkGoroutines(t)
	var mu sync.Mutex
	var cookies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cookies = append(cookies, r.Header.Get("Cookie"))
		mu.Unlock()
		if r.URL.Path == "/login" {
			w.Header().Set("Set-Cookie", "token=abc; Path=/")
			http.Error(w, "come back", http.StatusForbidden)
			return
		}
		c, err := Accept(w, r, &AcceptOptions{Options: *shortOpts(), Header: http.Header{"Set-Cookie": {"room=7; Path=/"}}})
		if err != nil {
			return
		}
		c.CloseNow()
	}))
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	var dials atomic.Int32
	opts := &DialOptions{
		Options: *shortOpts(),
		Jar:     jar,
		Header:  http.Header{"Cookie": {"mine=1"}},
		NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	base := "ws" + strings.TrimPrefix(srv.URL, "http")
	var se *handshake.StatusError
	if _, err := Dial(testCtx(t), base+"/login", opts); !errors.As(err, &se) || se.StatusCode != 403 {
		t.Fatalf("login: %v", err)
	}
	c, err := Dial(testCtx(t), base+"/feed", opts)
	if err != nil {
		t.Fatal(err)
	}
	c.CloseNow()
	u, _ := url.Parse(srv.URL)
	got := map[string]string{}
	for _, ck := range jar.Cookies(u) {
		got[ck.Name] = ck.Value
	}
	if got["token"] != "abc" || got["room"] != "7" {
		t.Errorf("jar holds %v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(cookies) != 2 || cookies[0] != "mine=1" || cookies[1] != "mine=1; token=abc" {
		t.Errorf("Cookie headers sent: %q", cookies)
	}
	if dials.Load() != 2 {
		t.Errorf("NetDial called %d times, want 2", dials.Load())
	}
}

// TestDialCancelInProxyConnect cancels a dial while the proxy sits on the
// CONNECT request.
func TestDialCancelInProxyConnect(t *testing.T) {
	checkGoroutines(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan struct{})
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		buf := make([]byte, 512)
		nc.Read(buf) // the CONNECT, never answered
		close(got)
		nc.Read(buf) // until the client gives up
	}()
	proxy, _ := url.Parse("http://" + ln.Addr().String())
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-got; cancel() }()
	start := time.Now()
	_, err = Dial(ctx, "ws://example.invalid/", &DialOptions{Proxy: http.ProxyURL(proxy)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Dial returned %v after the cancel", d)
	}
}

func TestSetReadLimit(t *testing.T) {
	checkGoroutines(t)
	for _, comp := range []bool{false, true} {
		opts := shortOpts()
		if comp {
			opts.Compression = &deflate.Config{}
		}
		cli, srv, err := Pipe(opts)
		if err != nil {
			t.Fatal(err)
		}
		ctx := testCtx(t)
		big := []byte(strings.Repeat("x", DefaultReadLimit+1))
		srv.SetReadLimit(-1) // none
		go cli.Write(ctx, Binary, big)
		if _, msg, err := srv.Read(ctx, nil); err != nil || len(msg) != len(big) {
			t.Fatalf("comp %v: no limit: %d bytes, %v", comp, len(msg), err)
		}
		srv.SetReadLimit(0) // the default again
		go cli.Write(ctx, Binary, big)
		_, _, err = srv.Read(ctx, nil)
		wantCloseError(t, err, closecode.MessageTooBig, false)
		cli.CloseNow()
	}
	cli, srv, err := Pipe(shortOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.CloseNow()
	ctx := testCtx(t)
	srv.SetReadLimit(10)
	go cli.Write(ctx, Text, []byte("0123456789"))
	if _, msg, err := srv.Read(ctx, nil); err != nil || string(msg) != "0123456789" {
		t.Fatalf("at the limit: %q %v", msg, err)
	}
	go cli.Write(ctx, Text, []byte("0123456789a"))
	_, _, err = srv.Read(ctx, nil)
	wantCloseError(t, err, closecode.MessageTooBig, false)
}

// TestSetReadLimitMidMessage lowers the limit below what a compressed
// message already delivered: the next chunk fails it, without a panic.
func TestSetReadLimitMidMessage(t *testing.T) {
	checkGoroutines(t)
	opts := shortOpts()
	opts.Compression = &deflate.Config{}
	cli, srv, err := Pipe(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.CloseNow()
	ctx := testCtx(t)
	go cli.Write(ctx, Binary, make([]byte, 200<<10))
	_, r, err := srv.Reader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<10)
	if _, err := r.Read(buf); err != nil {
		t.Fatal(err)
	}
	srv.SetReadLimit(1)
	for err == nil {
		_, err = r.Read(buf)
	}
	_, _, err = srv.Read(ctx, nil)
	wantCloseError(t, err, closecode.MessageTooBig, false)
}

func TestCloseRead(t *testing.T) {
	checkGoroutines(t)
	cli, srv, err := Pipe(shortOpts())
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	done := srv.CloseRead(ctx)
	// The server only writes; its CloseRead goroutine answers pings.
	cliRead := readAsync(t, cli)
	if err := srv.Write(ctx, Text, []byte("tick")); err != nil {
		t.Fatal(err)
	}
	if r := cliRead(); r.err != nil || string(r.msg) != "tick" {
		t.Fatalf("client read %q %v", r.msg, r.err)
	}
	go cli.Read(ctx, nil) // for the pong
	if err := cli.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := cli.Close(CloseGoingAway, "bye"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-done.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("CloseRead's context not done")
	}
	var ce *CloseError
	if !errors.As(context.Cause(done), &ce) || ce.Code != CloseGoingAway || ce.Reason != "bye" || !ce.Clean {
		t.Fatalf("cause %v", context.Cause(done))
	}
}

func TestCloseReadDataMessage(t *testing.T) {
	checkGoroutines(t)
	cli, srv, err := Pipe(shortOpts())
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	done := srv.CloseRead(ctx)
	cliRead := readAsync(t, cli)
	if err := cli.Write(ctx, Text, []byte("unexpected")); err != nil {
		t.Fatal(err)
	}
	wantCloseError(t, cliRead().err, closecode.PolicyViolation, true)
	<-done.Done()
	var ce *CloseError
	if !errors.As(context.Cause(done), &ce) || ce.Code != ClosePolicyViolation {
		t.Fatalf("cause %v", context.Cause(done))
	}
}

func TestCloseReadContextCancel(t *testing.T) {
	checkGoroutines(t)
	cli, srv, err := Pipe(shortOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.CloseNow()
	defer srv.CloseNow()
	ctx, cancel := context.WithCancel(context.Background())
	done := srv.CloseRead(ctx)
	cancel()
	<-done.Done()
	if !errors.Is(context.Cause(done), context.Canceled) {
		t.Fatalf("cause %v", context.Cause(done))
	}
	if srv.State() != Open {
		t.Errorf("state %v: a cancelled CloseRead leaves the connection open", srv.State())
	}
}

func TestPingPongHooksAndLatency(t *testing.T) {
	checkGoroutines(t)
	var mu sync.Mutex
	var events []string
	record := func(what string) func(*Conn, []byte) {
		return func(c *Conn, p []byte) {
			mu.Lock()
			events = append(events, what+":"+c.LocalAddr().String()+":"+string(p))
			mu.Unlock()
		}
	}
	opts := shortOpts()
	opts.OnPing, opts.OnPong = record("ping"), record("pong")
	cli, srv, err := Pipe(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.CloseNow()
	defer srv.CloseNow()
	ctx := testCtx(t)
	if cli.Latency() != 0 {
		t.Errorf("Latency before any ping: %v", cli.Latency())
	}
	go srv.Read(ctx, nil)
	go cli.Read(ctx, nil)
	if err := cli.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if cli.Latency() <= 0 {
		t.Errorf("Latency after Ping: %v", cli.Latency())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 2 || !strings.HasPrefix(events[0], "ping:server:") || !strings.HasPrefix(events[1], "pong:client:") ||
		events[0][len("ping:server:"):] != events[1][len("pong:client:"):] {
		t.Errorf("hook calls %q", events)
	}
}

func TestKeepaliveLatency(t *testing.T) {
	checkGoroutines(t)
	var pongs atomic.Int32
	cli, srv, err := Pipe(&Options{PingInterval: 20 * time.Millisecond, PongTimeout: 5 * time.Second,
		OnPong: func(*Conn, []byte) { pongs.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.CloseNow()
	defer srv.CloseNow()
	ctx := testCtx(t)
	go srv.Read(ctx, nil)
	go cli.Read(ctx, nil)
	deadline := time.Now().Add(5 * time.Second)
	for (cli.Latency() == 0 || srv.Latency() == 0) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if cli.Latency() <= 0 || srv.Latency() <= 0 || cli.Latency() > 5*time.Second {
		t.Fatalf("keepalive latency: client %v, server %v", cli.Latency(), srv.Latency())
	}
	if pongs.Load() == 0 {
		t.Error("OnPong not called for keepalive pongs")
	}
}

// wireRecorder records the first byte of every write: a frame's FIN, RSV1
// and opcode when frames go out one per write.
type wireRecorder struct {
	net.Conn
	mu    sync.Mutex
	first []byte
}

func (w *wireRecorder) Write(p []byte) (int, error) {
	w.mu.Lock()
	if len(p) > 0 {
		w.first = append(w.first, p[0])
	}
	w.mu.Unlock()
	return w.Conn.Write(p)
}

func (w *wireRecorder) take() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.first
	w.first = nil
	return f
}

func TestPerMessageCompression(t *testing.T) {
	checkGoroutines(t)
	for _, negotiated := range []bool{true, false} {
		var rec *wireRecorder
		addr, result := acceptConnServer(t, &AcceptOptions{Options: Options{PingInterval: -1, Compression: &deflate.Config{}}})
		opts := &DialOptions{
			Options: Options{PingInterval: -1, Compression: &deflate.Config{Threshold: 100}},
			NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
				var d net.Dialer
				c, err := d.DialContext(ctx, network, addr)
				if err == nil {
					rec = &wireRecorder{Conn: c}
					return rec, nil
				}
				return nil, err
			},
		}
		if !negotiated {
			opts.Compression = nil
		}
		cli, err := Dial(testCtx(t), "ws://"+addr+"/", opts)
		if err != nil {
			t.Fatal(err)
		}
		srv := result().c
		ctx := testCtx(t)
		long := []byte(strings.Repeat("secret ", 40))
		short := []byte("hi")
		const compressed, plain = 0xc1, 0x81 // FIN, RSV1 or not, text
		for _, tc := range []struct {
			name  string
			write func() error
			want  byte
		}{
			{"Write long", func() error { return cli.Write(ctx, Text, long) }, compressed},
			{"Write short", func() error { return cli.Write(ctx, Text, short) }, plain},
			{"WriteCompressed false", func() error { return cli.WriteCompressed(ctx, Text, long, false) }, plain},
			{"WriteCompressed true", func() error { return cli.WriteCompressed(ctx, Text, short, true) }, compressed},
			{"WriterCompressed false", func() error {
				w, err := cli.WriterCompressed(ctx, Text, false)
				if err != nil {
					return err
				}
				w.Write(long)
				return w.Close()
			}, plain},
			{"WriterCompressed true", func() error {
				w, err := cli.WriterCompressed(ctx, Text, true)
				if err != nil {
					return err
				}
				w.Write(long)
				return w.Close()
			}, compressed},
		} {
			rec.take()
			if err := tc.write(); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			_, msg, err := srv.Read(ctx, nil)
			if err != nil || (string(msg) != string(long) && string(msg) != string(short)) {
				t.Fatalf("%s: read %q %v", tc.name, msg, err)
			}
			want := tc.want
			if !negotiated {
				want = plain
			}
			if f := rec.take(); len(f) != 1 || f[0] != want {
				t.Errorf("negotiated %v, %s: first bytes %x, want %x", negotiated, tc.name, f, want)
			}
		}
		if err := cli.WriteCompressed(ctx, 7, short, true); !errors.Is(err, ErrBadType) {
			t.Errorf("bad type: %v", err)
		}
		if _, err := cli.WriterCompressed(ctx, 0, false); !errors.Is(err, ErrBadType) {
			t.Errorf("bad type: %v", err)
		}
		cli.CloseNow()
		srv.CloseNow()
	}
}

func TestPipe(t *testing.T) {
	checkGoroutines(t)
	for _, opts := range []*Options{nil, {Compression: &deflate.Config{}}} {
		cli, srv, err := Pipe(opts)
		if err != nil {
			t.Fatal(err)
		}
		_, comp := cli.Compression()
		_, scomp := srv.Compression()
		if want := opts != nil; comp != want || scomp != want {
			t.Errorf("compression: client %v, server %v, want %v", comp, scomp, want)
		}
		ctx := testCtx(t)
		// Two writes before any read, each way: the pipe buffers.
		for _, c := range []*Conn{cli, srv} {
			for _, m := range []string{"one", "two"} {
				if err := c.Write(ctx, Text, []byte(m)); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, c := range []*Conn{srv, cli} {
			for _, want := range []string{"one", "two"} {
				if _, msg, err := c.Read(ctx, nil); err != nil || string(msg) != want {
					t.Fatalf("read %q %v, want %q", msg, err, want)
				}
			}
		}
		srvRead := readAsync(t, srv)
		if err := cli.Close(CloseNormal, ""); err != nil {
			t.Fatalf("Close: %v", err)
		}
		wantCloseError(t, srvRead().err, closecode.Normal, true)
		if cli.LocalAddr().String() != "client" || cli.RemoteAddr().Network() != "pipe" {
			t.Errorf("addresses %v %v", cli.LocalAddr(), cli.RemoteAddr())
		}
	}
	if _, _, err := Pipe(&Options{Compression: &deflate.Config{Threshold: -1}}); err == nil {
		t.Error("Pipe accepted a negative compression threshold")
	}
}

func TestPipeReadContext(t *testing.T) {
	checkGoroutines(t)
	cli, srv, err := Pipe(shortOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.CloseNow()
	defer srv.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := srv.Read(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Read: %v", err)
	}
	sendOnce(t, cli, srv) // still usable
}

// TestInvalidOptions: options no connection can have are a clear error on
// every path, never a panic.
func TestInvalidOptions(t *testing.T) {
	checkGoroutines(t)
	bad := Options{Compression: &deflate.Config{Threshold: -1}}
	errc := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := Accept(w, r, &AcceptOptions{Options: bad})
		errc <- err
	}))
	defer srv.Close()
	var se *handshake.StatusError
	if _, err := Dial(testCtx(t), "ws"+strings.TrimPrefix(srv.URL, "http"), nil); !errors.As(err, &se) || se.StatusCode != 500 {
		t.Errorf("Dial to a misconfigured Accept: %v", err)
	}
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "Threshold") {
		t.Errorf("Accept: %v", err)
	}
	addr, result := acceptConnServer(t, &AcceptOptions{Options: bad})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := result().err; err == nil || !strings.HasPrefix(err.Error(), "conn: ") {
		t.Errorf("AcceptConn: %v", err)
	}
	if _, err := Dial(testCtx(t), "ws://"+addr+"/", &DialOptions{Options: bad}); err == nil || !strings.Contains(err.Error(), "Threshold") {
		t.Errorf("Dial: %v", err)
	}
}
