package handshake

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

type rejectCase struct {
	name    string
	u       *Upgrader
	raw     string
	status  int
	header  map[string]string // response headers that must be present
	err     error             // errors.Is target
	body    string            // substring of the body
	rawOnly bool              // net/http cannot parse the request
}

func negotiateFirst(offers []Extension) ([]Extension, error) { return offers[:1], nil }

var rejectCases = []rejectCase{
	{name: "POST", raw: strings.Replace(rawRequest(nil), "GET", "POST", 1),
		status: 405, header: map[string]string{"Allow": "GET"}, err: ErrNotWebSocket, body: "GET"},
	{name: "HTTP/1.0", raw: strings.Replace(rawRequest(nil), "HTTP/1.1", "HTTP/1.0", 1),
		status: 505, err: ErrBadRequest, body: "HTTP/1.1"},
	{name: "HTTP/2.0", raw: strings.Replace(rawRequest(nil), "HTTP/1.1", "HTTP/2.0", 1), rawOnly: true,
		status: 505, err: ErrBadRequest},
	{name: "plain GET", raw: "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
		status: 426, header: map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"},
		err: ErrNotWebSocket, body: "websocket"},
	{name: "no Connection upgrade", raw: rawRequest([]string{"Connection: keep-alive"}, "Connection"),
		status: 426, header: map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"}, err: ErrNotWebSocket},
	{name: "Connection upgraded (not the token)", raw: rawRequest([]string{"Connection: upgraded"}, "Connection"),
		status: 426, header: map[string]string{"Upgrade": "websocket"}, err: ErrNotWebSocket},
	{name: "Upgrade h2c", raw: rawRequest([]string{"Upgrade: h2c"}, "Upgrade"),
		status: 426, header: map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"}, err: ErrNotWebSocket},
	{name: "no Upgrade", raw: rawRequest(nil, "Upgrade"),
		status: 426, header: map[string]string{"Upgrade": "websocket"}, err: ErrNotWebSocket},
	{name: "version 8", raw: rawRequest([]string{"Sec-WebSocket-Version: 8"}, "Sec-WebSocket-Version"),
		status: 426, header: map[string]string{"Sec-WebSocket-Version": "13"}, err: ErrBadVersion, body: "13"},
	{name: "no version", raw: rawRequest(nil, "Sec-WebSocket-Version"),
		status: 426, header: map[string]string{"Sec-WebSocket-Version": "13"}, err: ErrBadVersion},
	{name: "two versions", raw: rawRequest([]string{"Sec-WebSocket-Version: 8"}),
		status: 426, header: map[string]string{"Sec-WebSocket-Version": "13"}, err: ErrBadVersion},
	{name: "no key", raw: rawRequest(nil, "Sec-WebSocket-Key"),
		status: 400, err: ErrBadRequest, body: "Sec-WebSocket-Key"},
	{name: "short key", raw: rawRequest([]string{"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA"}, "Sec-WebSocket-Key"),
		status: 400, err: ErrBadRequest},
	{name: "15-byte key", raw: rawRequest([]string{"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA"}, "Sec-WebSocket-Key"),
		status: 400, err: ErrBadRequest},
	{name: "key not base64", raw: rawRequest([]string{"Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!=="}, "Sec-WebSocket-Key"),
		status: 400, err: ErrBadRequest},
	{name: "two keys", raw: rawRequest([]string{"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="}),
		status: 400, err: ErrBadRequest},
	{name: "body", raw: strings.Replace(rawRequest([]string{"Content-Length: 5"}), "\r\n\r\n", "\r\n\r\nhello", 1),
		status: 400, err: ErrBadRequest, body: "body"},
	{name: "cross-site origin", raw: rawRequest([]string{"Origin: https://evil.example"}),
		status: 403, err: ErrOriginNotAllowed, body: "origin not allowed"},
	{name: "origin with other port", raw: rawRequest([]string{"Origin: https://example.com:8443"}),
		status: 403, err: ErrOriginNotAllowed, body: "origin not allowed"},
	{name: "null origin", raw: rawRequest([]string{"Origin: null"}),
		status: 403, err: ErrOriginNotAllowed, body: "origin not allowed"},
	{name: "malformed origin", raw: rawRequest([]string{"Origin: example.com"}),
		status: 403, err: ErrOriginNotAllowed},
	{name: "origin pattern mismatch", u: &Upgrader{OriginPatterns: []string{"*.example.org", "https://good.example"}},
		raw: rawRequest([]string{"Origin: http://good.example"}), status: 403, err: ErrOriginNotAllowed},
	{name: "bad origin pattern", u: &Upgrader{OriginPatterns: []string{"[bad"}},
		raw: rawRequest([]string{"Origin: https://evil.example"}), status: 500},
	{name: "required subprotocol missing", u: &Upgrader{Subprotocols: []string{"chat"}, RequireSubprotocol: true},
		raw: rawRequest([]string{"Sec-WebSocket-Protocol: superchat, other"}), status: 400, err: ErrNoSubprotocol, body: "subprotocol"},
	{name: "required subprotocol, none offered", u: &Upgrader{Subprotocols: []string{"chat"}, RequireSubprotocol: true},
		raw: rawRequest(nil), status: 400, err: ErrNoSubprotocol},
	{name: "malformed extensions", u: &Upgrader{Negotiate: negotiateFirst},
		raw: rawRequest([]string{"Sec-WebSocket-Extensions: permessage-deflate; x="}), status: 400, err: ErrBadExtension,
		body: "Sec-WebSocket-Extensions"},
	{name: "negotiation error", u: &Upgrader{Negotiate: func([]Extension) ([]Extension, error) { return nil, errors.New("nope") }},
		raw: rawRequest([]string{"Sec-WebSocket-Extensions: permessage-deflate"}), status: 400, err: ErrBadExtension},
	{name: "negotiate answers unoffered", u: &Upgrader{Negotiate: func([]Extension) ([]Extension, error) {
		return []Extension{{Name: "x-other"}}, nil
	}}, raw: rawRequest([]string{"Sec-WebSocket-Extensions: permessage-deflate"}), status: 500, err: ErrBadExtension},
	{name: "negotiate answers bad param", u: &Upgrader{Negotiate: func(o []Extension) ([]Extension, error) {
		return []Extension{{Name: o[0].Name, Params: []Param{{Name: "a b"}}}}, nil
	}}, raw: rawRequest([]string{"Sec-WebSocket-Extensions: permessage-deflate"}), status: 500, err: ErrBadExtension},

	// Both paths compare the Origin with the Host header. For an
	// absolute-form target net/http replaces the Host header with the
	// target's authority, so neither path trusts a host there: only
	// OriginPatterns admit an Origin (issue 12, item 13).
	{name: "absolute-form target naming the origin", raw: absoluteForm("http://evil.example/chat", "Origin: http://evil.example"),
		status: 403, err: ErrOriginNotAllowed, body: "origin not allowed"},
	{name: "absolute-form target, origin of the Host", raw: absoluteForm("ws://example.com/chat", "Origin: https://example.com"),
		status: 403, err: ErrOriginNotAllowed},
	{name: "asterisk target", raw: strings.Replace(rawRequest(nil), "/chat?room=1", "*", 1),
		status: 400, err: ErrBadRequest, body: "request target"},
	{name: "authority-like target", raw: strings.Replace(rawRequest(nil), "/chat?room=1", "//evil.example/chat", 1),
		status: 400, err: ErrBadRequest, body: "request target"},
	{name: "two Origin headers", raw: rawRequest([]string{"Origin: https://example.com", "Origin: https://evil.example"}),
		status: 400, err: ErrBadRequest, body: "Origin"},
	{name: "two Origin headers, origin check skipped", u: &Upgrader{InsecureSkipOriginCheck: true},
		raw:    rawRequest([]string{"Origin: https://example.com", "Origin: https://example.com"}),
		status: 400, err: ErrBadRequest, body: "Origin"},

	// Malformed HTTP that only the raw path sees (net/http refuses it itself).
	{name: "garbage", raw: "hello\r\n\r\n", rawOnly: true, status: 400, err: ErrBadRequest},
	{name: "empty request line", raw: "\r\n\r\n", rawOnly: true, status: 400, err: ErrBadRequest},
	{name: "bad version syntax", raw: strings.Replace(rawRequest(nil), "HTTP/1.1", "HTTP/one", 1), rawOnly: true,
		status: 400, err: ErrBadRequest},
	{name: "space before colon", raw: rawRequest([]string{"X-Foo : bar"}), rawOnly: true, status: 400, err: ErrBadRequest},
	{name: "no colon", raw: rawRequest([]string{"X-Foo"}), rawOnly: true, status: 400, err: ErrBadRequest},
	{name: "obs-fold", raw: rawRequest([]string{"X-Foo: a", " b"}), rawOnly: true, status: 400, err: ErrBadRequest},
	{name: "control character", raw: rawRequest([]string{"X-Foo: a\x00b"}), rawOnly: true, status: 400, err: ErrBadRequest},
	{name: "no Host", raw: rawRequest(nil, "Host"), rawOnly: true, status: 400, err: ErrBadRequest, body: "Host"},
	{name: "two Hosts", raw: rawRequest([]string{"Host: other.example"}), rawOnly: true, status: 400, err: ErrBadRequest},
	{name: "too large", raw: rawRequest([]string{"Cookie: " + strings.Repeat("a", 9000)}), rawOnly: true,
		status: 431, err: ErrRequestTooLarge},
	{name: "too large for custom limit", u: &Upgrader{MaxRequestBytes: 100}, raw: rawRequest(nil), rawOnly: true,
		status: 431, err: ErrRequestTooLarge},
}

// absoluteForm is rawRequest with target as an absolute-form request
// target (the Host header stays example.com) and extra lines.
func absoluteForm(target string, extra ...string) string {
	return strings.Replace(rawRequest(extra), "/chat?room=1", target, 1)
}

func checkRejection(t *testing.T, tc rejectCase, err error, status int, h http.Header, body string) {
	t.Helper()
	if err == nil {
		t.Fatalf("upgrade succeeded, want status %d", tc.status)
	}
	if tc.err != nil && !errors.Is(err, tc.err) {
		t.Errorf("error = %v, want errors.Is %v", err, tc.err)
	}
	if status != tc.status {
		t.Errorf("status = %d, want %d", status, tc.status)
	}
	for k, v := range tc.header {
		if !hasToken(h.Values(k), v) {
			t.Errorf("header %s = %q, want it to list %q", k, h.Values(k), v)
		}
	}
	if h.Get("Sec-WebSocket-Accept") != "" {
		t.Errorf("rejection carries Sec-WebSocket-Accept")
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain", h.Get("Content-Type"))
	}
	if !strings.Contains(body, tc.body) || strings.TrimSpace(body) == "" {
		t.Errorf("body = %q, want it to contain %q", body, tc.body)
	}
}

func TestUpgradeRejections(t *testing.T) {
	for _, tc := range rejectCases {
		if tc.rawOnly {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(tc.raw)))
			if err != nil {
				t.Fatalf("ReadRequest: %v", err)
			}
			u := tc.u
			if u == nil {
				u = &Upgrader{}
			}
			rec := httptest.NewRecorder()
			res, err := u.Upgrade(rec, r)
			if res != nil {
				t.Fatalf("Upgrade returned a Result")
			}
			resp := rec.Result()
			body, _ := io.ReadAll(resp.Body)
			checkRejection(t, tc, err, resp.StatusCode, resp.Header, string(body))
		})
	}
}

