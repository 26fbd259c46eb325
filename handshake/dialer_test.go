package handshake

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func noProxy(*http.Request) (*url.URL, error) { return nil, nil }

// echoServer upgrades with u and echoes 5 bytes, reading Buffered first.
// Server results are sent on the returned channel.
func echoHandler(t *testing.T, u *Upgrader, results chan<- *Result) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := u.Upgrade(w, r)
		if err != nil {
			t.Logf("Upgrade: %v", err)
			return
		}
		defer res.Conn.Close()
		if results != nil {
			results <- res
		}
		msg := make([]byte, 5)
		n := copy(msg, res.Buffered)
		res.Conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(res.Conn, msg[n:]); err != nil {
			t.Errorf("server read: %v", err)
			return
		}
		res.Conn.Write(msg)
	})
}

// roundTrip sends msg over res and reads the echo, Buffered first.
func roundTrip(t *testing.T, res *Result, msg string) {
	t.Helper()
	res.Conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(res.Conn, msg); err != nil {
		t.Fatalf("client write: %v", err)
	}
	got := make([]byte, len(msg))
	n := copy(got, res.Buffered)
	if _, err := io.ReadFull(res.Conn, got[n:]); err != nil {
		t.Fatalf("client read: %v", err)
	}
	if string(got) != msg {
		t.Errorf("echo = %q, want %q", got, msg)
	}
}

func TestDialLoopback(t *testing.T) {
	u := &Upgrader{
		Subprotocols: []string{"v2.chat", "v1.chat"},
		Negotiate: func(offers []Extension) ([]Extension, error) {
			return []Extension{{Name: offers[0].Name, Params: []Param{{"server_no_context_takeover", ""}}}}, nil
		},
		Header: http.Header{"Set-Cookie": {"id=1"}},
	}
	results := make(chan *Result, 1)
	srv := httptest.NewServer(echoHandler(t, u, results))
	defer srv.Close()
	tlsSrv := httptest.NewUnstartedServer(echoHandler(t, u, nil))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted dial below
	tlsSrv.StartTLS()
	defer tlsSrv.Close()

	var accepted []Extension
	d := &Dialer{
		Proxy:        noProxy,
		Header:       http.Header{"X-Custom": {"yes"}},
		Subprotocols: []string{"v1.chat", "v2.chat"},
		Extensions:   []Extension{{Name: "permessage-deflate", Params: []Param{{"client_max_window_bits", ""}}}},
		AcceptExtensions: func(resp []Extension) error {
			accepted = resp
			return nil
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	for _, rawURL := range []string{
		"ws://" + srv.Listener.Addr().String() + "/path?q=1",
		"http://" + srv.Listener.Addr().String() + "/path?q=1",
	} {
		res, err := d.Dial(ctx, rawURL)
		if err != nil {
			t.Fatalf("Dial(%s): %v", rawURL, err)
		}
		sres := <-results
		if sres.Subprotocol != "v2.chat" || res.Subprotocol != "v2.chat" {
			t.Errorf("subprotocol: server %q, client %q, want v2.chat", sres.Subprotocol, res.Subprotocol)
		}
		if got := FormatExtensions(res.Extensions); got != "permessage-deflate; server_no_context_takeover" {
			t.Errorf("client extensions = %q", got)
		}
		if FormatExtensions(accepted) != FormatExtensions(res.Extensions) {
			t.Errorf("AcceptExtensions got %v", accepted)
		}
		if got := FormatExtensions(sres.Extensions); got != "permessage-deflate; server_no_context_takeover" {
			t.Errorf("server extensions = %q", got)
		}
		if sres.Header.Get("X-Custom") != "yes" || sres.RequestURI != "/path?q=1" {
			t.Errorf("server saw X-Custom %q, URI %q", sres.Header.Get("X-Custom"), sres.RequestURI)
		}
		if res.Header.Get("Set-Cookie") != "id=1" {
			t.Errorf("client saw Set-Cookie %q", res.Header.Get("Set-Cookie"))
		}
		roundTrip(t, res, "hello")
		res.Conn.Close()
	}

	// TLS, trusting the test server's certificate.
	d.TLSConfig = tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig
	for _, scheme := range []string{"wss", "https"} {
		res, err := d.Dial(ctx, scheme+"://"+tlsSrv.Listener.Addr().String()+"/")
		if err != nil {
			t.Fatalf("Dial %s: %v", scheme, err)
		}
		tc, ok := res.Conn.(*tls.Conn)
		if !ok {
			t.Fatalf("Conn is %T, want *tls.Conn", res.Conn)
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != "" && p != "http/1.1" {
			t.Errorf("ALPN = %q", p)
		}
		roundTrip(t, res, "howdy")
		res.Conn.Close()
	}
	if d.TLSConfig.ServerName != "" || len(d.TLSConfig.NextProtos) != 0 {
		t.Errorf("Dial modified the caller's TLSConfig")
	}

	// An untrusted certificate fails.
	d.TLSConfig = nil
	if _, err := d.Dial(ctx, "wss://"+tlsSrv.Listener.Addr().String()+"/"); err == nil {
		t.Errorf("Dial with untrusted certificate succeeded")
	}
}

// Frame bytes written right behind the request reach the server's
// Result.Buffered through net/http.
func TestUpgradePipelinedThroughNetHTTP(t *testing.T) {
	results := make(chan *Result, 1)
	srv := httptest.NewServer(echoHandler(t, &Upgrader{}, results))
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, rawRequest(nil)+"hello"); err != nil { // one write
		t.Fatal(err)
	}
	sres := <-results
	if string(sres.Buffered) != "hello" {
		t.Errorf("server Buffered = %q, want %q", sres.Buffered, "hello")
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("response: %v, %v", resp, err)
	}
	got, err := io.ReadAll(io.LimitReader(br, 5))
	if string(got) != "hello" {
		t.Errorf("echo = %q, %v", got, err)
	}
}

// fakeServer answers one handshake on a pipe with respond(request), written
// in a single write.
func pipeDialer(t *testing.T, respond func(r *http.Request) string) (*Dialer, <-chan *http.Request) {
	reqs := make(chan *http.Request, 1)
	wg := waitGroup(t)
	d := &Dialer{
		Proxy: noProxy,
		NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			client, server := net.Pipe()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer server.Close()
				server.SetDeadline(time.Now().Add(5 * time.Second))
				r, err := http.ReadRequest(bufio.NewReader(server))
				if err != nil {
					return
				}
				reqs <- r
				io.WriteString(server, respond(r))
				io.Copy(io.Discard, server)
			}()
			return client, nil
		},
	}
	return d, reqs
}

