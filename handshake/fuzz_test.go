package handshake

import (
	"bytes"
	"context"
	"net/http"
	"reflect"
	"testing"
)

func FuzzParseExtensions(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate; client_max_window_bits",
		`x-foo; a="1\0"; b, x-bar ; c = d`,
		", ,x",
		`x; a="`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		exts, err := ParseExtensions(http.Header{"Sec-Websocket-Extensions": {s}})
		if err != nil {
			return
		}
		out := FormatExtensions(exts)
		back, err := ParseExtensions(http.Header{"Sec-Websocket-Extensions": {out}})
		if err != nil || !reflect.DeepEqual(back, exts) {
			t.Fatalf("%q parsed as %#v, formatted as %q, parsed back as %#v, %v", s, exts, out, back, err)
		}
	})
}

func FuzzUpgradeConn(f *testing.F) {
	f.Add([]byte(browserRequest))
	f.Add([]byte(rawRequest([]string{"Sec-WebSocket-Protocol: a, b", "Origin: null"})))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &fakeConn{keep: true}
		c.reset(b)
		u := &Upgrader{MaxRequestBytes: 2048, Negotiate: acceptDeflate, Subprotocols: []string{"b"}}
		res, err := u.UpgradeConn(context.Background(), c)
		if err != nil {
			if res != nil {
				t.Fatal("Result with an error")
			}
			if len(c.out) > 0 && !bytes.HasPrefix(c.out, []byte("HTTP/1.1 4")) && !bytes.HasPrefix(c.out, []byte("HTTP/1.1 50")) {
				t.Fatalf("error response %q", c.out)
			}
			return
		}
		if !bytes.HasPrefix(c.out, []byte("HTTP/1.1 101 ")) || !validKey(res.Header.Get("Sec-WebSocket-Key")) {
			t.Fatalf("accepted %q with response %q", b, c.out)
		}
	})
}
