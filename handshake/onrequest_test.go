package handshake

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// TestOnRequestBothPaths checks that OnRequest sees the same request, and
// its answer goes out the same, on UpgradeConn and on Upgrade.
func TestOnRequestBothPaths(t *testing.T) {
	type seen struct {
		method, path, query, host, cookie, uri string
		remote, hasCtx                         bool
	}
	var got []seen
	u := &Upgrader{
		Subprotocols: []string{"a"},
		Header:       http.Header{"X-Both": {"upgrader"}, "X-Kept": {"1"}},
		OnRequest: func(r *http.Request, resp *Response) error {
			ck, _ := r.Cookie("sid")
			var v string
			if ck != nil {
				v = ck.Value
			}
			got = append(got, seen{r.Method, r.URL.Path, r.URL.Query().Get("room"), r.Host, v, r.RequestURI, r.RemoteAddr != "", r.Context() != nil})
			if r.URL.Query().Get("room") == "locked" {
				return &StatusError{StatusCode: http.StatusForbidden, Header: http.Header{"X-Why": {"locked"}, "Connection": {"keep-alive"}}, Body: []byte("room locked")}
			}
			resp.Subprotocol = "b"
			resp.Header.Set("X-Both", "hook") // replaces Upgrader.Header's
			resp.Header.Add("Set-Cookie", "a=1")
			resp.Header.Add("Set-Cookie", "b=2")
			resp.Header.Set("Sec-WebSocket-Accept", "forged") // ignored
			return nil
		},
	}
	req := rawRequest([]string{"Cookie: sid=77", "Sec-WebSocket-Protocol: a, b"})
	res, err, resp, _ := rawExchange(t, u, req)
	if err != nil {
		t.Fatal(err)
	}
	netResp, _, netErr := netHTTPExchange(t, u, req)
	if netErr != nil {
		t.Fatal(netErr)
	}
	if len(got) != 2 || got[0] != got[1] {
		t.Fatalf("requests seen differ: %+v", got)
	}
	want := seen{"GET", "/chat", "1", "example.com", "77", "/chat?room=1", true, true}
	if got[0] != want {
		t.Errorf("request seen %+v, want %+v", got[0], want)
	}
	if res.Subprotocol != "b" {
		t.Errorf("subprotocol %q", res.Subprotocol)
	}
	for _, r := range []*http.Response{resp, netResp} {
		h := r.Header
		if r.StatusCode != 101 || h.Get("Sec-Websocket-Protocol") != "b" || h.Get("X-Both") != "hook" || h.Get("X-Kept") != "1" ||
			len(h["Set-Cookie"]) != 2 || len(h["Sec-Websocket-Accept"]) != 1 || h.Get("Sec-Websocket-Accept") == "forged" {
			t.Errorf("response %d %v", r.StatusCode, h)
		}
	}

	got = nil
	req = strings.Replace(rawRequest(nil), "room=1", "room=locked", 1)
	_, err, resp, body := rawExchange(t, u, req)
	netResp, netBody, netErr := netHTTPExchange(t, u, req)
	for i, r := range []*http.Response{resp, netResp} {
		e := []error{err, netErr}[i]
		b := []string{body, netBody}[i]
		var se *StatusError
		if r.StatusCode != 403 || b != "room locked" || r.Header.Get("X-Why") != "locked" || !errors.As(e, &se) {
			t.Errorf("path %d: refusal %d %q %v, error %v", i, r.StatusCode, b, r.Header, e)
		}
		if strings.Contains(strings.ToLower(r.Header.Get("Connection")), "keep-alive") {
			t.Errorf("path %d: the refusal let OnRequest set Connection: %v", i, r.Header)
		}
	}
}

// TestOnRequestAbsoluteTarget: an absolute-form target names the host, as
// net/http has it.
func TestOnRequestAbsoluteTarget(t *testing.T) {
	var host, path string
	u := &Upgrader{OnRequest: func(r *http.Request, _ *Response) error {
		host, path = r.Host, r.URL.Path
		return nil
	}}
	req := strings.Replace(rawRequest(nil), "GET /chat?room=1", "GET http://other.example/feed", 1)
	if _, err, _, _ := rawExchange(t, u, req); err != nil {
		t.Fatal(err)
	}
	if host != "other.example" || path != "/feed" {
		t.Errorf("host %q, path %q", host, path)
	}
}