func switching(r *http.Request, extra ...string) string {
	s := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + AcceptKey(r.Header.Get("Sec-WebSocket-Key")) + "\r\n"
	for _, e := range extra {
		s += e + "\r\n"
	}
	return s + "\r\n"
}

func TestDialRequest(t *testing.T) {
	d, reqs := pipeDialer(t, func(r *http.Request) string { return switching(r) + "\x81\x02hi" })
	d.Origin = "https://app.example"
	d.Subprotocols = []string{"a", "b"}
	d.Extensions = []Extension{{Name: "x-foo", Params: []Param{{"p", "1"}}}, {Name: "x-bar"}}
	d.Header = http.Header{"Cookie": {"c=1"}, "Sec-Websocket-Key": {"ignored"}, "Upgrade": {"ignored"}}
	ctx := context.Background()
	keys := map[string]bool{}
	for range 2 {
		res, err := d.Dial(ctx, "ws://example.com/a/b?x=y#frag")
		if err != nil {
			t.Fatal(err)
		}
		r := <-reqs
		if string(res.Buffered) != "\x81\x02hi" {
			t.Errorf("client Buffered = %q", res.Buffered)
		}
		res.Conn.Close()
		if r.Method != "GET" || r.RequestURI != "/a/b?x=y" || r.Host != "example.com" || r.Proto != "HTTP/1.1" {
			t.Errorf("request line %s %s %s, Host %s", r.Method, r.RequestURI, r.Proto, r.Host)
		}
		want := map[string]string{
			"Upgrade":                  "websocket",
			"Connection":               "Upgrade",
			"Sec-WebSocket-Version":    "13",
			"Origin":                   "https://app.example",
			"Sec-WebSocket-Protocol":   "a, b",
			"Sec-WebSocket-Extensions": "x-foo; p=1, x-bar",
			"Cookie":                   "c=1",
		}
		for k, v := range want {
			if got := r.Header.Values(k); len(got) != 1 || got[0] != v {
				t.Errorf("request %s = %q, want %q", k, got, v)
			}
		}
		key := r.Header.Values("Sec-WebSocket-Key")
		if len(key) != 1 || !validKey(key[0]) {
			t.Errorf("key = %q", key)
		} else {
			keys[key[0]] = true
		}
	}
	if len(keys) != 2 {
		t.Errorf("the same key was used twice")
	}

	// Host override and default path.
	d.Header = http.Header{"Host": {"virtual.example"}}
	res, err := d.Dial(ctx, "wss://example.com:8443?q")
	if err == nil {
		res.Conn.Close()
		t.Fatal("TLS over a plain pipe succeeded")
	}
	d2, reqs2 := pipeDialer(t, func(r *http.Request) string { return switching(r) })
	d2.Header = http.Header{"Host": {"virtual.example"}}
	res, err = d2.Dial(ctx, "ws://example.com:8080")
	if err != nil {
		t.Fatal(err)
	}
	res.Conn.Close()
	if r := <-reqs2; r.Host != "virtual.example" || r.RequestURI != "/" {
		t.Errorf("Host %q, URI %q", r.Host, r.RequestURI)
	}
}

