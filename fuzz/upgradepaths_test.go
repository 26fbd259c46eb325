package fuzz

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/handshake"
)

// FuzzUpgradePaths compares the two server paths of package handshake on the
// same request: Upgrader.UpgradeConn, which parses the request itself, and
// Upgrader.Upgrade, given what net/http's http.ReadRequest makes of it. A
// request that UpgradeConn accepts must be one net/http reads as well (a
// laxer raw parser would let requests through that proxies and net/http
// servers see differently) and that Upgrade accepts too, with the same
// subprotocol, extensions and request target. (UpgradeConn may refuse more.)
func FuzzUpgradePaths(f *testing.F) {
	for _, r := range []string{chromeRequest, firefoxRequest, safariRequest, rfcRequest} {
		f.Add([]byte(r))
	}
	for _, r := range badRequests {
		f.Add([]byte(r))
	}
	f.Fuzz(func(t *testing.T, req []byte) {
		defer watchdog()()
		var cfg deflate.Config
		u := handshake.Upgrader{
			Subprotocols:   []string{"v2.json", "chat"},
			OriginPatterns: []string{"example.com", "*.example.com"},
			Negotiate: func(offers []handshake.Extension) ([]handshake.Extension, error) {
				if resp, _, ok := cfg.Negotiate(offers); ok {
					return []handshake.Extension{resp}, nil
				}
				return nil, nil
			},
			HandshakeTimeout: time.Second,
			MaxRequestBytes:  1 << 20,
		}
		raw := &scriptConn{in: req}
		rres, rerr := u.UpgradeConn(context.Background(), raw)
		if rres != nil {
			defer rres.Conn.Close()
		}

		// The same request, served by net/http.
		called, hres, herr := serveHTTP(&u, req)
		if hres != nil {
			defer hres.Conn.Close()
		}
		if !called {
			if rerr == nil {
				t.Fatalf("UpgradeConn accepted a request that net/http rejects:\n%q", req)
			}
			return
		}
		// UpgradeConn may be stricter (it refuses obs-fold, which net/http
		// unfolds; RFC 7230 §3.2.4 allows both), not laxer.
		if rerr == nil && herr != nil {
			t.Fatalf("UpgradeConn: %v; Upgrade after net/http: %v\n%q", rerr, herr, req)
		}
		if rerr != nil {
			return
		}
		if rres.Subprotocol != hres.Subprotocol || !equalExtensions(rres.Extensions, hres.Extensions) || rres.RequestURI != hres.RequestURI {
			t.Fatalf("UpgradeConn: %q %v %q; Upgrade: %q %v %q\n%q", rres.Subprotocol, rres.Extensions, rres.RequestURI,
				hres.Subprotocol, hres.Extensions, hres.RequestURI, req)
		}
	})
}

// serveHTTP serves req with an http.Server whose handler calls u.Upgrade,
// and reports whether net/http called the handler and what Upgrade returned.
func serveHTTP(u *handshake.Upgrader, req []byte) (called bool, res *handshake.Result, err error) {
	done := make(chan struct{}, 2)
	c := &scriptConn{in: req, onClose: func() { done <- struct{}{} }}
	l := &oneConnListener{c: make(chan net.Conn, 1), closed: make(chan struct{})}
	l.c <- c
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			called = true
			res, err = u.Upgrade(w, r)
			done <- struct{}{}
		}),
		ErrorLog: log.New(io.Discard, "", 0),
	}
	served := make(chan struct{})
	go func() {
		srv.Serve(l)
		close(served)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		panic("net/http did not answer")
	}
	srv.Close()
	<-served
	return called, res, err
}

// oneConnListener is a net.Listener that accepts one connection.
type oneConnListener struct {
	c      chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.c:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *oneConnListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *oneConnListener) Addr() net.Addr { return fakeAddr("127.0.0.1:80") }
