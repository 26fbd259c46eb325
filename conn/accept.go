package conn

import (
	"context"
	"net/http"

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
	u := handshake.Upgrader{
		Subprotocols:            opts.Subprotocols,
		RequireSubprotocol:      opts.RequireSubprotocol,
		OriginPatterns:          opts.OriginPatterns,
		InsecureSkipOriginCheck: opts.InsecureSkipOriginCheck,
		Header:                  opts.Header,
	}
	var params *deflate.Params
	if cfg := opts.Compression; cfg != nil {
		u.Negotiate = func(offers []handshake.Extension) ([]handshake.Extension, error) {
			resp, p, ok := cfg.Negotiate(offers)
			if !ok {
				return nil, nil
			}
			params = &p
			return []handshake.Extension{resp}, nil
		}
	}
	res, err := u.Upgrade(w, r)
	if err != nil {
		return nil, err
	}
	return newConn(res.Conn, res.Buffered, frame.Server, &opts.Options, res.Subprotocol, params), nil
}

// Dial opens a WebSocket connection to a ws:// or wss:// URL, the client's
// side of the opening handshake; ctx bounds the whole handshake (TCP, TLS,
// HTTP). A non-101 answer is reported as a *handshake.StatusError carrying
// the status, headers and the start of the body. A nil opts means the
// defaults.
func Dial(ctx context.Context, url string, opts *DialOptions) (*Conn, error) {
	if opts == nil {
		opts = &DialOptions{}
	}
	d := handshake.Dialer{
		NetDial:      opts.NetDial,
		TLSConfig:    opts.TLSConfig,
		Proxy:        opts.Proxy,
		Header:       opts.Header,
		Origin:       opts.Origin,
		Subprotocols: opts.Subprotocols,
	}
	var params *deflate.Params
	if cfg := opts.Compression; cfg != nil {
		d.Extensions = cfg.Offers()
		d.AcceptExtensions = func(resp []handshake.Extension) error {
			p, ok, err := cfg.Accept(resp)
			if err != nil {
				return err
			}
			if ok {
				params = &p
			}
			return nil
		}
	}
	res, err := d.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return newConn(res.Conn, res.Buffered, frame.Client, &opts.Options, res.Subprotocol, params), nil
}