func TestDialBadResponses(t *testing.T) {
	tests := []struct {
		name    string
		respond func(r *http.Request) string
		accept  func([]Extension) error
		want    error
	}{
		{"no Upgrade", func(r *http.Request) string {
			return strings.Replace(switching(r), "Upgrade: websocket\r\n", "", 1)
		}, nil, ErrBadResponse},
		{"no Connection", func(r *http.Request) string {
			return strings.Replace(switching(r), "Connection: Upgrade\r\n", "Connection: keep-alive\r\n", 1)
		}, nil, ErrBadResponse},
		{"wrong accept", func(r *http.Request) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
				"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
		}, nil, ErrBadAccept},
		{"no accept", func(r *http.Request) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
		}, nil, ErrBadAccept},
		{"two accepts", func(r *http.Request) string {
			return switching(r, "Sec-WebSocket-Accept: "+AcceptKey(r.Header.Get("Sec-WebSocket-Key")))
		}, nil, ErrBadAccept},
		{"subprotocol not offered", func(r *http.Request) string {
			return switching(r, "Sec-WebSocket-Protocol: c")
		}, nil, ErrBadResponse},
		{"two subprotocols", func(r *http.Request) string {
			return switching(r, "Sec-WebSocket-Protocol: a, b")
		}, nil, ErrBadResponse},
		{"extension not offered", func(r *http.Request) string {
			return switching(r, "Sec-WebSocket-Extensions: x-other")
		}, nil, ErrBadExtension},
		{"malformed extension", func(r *http.Request) string {
			return switching(r, "Sec-WebSocket-Extensions: x-foo; =")
		}, nil, ErrBadExtension},
		{"extension refused by hook", func(r *http.Request) string {
			return switching(r, "Sec-WebSocket-Extensions: x-foo; bad")
		}, func([]Extension) error { return errors.New("bad param") }, ErrBadExtension},
		{"HTTP/1.0 101", func(r *http.Request) string {
			return strings.Replace(switching(r), "HTTP/1.1", "HTTP/1.0", 1)
		}, nil, ErrBadResponse},
		{"HTTP/2.0 101", func(r *http.Request) string {
			return strings.Replace(switching(r), "HTTP/1.1", "HTTP/2.0", 1)
		}, nil, ErrBadResponse},
		{"not HTTP", func(r *http.Request) string { return "SSH-2.0-OpenSSH\r\n\r\n" }, nil, nil},
		{"200", func(r *http.Request) string { return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi" }, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := pipeDialer(t, tt.respond)
			d.Subprotocols = []string{"a", "b"}
			d.Extensions = []Extension{{Name: "x-foo"}}
			d.AcceptExtensions = tt.accept
			res, err := d.Dial(context.Background(), "ws://example.com/")
			if err == nil {
				res.Conn.Close()
				t.Fatal("Dial succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
	// The good case with the same dialer settings works.
	d, _ := pipeDialer(t, func(r *http.Request) string {
		return switching(r, "Sec-WebSocket-Protocol: b", "Sec-WebSocket-Extensions: x-foo; a=\"1\"")
	})
	d.Subprotocols = []string{"a", "b"}
	d.Extensions = []Extension{{Name: "x-foo"}}
	res, err := d.Dial(context.Background(), "ws://example.com/")
	if err != nil {
		t.Fatal(err)
	}
	res.Conn.Close()
	if res.Subprotocol != "b" || FormatExtensions(res.Extensions) != "x-foo; a=1" || res.Buffered != nil {
		t.Errorf("Result = %+v", res)
	}
}

func TestDialStatusError(t *testing.T) {
	srv := httptest.NewServer(echoHandler(t, &Upgrader{}, nil))
	defer srv.Close()
	d := &Dialer{Proxy: noProxy, Origin: "https://evil.example"}
	_, err := d.Dial(context.Background(), "ws://"+srv.Listener.Addr().String()+"/")
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want *StatusError", err)
	}
	if se.StatusCode != 403 || se.Status != "403 Forbidden" || string(se.Body) != "origin not allowed\n" ||
		!strings.HasPrefix(se.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("StatusError = %+v", se)
	}
	if got, want := err.Error(), "handshake: 403 Forbidden: origin not allowed"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}

	// The body is cut at 1 KiB.
	d2, _ := pipeDialer(t, func(r *http.Request) string {
		return "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5000\r\nRetry-After: 3\r\n\r\n" + strings.Repeat("z", 5000)
	})
	_, err = d2.Dial(context.Background(), "ws://example.com/")
	if !errors.As(err, &se) || se.StatusCode != 503 || len(se.Body) != 1024 || se.Header.Get("Retry-After") != "3" {
		t.Errorf("error = %v", err)
	}
	if (&StatusError{StatusCode: 404}).Error() != "handshake: 404 Not Found" {
		t.Errorf("Error() without Status = %q", (&StatusError{StatusCode: 404}).Error())
	}
}

func TestDialContext(t *testing.T) {
	wg := waitGroup(t) // waits after the listener is closed
	ln := listen(t)
	wg.Add(1)
	go func() { // accepts and never answers
		defer wg.Done()
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	url := "ws://" + ln.Addr().String() + "/"
	d := &Dialer{Proxy: noProxy}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := d.Dial(ctx, url); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want context.DeadlineExceeded", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v", el)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := d.Dial(ctx, url); !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func TestDialBadURL(t *testing.T) {
	d := &Dialer{Proxy: noProxy}
	tests := []struct {
		url  string
		want error
	}{
		{"ftp://example.com/", ErrBadScheme},
		{"example.com/chat", ErrBadScheme},
		{"ws:///chat", ErrBadURL},
		{"ws://exa mple.com/", ErrBadURL},
	}
	for _, tt := range tests {
		if _, err := d.Dial(context.Background(), tt.url); !errors.Is(err, tt.want) {
			t.Errorf("Dial(%q) error = %v, want %v", tt.url, err, tt.want)
		}
	}
}

// connectProxy is a tiny CONNECT proxy requiring user:pass.
func connectProxy(t *testing.T) (addr string, seen <-chan string) {
	wg := waitGroup(t) // waits after the listener is closed
	ln := listen(t)
	targets := make(chan string, 10)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				br := bufio.NewReader(c)
				r, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				targets <- r.Method + " " + r.Host
				want := "Basic " + base64.StdEncoding.EncodeToString([]byte("user:p@ss"))
				if r.Header.Get("Proxy-Authorization") != want {
					io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\n"+
						"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 6\r\n\r\ndenied")
					return
				}
				if r.Method != http.MethodConnect {
					io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
					return
				}
				up, err := net.Dial("tcp", r.Host)
				if err != nil {
					io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
					return
				}
				defer up.Close()
				io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				done := make(chan struct{})
				go func() {
					io.Copy(up, br)
					up.(*net.TCPConn).CloseWrite()
					close(done)
				}()
				io.Copy(c, up)
				c.Close()
				<-done
			}()
		}
	}()
	return ln.Addr().String(), targets
}

