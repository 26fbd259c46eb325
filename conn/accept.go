//go:build !js

package conn

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/handshake"
)

// Accept upgrades an HTTP request to a WebSocket connection, the server's
// side of the opening handshake. On failure it has already written an HTTP
// error response and returns the reason. A nil opts means the defaults,
// which check the Origin header (see AcceptOptions.OriginPatterns).
func Accept(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (*Conn, error) {
	if opts == nil {
		opts = &AcceptOptions{}
	}
	if err := opts.check(); err != nil {
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return nil, err
	}
	// As in AcceptConn, the handshake runs on a goroutine of its own so
	// that its deep call chain does not grow the handler's stack, which a
	// read loop in the handler would keep for the life of the connection.
	// The handler goroutine waits, so w and r are never used concurrently,
	// and a panic of the handshake (a ResponseWriter's Hijack, a
	// Negotiate hook) is raised again on it, where net/http recovers it.
	return handOver(func() (*Conn, error) {
		u, params := newUpgrader(opts)
		res, err := u.Upgrade(w, r)
		if err != nil {
			return nil, err
		}
		return newConn(res.Conn, res.Buffered, frame.Server, &opts.Options, res.Subprotocol, params.get()), nil
	})
}

// handOver runs f on a goroutine of its own and returns its results on the
// caller's goroutine. If f panics, handOver panics with the same value; if
// f calls runtime.Goexit, so does handOver.
func handOver(f func() (*Conn, error)) (*Conn, error) {
	type outcome struct {
		c        *Conn
		err      error
		returned bool
		panicked any
	}
	ch := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() {
			if !o.returned {
				o.panicked = recover() // nil after runtime.Goexit
			}
			ch <- o
		}()
		o.c, o.err = f()
		o.returned = true
	}()
	o := <-ch
	switch {
	case o.panicked != nil:
		panic(o.panicked)
	case !o.returned:
		runtime.Goexit()
	}
	return o.c, o.err
}

// AcceptConn performs the server's side of the opening handshake on c, a
// connection accepted from a net.Listener, without net/http, and returns
// the WebSocket connection: the low-memory server path, as a net/http
// server keeps its per-connection state (buffers, request, a deep goroutine
// stack) for as long as the handler runs. It reads and checks the request
// itself, as handshake.Upgrader.UpgradeConn does, and negotiates
// compression as Accept does. ctx bounds the handshake, which must also
// complete within 10 seconds; the request head may not exceed 8 KiB. On
// failure AcceptConn has written the HTTP error response when the request
// was refused, and has closed c. AcceptOptions.OnRequest sees the request
// (path, query, headers, cookies) before the answer, and may refuse it or
// choose the subprotocol and response headers. For wss://, c comes from a
// tls.Listener (see the example).
func AcceptConn(ctx context.Context, c net.Conn, opts *AcceptOptions) (*Conn, error) {
	// The handshake runs on a goroutine of its own: its deep call chain
	// would grow the caller's stack, which a goroutine then blocked in Read
	// keeps for the life of the connection. A panic of the handshake (c's
	// methods, a Negotiate hook) is raised again on the caller's goroutine.
	return handOver(func() (*Conn, error) { return acceptConn(ctx, c, opts) })
}

func acceptConn(ctx context.Context, c net.Conn, opts *AcceptOptions) (*Conn, error) {
	if opts == nil {
		opts = &AcceptOptions{}
	}
	if err := opts.check(); err != nil {
		c.Close()
		return nil, err
	}
	u, params := newUpgrader(opts)
	res, err := u.UpgradeConn(ctx, c)
	if err != nil {
		return nil, err
	}
	return newConn(res.Conn, res.Buffered, frame.Server, &opts.Options, res.Subprotocol, params.get()), nil
}

// negotiated receives the compression parameters a handshake agreed on. It
// is nil, and costs no allocation, when compression is off.
type negotiated struct{ p *deflate.Params }

// get returns the parameters, nil if none were agreed on.
func (n *negotiated) get() *deflate.Params {
	if n == nil {
		return nil
	}
	return n.p
}

// newUpgrader returns the upgrader for opts. When compression is
// configured, the upgrade records in params what it agreed on.
func newUpgrader(opts *AcceptOptions) (_ *handshake.Upgrader, params *negotiated) {
	u := &handshake.Upgrader{
		Subprotocols:            opts.Subprotocols,
		RequireSubprotocol:      opts.RequireSubprotocol,
		OriginPatterns:          opts.OriginPatterns,
		InsecureSkipOriginCheck: opts.InsecureSkipOriginCheck,
		Header:                  opts.Header,
		OnRequest:               opts.OnRequest,
	}
	if cfg := opts.Compression; cfg != nil {
		n := new(negotiated)
		u.Negotiate = func(offers []handshake.Extension) ([]handshake.Extension, error) {
			resp, p, ok := cfg.Negotiate(offers)
			if !ok {
				return nil, nil
			}
			n.p = &p
			return []handshake.Extension{resp}, nil
		}
		params = n
	}
	return u, params
}

// Dial opens a WebSocket connection to a ws:// or wss:// URL, the client's
// side of the opening handshake (DialOptions.OnResponse sees the server's
// answer, DialOptions.Jar keeps its cookies); ctx bounds the whole handshake (proxy,
// TCP, TLS, HTTP), and when ctx has no deadline handshake.DefaultDialTimeout
// (45 s) does, so that a server that never answers cannot block Dial
// forever. A handshake cut by either fails with an error matching
// context.DeadlineExceeded. A non-101 answer is reported as a
// *handshake.StatusError carrying the status, headers and the start of the
// body. A nil opts means the defaults.
func Dial(ctx context.Context, url string, opts *DialOptions) (*Conn, error) {
	if opts == nil {
		opts = &DialOptions{}
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	d := handshake.Dialer{
		NetDial:      opts.NetDial,
		TLSConfig:    opts.TLSConfig,
		Proxy:        opts.Proxy,
		Header:       opts.Header,
		Origin:       opts.Origin,
		Subprotocols: opts.Subprotocols,
		Transport:    opts.Transport,
		Jar:          opts.Jar,
	}
	var params *negotiated
	if cfg := opts.Compression; cfg != nil {
		n := new(negotiated)
		d.Extensions = cfg.Offers()
		d.AcceptExtensions = func(resp []handshake.Extension) error {
			p, ok, err := cfg.Accept(resp)
			if err != nil {
				return err
			}
			if ok {
				n.p = &p
			}
			return nil
		}
		params = n
	}
	res, err := d.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	if opts.OnResponse != nil {
		if err := opts.OnResponse(res.Response); err != nil {
			res.Conn.Close()
			return nil, fmt.Errorf("conn: dial refused by OnResponse: %w", err)
		}
	}
	return newConn(res.Conn, res.Buffered, frame.Client, &opts.Options, res.Subprotocol, params.get()), nil
}