func TestUpgradeConnRejections(t *testing.T) {
	for _, tc := range rejectCases {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.u
			if u == nil {
				u = &Upgrader{}
			}
			res, err, resp, body := rawExchange(t, u, tc.raw)
			if res != nil {
				t.Fatalf("UpgradeConn returned a Result")
			}
			checkRejection(t, tc, err, resp.StatusCode, resp.Header, body)
			if !resp.Close {
				t.Errorf("rejection does not close the connection")
			}
		})
	}
}

// The same table through a real net/http server, the requests sent on a
// TCP connection as they are written (http.Client would not send an
// absolute-form or "*" target).
func TestUpgradeRejectionsNetHTTP(t *testing.T) {
	for _, tc := range rejectCases {
		if tc.rawOnly {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			u := tc.u
			if u == nil {
				u = &Upgrader{}
			}
			resp, body, err := netHTTPExchange(t, u, tc.raw)
			checkRejection(t, tc, err, resp.StatusCode, resp.Header, body)
		})
	}
}

// Requests the two paths must both accept, and both refuse, alike.
func TestUpgradePathsAgree(t *testing.T) {
	patterns := &Upgrader{OriginPatterns: []string{"example.com"}}
	for _, tc := range []struct {
		name   string
		u      *Upgrader
		raw    string
		status int
	}{
		{"absolute-form, no Origin", nil, absoluteForm("ws://example.com/chat"), 101},
		{"absolute-form, other authority, no Origin", nil, absoluteForm("http://other.example/chat"), 101},
		{"absolute-form, Origin in OriginPatterns", patterns, absoluteForm("ws://example.com/chat", "Origin: https://example.com"), 101},
		{"absolute-form, Origin of the authority not in OriginPatterns", patterns,
			absoluteForm("http://evil.example/chat", "Origin: http://evil.example"), 403},
		{"absolute-form, origin check skipped", &Upgrader{InsecureSkipOriginCheck: true},
			absoluteForm("http://evil.example/chat", "Origin: http://evil.example"), 101},
		{"same origin", nil, rawRequest([]string{"Origin: http://example.com"}), 101},
		{"one Origin header listing two origins", nil, rawRequest([]string{"Origin: http://example.com, http://evil.example"}), 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.u
			if u == nil {
				u = &Upgrader{}
			}
			_, rerr, rresp, _ := rawExchange(t, u, tc.raw)
			hresp, _, herr := netHTTPExchange(t, u, tc.raw)
			if rresp.StatusCode != tc.status || hresp.StatusCode != tc.status {
				t.Errorf("status: UpgradeConn %d (%v), Upgrade %d (%v); want %d", rresp.StatusCode, rerr, hresp.StatusCode, herr, tc.status)
			}
		})
	}
}