func TestDialProxy(t *testing.T) {
	srv := httptest.NewServer(echoHandler(t, &Upgrader{}, nil))
	defer srv.Close()
	tlsSrv := httptest.NewTLSServer(echoHandler(t, &Upgrader{}, nil))
	defer tlsSrv.Close()
	paddr, seen := connectProxy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	proxyURL, _ := url.Parse("http://user:p%40ss@" + paddr)
	var proxied *http.Request
	d := &Dialer{Proxy: func(r *http.Request) (*url.URL, error) {
		proxied = r
		return proxyURL, nil
	}}
	res, err := d.Dial(ctx, "ws://"+srv.Listener.Addr().String()+"/")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := <-seen, "CONNECT "+srv.Listener.Addr().String(); got != want {
		t.Errorf("proxy saw %q, want %q", got, want)
	}
	if proxied.URL.Scheme != "http" || proxied.URL.Host != srv.Listener.Addr().String() {
		t.Errorf("Proxy func got URL %v", proxied.URL)
	}
	roundTrip(t, res, "proxy")
	res.Conn.Close()

	// wss through the tunnel: TLS to the server, not to the proxy.
	d.TLSConfig = tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig
	res, err = d.Dial(ctx, "wss://"+tlsSrv.Listener.Addr().String()+"/")
	if err != nil {
		t.Fatal(err)
	}
	<-seen
	if proxied.URL.Scheme != "https" {
		t.Errorf("Proxy func got scheme %q for wss", proxied.URL.Scheme)
	}
	roundTrip(t, res, "tls!!")
	res.Conn.Close()

	// Wrong credentials: 407 reported with its status and headers.
	proxyURL, _ = url.Parse("http://user:wrong@" + paddr)
	_, err = d.Dial(ctx, "ws://"+srv.Listener.Addr().String()+"/")
	<-seen
	var se *StatusError
	if !errors.Is(err, ErrProxy) || !errors.As(err, &se) || se.StatusCode != 407 ||
		se.Header.Get("Proxy-Authenticate") == "" || string(se.Body) != "denied" {
		t.Errorf("error = %v (%+v)", err, se)
	}
	if !strings.Contains(fmt.Sprint(err), "407 Proxy Authentication Required") {
		t.Errorf("error text %q lacks the status", err)
	}

	// Unsupported proxy scheme.
	proxyURL, _ = url.Parse("socks5://" + paddr)
	if _, err := d.Dial(ctx, "ws://"+srv.Listener.Addr().String()+"/"); !errors.Is(err, ErrProxy) {
		t.Errorf("socks5 proxy: error = %v, want ErrProxy", err)
	}
}

