package handshake

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"testing"
)

func acceptDeflate(offers []Extension) ([]Extension, error) {
	for _, o := range offers {
		if o.Name == "permessage-deflate" {
			return []Extension{{Name: o.Name}}, nil
		}
	}
	return nil, nil
}

// BenchmarkUpgradeConn measures the raw path for a typical browser request.
func BenchmarkUpgradeConn(b *testing.B) {
	for _, bc := range []struct {
		name string
		u    *Upgrader
	}{
		{"plain", &Upgrader{}},
		{"deflate", &Upgrader{Negotiate: acceptDeflate}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := []byte(browserRequest)
			c := &fakeConn{}
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(int64(len(req)))
			for b.Loop() {
				c.reset(req)
				if _, err := bc.u.UpgradeConn(ctx, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUpgradeHTTP measures the net/http path for the same request:
// "ReadRequest" includes http.ReadRequest (part of what a net/http server
// does before the handler runs, a lower bound of its cost), "Upgrade" only
// the Upgrade call on an already parsed request.
func BenchmarkUpgradeHTTP(b *testing.B) {
	req := []byte(browserRequest)
	c := &fakeConn{}
	br := bufio.NewReader(bytes.NewReader(req))
	w := &hijackWriter{conn: c, brw: bufio.NewReadWriter(br, bufio.NewWriter(c))}
	u := &Upgrader{Negotiate: acceptDeflate}
	b.Run("ReadRequest", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(req)))
		for b.Loop() {
			br.Reset(bytes.NewReader(req))
			r, err := http.ReadRequest(br)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := u.Upgrade(w, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Upgrade", func(b *testing.B) {
		br.Reset(bytes.NewReader(req))
		r, err := http.ReadRequest(br)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := u.Upgrade(w, r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkAcceptKey(b *testing.B) {
	dst := make([]byte, 0, acceptLen)
	b.ReportAllocs()
	for b.Loop() {
		dst = appendAcceptKey(dst[:0], testKey)
	}
}

func BenchmarkParseExtensions(b *testing.B) {
	h := http.Header{"Sec-Websocket-Extensions": {"permessage-deflate; client_max_window_bits, permessage-deflate"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseExtensions(h); err != nil {
			b.Fatal(err)
		}
	}
}
