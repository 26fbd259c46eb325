package fuzz

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/handshake"
)

// Browser handshake requests, as Chrome, Firefox and Safari send them.
const (
	chromeRequest = "GET /chat?room=1 HTTP/1.1\r\n" +
		"Host: example.com\r\n" +
		"Connection: Upgrade\r\n" +
		"Pragma: no-cache\r\n" +
		"Cache-Control: no-cache\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
		"Upgrade: websocket\r\n" +
		"Origin: https://example.com\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
		"Accept-Language: en-US,en;q=0.9\r\n" +
		"Cookie: session=4f2a9c; theme=dark\r\n" +
		"Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
		"Sec-WebSocket-Protocol: chat, v2.json\r\n" +
		"\r\n"
	firefoxRequest = "GET /socket HTTP/1.1\r\n" +
		"Host: app.example.com:8443\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0\r\n" +
		"Accept: */*\r\n" +
		"Accept-Language: en-US,en;q=0.5\r\n" +
		"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"Origin: https://www.example.com\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"DNT: 1\r\n" +
		"Connection: keep-alive, Upgrade\r\n" +
		"Sec-Fetch-Dest: empty\r\n" +
		"Sec-Fetch-Mode: websocket\r\n" +
		"Sec-Fetch-Site: same-site\r\n" +
		"Pragma: no-cache\r\n" +
		"Cache-Control: no-cache\r\n" +
		"Upgrade: websocket\r\n" +
		"\r\n"
	safariRequest = "GET /ws HTTP/1.1\r\n" +
		"Host: example.com\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate\r\n" +
		"Upgrade: websocket\r\n" +
		"Origin: https://example.com\r\n" +
		"Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n" +
		"Pragma: no-cache\r\n" +
		"Cache-Control: no-cache\r\n" +
		"Accept-Encoding: gzip, deflate\r\n" +
		"Accept-Language: en-GB,en;q=0.9\r\n" +
		"User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"\r\n"
	// rfcRequest is the example of RFC 6455 §1.2, with a frame after it.
	rfcRequest = "GET /chat HTTP/1.1\r\n" +
		"Host: server.example.com\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Origin: http://example.com\r\n" +
		"Sec-WebSocket-Protocol: chat, superchat\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"\r\n" +
		"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
)

// badRequests are requests the server must refuse.
var badRequests = []string{
	"POST /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
	"GET /chat HTTP/1.0\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
	"GET /chat HTTP/2.0\r\nHost: example.com\r\n\r\n",
	"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
	"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
	"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
	"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: https://evil.example.net\r\n\r\n",
	"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; =1\r\n\r\n",
	"GET /chat HTTP/1.1\r\nHost: example.com\r\nHost: other.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
	"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: 5\r\n\r\nhello",
	"GET /chat HTTP/1.1\r\nHost: example.com\r\n folded: header\r\n\r\n",
	"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n",
	"GET\r\n\r\n",
	"\r\n\r\n",
}

// wantStatus maps the server's errors to the statuses of their answers.
var wantStatus = []struct {
	err    error
	status []int
}{
	{handshake.ErrRequestTooLarge, []int{431}},
	{handshake.ErrBadVersion, []int{426}},
	{handshake.ErrOriginNotAllowed, []int{403}},
	{handshake.ErrNotWebSocket, []int{405, 426}},
	{handshake.ErrNoSubprotocol, []int{400}},
	{handshake.ErrBadExtension, []int{400}},
	{handshake.ErrBadRequest, []int{400, 505}},
}

// readResponse parses b as one complete HTTP response (head and body) and
// returns it with its body; rest are the bytes after it.
func readResponse(b []byte) (resp *http.Response, body, rest []byte, err error) {
	br := bufio.NewReader(bytes.NewReader(b))
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, nil, err
	}
	rest, _ = io.ReadAll(br)
	return resp, body, rest, nil
}