// A proxy that sends data beyond its 200 answer is refused.
func TestDialProxyExtraData(t *testing.T) {
	d, _ := pipeDialer(t, func(r *http.Request) string { return "HTTP/1.1 200 OK\r\n\r\nsurprise" })
	d.Proxy = func(*http.Request) (*url.URL, error) { return url.Parse("http://proxy.example:3128") }
	if _, err := d.Dial(context.Background(), "ws://example.com/"); !errors.Is(err, ErrProxy) {
		t.Errorf("error = %v, want ErrProxy", err)
	}
}

// Deadlines of the HTTP server (ReadTimeout, WriteTimeout) do not outlive
// the upgrade.
func TestUpgradeClearsServerDeadlines(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := (&Upgrader{}).Upgrade(w, r)
		if err != nil {
			t.Errorf("Upgrade: %v", err)
			return
		}
		defer res.Conn.Close()
		time.Sleep(450 * time.Millisecond) // past both timeouts
		msg := make([]byte, 4)
		if _, err := io.ReadFull(res.Conn, msg); err != nil {
			t.Errorf("server read after the timeouts: %v", err)
			return
		}
		if _, err := res.Conn.Write(msg); err != nil {
			t.Errorf("server write after the timeouts: %v", err)
		}
	}))
	srv.Config.ReadTimeout = 250 * time.Millisecond
	srv.Config.WriteTimeout = 250 * time.Millisecond
	srv.Start()
	defer srv.Close()
	res, err := (&Dialer{Proxy: noProxy}).Dial(context.Background(), "ws://"+srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Conn.Close()
	time.Sleep(300 * time.Millisecond)
	roundTrip(t, res, "late")
}