// A ResponseWriter that cannot hijack yields 500 with an explanation.
func TestUpgradeCannotHijack(t *testing.T) {
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(rawRequest(nil))))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	_, err = (&Upgrader{}).Upgrade(rec, r)
	if !errors.Is(err, http.ErrNotSupported) {
		t.Errorf("error = %v, want http.ErrNotSupported", err)
	}
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "hijack") {
		t.Errorf("response = %d %q, want 500 explaining hijack", rec.Code, rec.Body.String())
	}
}

func TestUpgradeConnAccepts(t *testing.T) {
	pmdOffer := "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-foo"
	tests := []struct {
		name  string
		u     *Upgrader
		extra []string
		drop  []string
		sub   string
		exts  string // response Sec-WebSocket-Extensions
		more  map[string]string
	}{
		{name: "plain"},
		{name: "odd Connection list", extra: []string{"Connection: keep-alive, Upgrade"}, drop: []string{"Connection"}},
		{name: "upper case", extra: []string{"UPGRADE: WebSocket", "CONNECTION: UPGRADE"}, drop: []string{"Upgrade", "Connection"}},
		{name: "lower-case names", extra: []string{"upgrade: websocket", "connection: upgrade", "sec-websocket-key: " + testKey,
			"sec-websocket-version: 13", "host: example.com"},
			drop: []string{"Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Host"}},
		{name: "several Connection lines", extra: []string{"Connection: keep-alive", "Connection: Upgrade"}, drop: []string{"Connection"}},
		{name: "Upgrade list", extra: []string{"Upgrade: foo/2, WebSocket"}, drop: []string{"Upgrade"}},
		{name: "same origin", extra: []string{"Origin: https://EXAMPLE.com"}},
		{name: "origin pattern", u: &Upgrader{OriginPatterns: []string{"*.example.org"}},
			extra: []string{"Origin: https://app.Example.org"}},
		{name: "origin full pattern", u: &Upgrader{OriginPatterns: []string{"https://*.example.org"}},
			extra: []string{"Origin: https://app.example.org"}},
		{name: "null origin allowed", u: &Upgrader{OriginPatterns: []string{"null"}}, extra: []string{"Origin: null"}},
		{name: "skip origin check", u: &Upgrader{InsecureSkipOriginCheck: true}, extra: []string{"Origin: https://evil.example"}},
		{name: "subprotocol by server preference", u: &Upgrader{Subprotocols: []string{"c", "b"}},
			extra: []string{"Sec-WebSocket-Protocol: a, b", "Sec-WebSocket-Protocol: c"}, sub: "c"},
		{name: "subprotocol no match", u: &Upgrader{Subprotocols: []string{"x"}},
			extra: []string{"Sec-WebSocket-Protocol: a, b"}},
		{name: "required subprotocol", u: &Upgrader{Subprotocols: []string{"x", "b"}, RequireSubprotocol: true},
			extra: []string{"Sec-WebSocket-Protocol: a,b"}, sub: "b"},
		{name: "extensions", u: &Upgrader{Negotiate: negotiateFirst}, extra: []string{pmdOffer},
			exts: "permessage-deflate; client_max_window_bits"},
		{name: "extensions declined", u: &Upgrader{Negotiate: func([]Extension) ([]Extension, error) { return nil, nil }},
			extra: []string{pmdOffer}},
		{name: "extensions ignored without Negotiate", extra: []string{"Sec-WebSocket-Extensions: ;;;"}},
		{name: "extra headers", u: &Upgrader{Header: http.Header{"Set-Cookie": {"a=b"}, "Upgrade": {"evil"}, "X-Bad": {"a\r\nInjected: 1"}}},
			more: map[string]string{"Set-Cookie": "a=b", "X-Bad": "a  Injected: 1"}},
		{name: "large headers within limit", extra: []string{"Cookie: " + strings.Repeat("a", 6000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.u
			if u == nil {
				u = &Upgrader{}
			}
			res, err, resp, body := rawExchange(t, u, rawRequest(tt.extra, tt.drop...))
			if err != nil {
				t.Fatalf("UpgradeConn: %v (response %d %q)", err, resp.StatusCode, body)
			}
			if resp.StatusCode != 101 {
				t.Fatalf("status = %d", resp.StatusCode)
			}
			h := resp.Header
			want := map[string]string{
				"Upgrade":                  "websocket",
				"Connection":               "Upgrade",
				"Sec-WebSocket-Accept":     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
				"Sec-WebSocket-Protocol":   tt.sub,
				"Sec-WebSocket-Extensions": tt.exts,
			}
			for k, v := range tt.more {
				want[k] = v
			}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Errorf("response header %s = %q, want %q", k, got, v)
				}
			}
			if n := len(h.Values("Upgrade")); n != 1 {
				t.Errorf("%d Upgrade headers, want 1", n)
			}
			if res.Subprotocol != tt.sub {
				t.Errorf("Result.Subprotocol = %q, want %q", res.Subprotocol, tt.sub)
			}
			if got := FormatExtensions(res.Extensions); got != tt.exts {
				t.Errorf("Result.Extensions = %q, want %q", got, tt.exts)
			}
			if res.RequestURI != "/chat?room=1" {
				t.Errorf("Result.RequestURI = %q", res.RequestURI)
			}
			if got := res.Header.Get("Sec-WebSocket-Key"); got != testKey {
				t.Errorf("Result.Header key = %q", got)
			}
			if res.Buffered != nil {
				t.Errorf("Result.Buffered = %q, want nil", res.Buffered)
			}
		})
	}
}

// The raw path builds the same header map as net/http.
func TestUpgradeConnHeaderMatchesNetHTTP(t *testing.T) {
	raw := rawRequest([]string{"Connection: keep-alive", "x-lower: 1", "X-MiXeD-case:  spaced  ", "Sec-WebSocket-Protocol: a",
		"Sec-WebSocket-Protocol: b, c", "Empty:"})
	res, err, _, _ := rawExchange(t, &Upgrader{}, raw)
	if err != nil {
		t.Fatal(err)
	}
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Header.Get("Host"); got != "example.com" {
		t.Errorf("raw Host = %q", got)
	}
	delete(res.Header, "Host") // net/http moves it to r.Host
	if !reflect.DeepEqual(res.Header, r.Header) {
		t.Errorf("raw header:\n%#v\nnet/http header:\n%#v", res.Header, r.Header)
	}
}