// FuzzUpgradeConn feeds a request to handshake.Upgrader.UpgradeConn, read in
// chunks, under several policies (mode: required subprotocol, extension
// negotiation with permessage-deflate, origin check). It never panics or hangs;
// on success the connection is open, the answer is one valid 101 response with
// the right Sec-WebSocket-Accept, subprotocol and extensions, and Buffered is
// what followed the request; on failure the connection is closed and the
// answer is empty (an I/O error such as a truncated request) or one valid HTTP
// error response with the status that matches the error.
func FuzzUpgradeConn(f *testing.F) {
	for _, r := range []string{chromeRequest, firefoxRequest, safariRequest, rfcRequest} {
		f.Add([]byte(r), uint8(0x02))
		f.Add([]byte(r), uint8(0x35))
	}
	for _, r := range badRequests {
		f.Add([]byte(r), uint8(0x02))
	}
	f.Fuzz(func(t *testing.T, req []byte, mode uint8) {
		defer watchdog()()
		var cfg deflate.Config
		u := handshake.Upgrader{
			Subprotocols:            []string{"v2.json", "chat"},
			RequireSubprotocol:      mode&1 != 0,
			OriginPatterns:          []string{"example.com", "*.example.com"},
			InsecureSkipOriginCheck: mode&4 != 0,
			Header:                  http.Header{"Set-Cookie": {"id=1"}},
			HandshakeTimeout:        time.Second,
			MaxRequestBytes:         2048,
		}
		var negotiated []handshake.Extension
		if mode&2 != 0 {
			u.Negotiate = func(offers []handshake.Extension) ([]handshake.Extension, error) {
				if resp, _, ok := cfg.Negotiate(offers); ok {
					negotiated = []handshake.Extension{resp}
				}
				return negotiated, nil
			}
		}
		c := &scriptConn{in: req, chunk: int(mode >> 4)}
		res, err := u.UpgradeConn(context.Background(), c)
		out := c.written()
		if err != nil {
			if res != nil || !c.isClosed() {
				t.Fatalf("UpgradeConn: %v with result %v, connection closed %v", err, res, c.isClosed())
			}
			var status []int
			for _, w := range wantStatus {
				if errors.Is(err, w.err) {
					status = w.status
					break
				}
			}
			if len(out) == 0 {
				if status != nil {
					t.Fatalf("UpgradeConn: %v, without an answer", err)
				}
				return
			}
			resp, _, rest, rerr := readResponse(out)
			if rerr != nil || len(rest) != 0 {
				t.Fatalf("UpgradeConn: %v, answered with an invalid response (%v, %d bytes after it):\n%q", err, rerr, len(rest), out)
			}
			if status == nil || !slices.Contains(status, resp.StatusCode) {
				t.Fatalf("UpgradeConn: %v, answered %q (want one of %v)", err, resp.Status, status)
			}
			return
		}
		defer res.Conn.Close()
		if c.isClosed() {
			t.Fatalf("UpgradeConn succeeded on a closed connection")
		}
		resp, _, rest, rerr := readResponse(out)
		if rerr != nil || len(rest) != 0 {
			t.Fatalf("UpgradeConn succeeded with an invalid response (%v, %d bytes after it):\n%q", rerr, len(rest), out)
		}
		if resp.StatusCode != http.StatusSwitchingProtocols ||
			!strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") ||
			!strings.EqualFold(resp.Header.Get("Connection"), "upgrade") {
			t.Fatalf("UpgradeConn succeeded with the response:\n%s", out)
		}
		if got, want := resp.Header.Get("Sec-WebSocket-Accept"), handshake.AcceptKey(strings.TrimSpace(res.Header.Get("Sec-WebSocket-Key"))); got != want {
			t.Fatalf("Sec-WebSocket-Accept %q, want %q for the request:\n%q", got, want, req)
		}
		if res.Subprotocol != resp.Header.Get("Sec-WebSocket-Protocol") ||
			res.Subprotocol != "" && !slices.Contains(u.Subprotocols, res.Subprotocol) ||
			res.Subprotocol == "" && u.RequireSubprotocol {
			t.Fatalf("subprotocol %q, response header %q", res.Subprotocol, resp.Header.Get("Sec-WebSocket-Protocol"))
		}
		exts, err := handshake.ParseExtensions(resp.Header)
		if err != nil || !equalExtensions(exts, res.Extensions) || !equalExtensions(exts, negotiated) {
			t.Fatalf("extensions %v, answered %v (%v), negotiated %v", res.Extensions, exts, err, negotiated)
		}
		checkBuffered(t, req, res.Buffered, c.unread())
	})
}