// testCert returns a self-signed certificate for name, and a pool
// trusting it.
func testCert(t *testing.T, name string) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{name},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// An https proxy is verified against its own name, and the server behind
// it against TLSConfig.ServerName: the TLS connection to the proxy does not
// inherit the target's name (issue 12, item 11).
func TestDialHTTPSProxyServerNames(t *testing.T) {
	proxyCert, proxyLeaf := testCert(t, "proxy.test")
	targetCert, targetLeaf := testCert(t, "target.test")
	roots := x509.NewCertPool()
	roots.AddCert(proxyLeaf)
	roots.AddCert(targetLeaf)

	target := httptest.NewUnstartedServer(echoHandler(t, &Upgrader{}, nil))
	target.TLS = &tls.Config{Certificates: []tls.Certificate{targetCert}}
	target.StartTLS()
	defer target.Close()

	// The proxy: TLS with the proxy.test certificate, then CONNECT.
	wg := waitGroup(t) // waits after the listener is closed
	ln := listen(t)
	sni := make(chan string, 4)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer raw.Close()
				raw.SetDeadline(time.Now().Add(5 * time.Second))
				c := tls.Server(raw, &tls.Config{Certificates: []tls.Certificate{proxyCert}})
				if err := c.Handshake(); err != nil {
					sni <- "handshake failed: " + err.Error()
					return
				}
				sni <- c.ConnectionState().ServerName
				br := bufio.NewReader(c)
				r, err := http.ReadRequest(br)
				if err != nil || r.Method != http.MethodConnect {
					return
				}
				up, err := net.Dial("tcp", r.Host)
				if err != nil {
					io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
					return
				}
				defer up.Close()
				io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				go func() { io.Copy(up, br); up.Close() }()
				io.Copy(c, up)
			}()
		}
	}()
	_, pport, _ := net.SplitHostPort(ln.Addr().String())
	proxyURL, _ := url.Parse("https://proxy.test:" + pport)
	d := &Dialer{
		Proxy: func(*http.Request) (*url.URL, error) { return proxyURL, nil },
		NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != "proxy.test:"+pport {
				return nil, fmt.Errorf("dialed %s, want the proxy", addr)
			}
			return (&net.Dialer{}).DialContext(ctx, network, ln.Addr().String())
		},
		TLSConfig: &tls.Config{RootCAs: roots, ServerName: "target.test"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := d.Dial(ctx, "wss://"+target.Listener.Addr().String()+"/")
	if got := <-sni; got != "proxy.test" {
		t.Errorf("the proxy saw server name %q, want proxy.test", got)
	}
	if err != nil {
		t.Fatalf("Dial through the https proxy: %v", err)
	}
	defer res.Conn.Close()
	tc, ok := res.Conn.(*tls.Conn)
	if !ok {
		t.Fatalf("Result.Conn is a %T, want *tls.Conn", res.Conn)
	}
	if cs := tc.ConnectionState(); cs.ServerName != "target.test" || cs.PeerCertificates[0].Subject.CommonName != "target.test" {
		t.Errorf("target TLS: server name %q, peer %q; want target.test", cs.ServerName, cs.PeerCertificates[0].Subject.CommonName)
	}
	roundTrip(t, res, "hello")
	if d.TLSConfig.ServerName != "target.test" {
		t.Errorf("Dial changed the caller's TLSConfig.ServerName to %q", d.TLSConfig.ServerName)
	}
}