// checkBuffered checks that the script in was read up to the end of an HTTP
// head (an empty line), followed by buffered and then by the unread rest.
func checkBuffered(t *testing.T, in, buffered, unread []byte) {
	t.Helper()
	tail := append(append([]byte(nil), buffered...), unread...)
	if !bytes.HasSuffix(in, tail) || !bytes.HasSuffix(in[:len(in)-len(tail)], []byte("\n")) {
		t.Fatalf("Buffered % x, then % x unread, does not follow the head of % x", buffered, unread, in)
	}
}

// equalExtensions compares extension lists, nil and empty alike.
func equalExtensions(a, b []handshake.Extension) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Params) != len(b[i].Params) {
			return false
		}
		for j := range a[i].Params {
			if a[i].Params[j] != b[i].Params[j] {
				return false
			}
		}
	}
	return true
}

// acceptPlaceholder in a fuzzed response is replaced by the right
// Sec-WebSocket-Accept value for the client's key, so that the fuzzer can get
// past that check.
const acceptPlaceholder = "$ACCEPT"

var keyLine = regexp.MustCompile(`(?i)\r\nSec-WebSocket-Key: *([^\r]*)\r\n`)

// FuzzDialResponse runs handshake.Dialer.Dial against a server that answers
// with the fuzzed bytes (read in chunks), in which $ACCEPT stands for the right
// Sec-WebSocket-Accept value. The client offers two subprotocols and, by mode,
// permessage-deflate checked with deflate.Config.Accept. Dial never panics or
// hangs; the request it sent is a valid HTTP request; on failure it closes the
// connection, and a non-101 answer is a *StatusError with at most 1 KiB of
// body; on success the accept value was right, the subprotocol and extensions
// were offered, and Buffered is what followed the response.
func FuzzDialResponse(f *testing.F) {
	ok := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptPlaceholder + "\r\n"
	f.Add([]byte(ok+"\r\n"), uint8(0))
	f.Add([]byte(ok+"Sec-WebSocket-Protocol: chat\r\n\r\n\x81\x05Hello"), uint8(1))
	f.Add([]byte(ok+"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=10\r\n\r\n"), uint8(1))
	f.Add([]byte(ok+"Sec-WebSocket-Extensions: permessage-deflate; x=1\r\n\r\n"), uint8(1))
	f.Add([]byte(ok+"Sec-WebSocket-Protocol: other\r\n\r\n"), uint8(0x30))
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"), uint8(0))
	f.Add([]byte("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nforbidden\n"), uint8(0))
	f.Add([]byte("HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n\r\n"), uint8(0))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), uint8(0))
	f.Add([]byte("HTTP/1.0 101 Switching Protocols\r\n\r\n"), uint8(0))
	f.Add([]byte("HTTP/1.1 101\r\n"), uint8(0x10))
	f.Fuzz(func(t *testing.T, resp []byte, mode uint8) {
		defer watchdog()()
		var cfg deflate.Config
		var sent []byte
		c := &scriptConn{chunk: int(mode >> 4)}
		c.prepare = func(written []byte) []byte {
			sent = append([]byte(nil), written...)
			accept := ""
			if m := keyLine.FindSubmatch(written); m != nil {
				accept = handshake.AcceptKey(string(m[1]))
			}
			c.prepared = bytes.ReplaceAll(resp, []byte(acceptPlaceholder), []byte(accept))
			return c.prepared
		}
		d := handshake.Dialer{
			NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return c, nil
			},
			Proxy:        func(*http.Request) (*url.URL, error) { return nil, nil },
			Origin:       "https://example.com",
			Subprotocols: []string{"chat", "v2.json"},
		}
		var accepted []handshake.Extension
		if mode&1 != 0 {
			d.Extensions = cfg.Offers()
			d.AcceptExtensions = func(resp []handshake.Extension) error {
				accepted = resp
				_, _, err := cfg.Accept(resp)
				return err
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := d.Dial(ctx, "ws://example.com/chat")
		if sent != nil {
			req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(sent)))
			if err != nil || req.Method != http.MethodGet || req.Host != "example.com" {
				t.Fatalf("Dial sent an invalid request (%v):\n%s", err, sent)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("Dial hung: %v", err)
			}
			if res != nil || !c.isClosed() {
				t.Fatalf("Dial: %v with result %v, connection closed %v", err, res, c.isClosed())
			}
			var se *handshake.StatusError
			if errors.As(err, &se) && (se.StatusCode == http.StatusSwitchingProtocols || len(se.Body) > 1024) {
				t.Fatalf("Dial: StatusError %d with %d bytes of body", se.StatusCode, len(se.Body))
			}
			return
		}
		defer res.Conn.Close()
		if c.isClosed() {
			t.Fatalf("Dial succeeded with a closed connection")
		}
		m := keyLine.FindSubmatch(sent)
		// The value may carry optional whitespace around it (RFC 7230
		// §3.2), which the dialer ignores, as HTTP says.
		if m == nil || strings.Trim(res.Header.Get("Sec-WebSocket-Accept"), " \t") != handshake.AcceptKey(string(m[1])) {
			t.Fatalf("Dial accepted Sec-WebSocket-Accept %q", res.Header.Get("Sec-WebSocket-Accept"))
		}
		if res.Subprotocol != "" && !slices.Contains(d.Subprotocols, res.Subprotocol) {
			t.Fatalf("Dial accepted subprotocol %q", res.Subprotocol)
		}
		for _, e := range res.Extensions {
			if !slices.ContainsFunc(d.Extensions, func(o handshake.Extension) bool { return o.Name == e.Name }) {
				t.Fatalf("Dial accepted extension %q, not offered", e.Name)
			}
		}
		if len(res.Extensions) > 0 && !reflect.DeepEqual(res.Extensions, accepted) {
			t.Fatalf("Dial returned extensions %v, AcceptExtensions saw %v", res.Extensions, accepted)
		}
		checkBuffered(t, c.prepared, res.Buffered, c.unread())
	})
}