// silentServer accepts connections and never answers; it returns the
// ws:// URL.
func silentServer(t *testing.T) string {
	wg := waitGroup(t) // waits after the listener is closed
	ln := listen(t)
	wg.Add(1)
	go func() {
		defer wg.Done()
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return "ws://" + ln.Addr().String() + "/"
}

// Against a silent server, Dial with a context without deadline ends after
// HandshakeTimeout (issue 12, item 12b).
func TestDialHandshakeTimeout(t *testing.T) {
	url := silentServer(t)
	d := &Dialer{Proxy: noProxy, HandshakeTimeout: 200 * time.Millisecond}
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		res, err := d.Dial(context.Background(), url)
		if res != nil {
			res.Conn.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error = %v, want context.DeadlineExceeded", err)
		}
		if el := time.Since(start); el < 150*time.Millisecond {
			t.Errorf("Dial failed after %v, before HandshakeTimeout", el)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Dial still blocked 5 s after HandshakeTimeout")
	}
}

// The deadline Dial works under, as NetDial sees it, for each combination
// of HandshakeTimeout and ctx: DefaultDialTimeout when neither sets one.
func TestDialDefaultTimeout(t *testing.T) {
	errStop := errors.New("stop here")
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		ctx     time.Duration // 0: context.Background()
		want    time.Duration // 0: no deadline
	}{
		{"default", 0, 0, DefaultDialTimeout},
		{"ctx deadline alone", 0, 2 * time.Minute, 2 * time.Minute},
		{"field", 3 * time.Second, 0, 3 * time.Second},
		{"field before ctx", 3 * time.Second, time.Minute, 3 * time.Second},
		{"ctx before field", time.Minute, 3 * time.Second, 3 * time.Second},
		{"none", -1, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dl time.Time
			var ok bool
			d := &Dialer{
				Proxy:            noProxy,
				HandshakeTimeout: tc.timeout,
				NetDial: func(ctx context.Context, _, _ string) (net.Conn, error) {
					dl, ok = ctx.Deadline()
					return nil, errStop
				},
			}
			ctx := context.Background()
			if tc.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctx)
				defer cancel()
			}
			start := time.Now()
			if _, err := d.Dial(ctx, "ws://example.com/"); !errors.Is(err, errStop) {
				t.Fatalf("error = %v, want NetDial's", err)
			}
			if tc.want == 0 {
				if ok {
					t.Errorf("deadline in %v, want none", dl.Sub(start))
				}
				return
			}
			if !ok {
				t.Fatalf("no deadline, want %v", tc.want)
			}
			if got := dl.Sub(start); got < tc.want-time.Second || got > tc.want+time.Second {
				t.Errorf("deadline in %v, want %v", got, tc.want)
			}
		})
	}
	if DefaultDialTimeout != 45*time.Second {
		t.Errorf("DefaultDialTimeout = %v, documented as 45 s", DefaultDialTimeout)
	}
}

// bufioRecorder is a ResponseWriter wrapper that keeps the pair net/http's
// Hijack returned.
type bufioRecorder struct {
	http.ResponseWriter
	brw *bufio.ReadWriter
}

func (w *bufioRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	w.brw = brw
	return c, brw, err
}

// Upgrade releases the buffers of the bufio pair net/http hands over with
// the connection, which net/http would keep while the handler runs, and
// net/http does not touch the pair again, whether the handler then reads,
// returns or panics: the server goes on serving.
func TestUpgradeReleasesHijackedBuffers(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	sizes := make(chan [2]int, 3)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &bufioRecorder{ResponseWriter: w}
		res, err := (&Upgrader{}).Upgrade(rec, r)
		if err != nil {
			t.Errorf("Upgrade: %v", err)
			return
		}
		sizes <- [2]int{rec.brw.Reader.Size(), rec.brw.Writer.Size()}
		switch r.URL.Path {
		case "/return":
			go func() {
				defer res.Conn.Close()
				roundTripServer(res)
			}()
		case "/panic":
			defer res.Conn.Close()
			roundTripServer(res)
			panic(http.ErrAbortHandler)
		default:
			defer res.Conn.Close()
			roundTripServer(res)
		}
	}))
	srv.Config.ErrorLog = log.New(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), "", 0)
	srv.Start()
	defer srv.Close()
	d := &Dialer{Proxy: noProxy}
	for _, path := range []string{"/return", "/panic", "/read"} {
		res, err := d.Dial(context.Background(), "ws://"+srv.Listener.Addr().String()+path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if got := <-sizes; got != [2]int{0, 0} {
			t.Errorf("%s: after Upgrade the hijacked bufio.Reader and Writer hold %d and %d bytes of buffer, want 0", path, got[0], got[1])
		}
		roundTrip(t, res, "12345")
		res.Conn.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if logs.Len() > 0 {
		t.Errorf("server log: %s", logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// roundTripServer echoes 5 bytes on res, Buffered first.
func roundTripServer(res *Result) {
	msg := make([]byte, 5)
	n := copy(msg, res.Buffered)
	res.Conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(res.Conn, msg[n:]); err == nil {
		res.Conn.Write(msg)
	}
}