// FuzzParseExtensions parses Sec-WebSocket-Extensions header lines (the
// input split at newlines): a failure wraps ErrBadExtension; a success has
// token names and values, and formats with FormatExtensions to a value that
// parses back to the same extensions and formats again to itself.
func FuzzParseExtensions(f *testing.F) {
	f.Add("permessage-deflate; client_max_window_bits")
	f.Add("permessage-deflate; client_max_window_bits=10; server_no_context_takeover, permessage-deflate")
	f.Add("permessage-deflate; server_max_window_bits=\"10\"\nx-webkit-deflate-frame")
	f.Add("foo, bar; baz=2;qux,  ,\t, quux ; a = \"b\"")
	f.Add("foo;")
	f.Add("foo; a=\"\"")
	f.Add("foo; a=\"b\\\"c\"")
	f.Add("foo; a=\"x\\y\"")
	f.Add("; a")
	f.Add(",,,")
	f.Add("foo bar")
	f.Add("foo; a=b=c")
	f.Fuzz(func(t *testing.T, s string) {
		defer watchdog()()
		h := http.Header{"Sec-Websocket-Extensions": strings.Split(s, "\n")}
		exts, err := handshake.ParseExtensions(h)
		if err != nil {
			if !errors.Is(err, handshake.ErrBadExtension) || exts != nil {
				t.Fatalf("ParseExtensions(%q) = %v, %v", s, exts, err)
			}
			return
		}
		for _, e := range exts {
			if !isToken(e.Name) {
				t.Fatalf("ParseExtensions(%q): name %q", s, e.Name)
			}
			for _, p := range e.Params {
				if !isToken(p.Name) || p.Value != "" && !isToken(p.Value) {
					t.Fatalf("ParseExtensions(%q): parameter %q=%q", s, p.Name, p.Value)
				}
			}
		}
		formatted := handshake.FormatExtensions(exts)
		again, err := handshake.ParseExtensions(http.Header{"Sec-Websocket-Extensions": {formatted}})
		if err != nil || !equalExtensions(exts, again) {
			t.Fatalf("ParseExtensions(%q) = %v, formatted %q, parsed back as %v, %v", s, exts, formatted, again, err)
		}
		if f2 := handshake.FormatExtensions(again); f2 != formatted {
			t.Fatalf("FormatExtensions is not stable: %q then %q", formatted, f2)
		}
	})
}

// isToken reports whether s is an RFC 7230 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

func replaceAccept(s, accept string) string { return strings.ReplaceAll(s, acceptPlaceholder, accept) }
