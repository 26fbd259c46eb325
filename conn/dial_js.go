//go:build js && wasm

package conn

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"syscall/js"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/handshake"
)

// Dial opens a WebSocket connection to url with the browser's WebSocket
// object: a ws:// or wss:// URL, or whatever else the browser accepts
// (recent browsers take http://, https:// and URLs relative to the page).
// ctx bounds the opening handshake, and when ctx has no deadline
// handshake.DefaultDialTimeout (45 s) does; a handshake cut by either fails
// with an error matching the context's error. The browser tells nothing of
// why a handshake failed (a refused connection, a non-101 answer, a TLS
// error look alike): the error then wraps a *CloseError with code 1006,
// and the browser's console tells more. A nil opts means the defaults.
//
// Of the options, the browser honours only DialOptions.Subprotocols,
// Options.ReadLimit, Options.CloseTimeout and a negative
// Options.PingInterval (no keepalive pings, which is what the browser
// does). Setting any other field fails Dial with an error matching
// ErrNotInBrowser that names the field.
func Dial(ctx context.Context, url string, opts *DialOptions) (*Conn, error) {
	if opts == nil {
		opts = &DialOptions{}
	}
	if err := checkFields(reflect.ValueOf(opts).Elem()); err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, handshake.DefaultDialTimeout)
		defer cancel()
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("conn: dial %s: %w", url, err)
	}
	ctor := js.Global().Get("WebSocket")
	if ctor.IsUndefined() {
		return nil, fmt.Errorf("conn: dial %s: this JavaScript environment has no WebSocket: %w", url, ErrNotInBrowser)
	}
	c := newJSConn()
	c.readLimit.Store(opts.ReadLimit)
	if opts.ReadLimit == 0 {
		c.readLimit.Store(DefaultReadLimit)
	}
	c.closeTimeout = opts.CloseTimeout
	protocols := make([]any, len(opts.Subprotocols))
	for i, p := range opts.Subprotocols {
		protocols[i] = p
	}
	// The WebSocket constructor throws a SyntaxError for a URL or a
	// subprotocol list it refuses.
	if err := jsCall(func() { c.ws = ctor.New(url, protocols) }); err != nil {
		return nil, fmt.Errorf("conn: dial %s: %w", url, err)
	}
	c.ws.Set("binaryType", "arraybuffer")
	c.url = c.ws.Get("url").String()
	c.listen()
	select {
	case <-c.opened:
		return c, nil
	case <-c.done:
		select {
		case <-c.opened:
			return c, nil // opened, then ended at once: reads will tell
		default:
		}
		return nil, fmt.Errorf("conn: dial %s: the browser could not open the connection (its console may tell why): %w", url, c.ended.Load())
	case <-ctx.Done():
		c.CloseNow()
		return nil, fmt.Errorf("conn: dial %s: %w", url, ctx.Err())
	}
}

// checkFields refuses the fields of v, a DialOptions or an Options
// embedded in it, that are set but that the browser cannot honour. It
// looks at every field, so that a field added to the options later is
// refused until the browser build learns of it, rather than ignored.
func checkFields(v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			if err := checkFields(fv); err != nil {
				return err
			}
			continue
		}
		if fv.IsZero() || (fv.Kind() == reflect.Map || fv.Kind() == reflect.Slice) && fv.Len() == 0 {
			continue
		}
		name := t.Name() + "." + f.Name
		switch name {
		case "DialOptions.Subprotocols", "Options.ReadLimit", "Options.CloseTimeout":
			continue
		case "Options.PingInterval":
			if fv.Int() < 0 {
				continue
			}
		}
		why, ok := notInBrowser[name]
		if !ok {
			why = "the browser's WebSocket has no such setting"
		}
		return fmt.Errorf("conn: Dial: %s cannot be set: %s: %w", name, why, ErrNotInBrowser)
	}
	return nil
}

// notInBrowser tells why the browser cannot honour an option.
var notInBrowser = map[string]string{
	"DialOptions.Header":     "the browser writes the request's headers itself",
	"DialOptions.Origin":     "the browser sends the page's origin",
	"DialOptions.TLSConfig":  "the browser does TLS with its own settings",
	"DialOptions.Proxy":      "the browser uses its own proxy settings",
	"DialOptions.NetDial":    "the browser opens the connection itself",
	"Options.Compression":    "the browser negotiates permessage-deflate itself (Compression reports what it agreed)",
	"Options.PingInterval":   "the browser sends no pings, it only answers the server's",
	"Options.PongTimeout":    "the browser sends no pings, it only answers the server's",
	"Options.ReadBufferSize": "the browser manages its buffers itself",
	"Options.WriteBufferSize": "the browser manages its buffers itself; " +
		"Write waits while its bufferedAmount is above 1 MiB",
	"Options.MaxFrameSize": "the browser frames messages itself",
	"Options.Negotiated":   "it is for New, which the browser build does not have",
}

// errServer is the error of the server side, refused in the browser.
func errServer(name string) error {
	return fmt.Errorf("conn: %s: a browser cannot serve WebSocket connections: %w", name, ErrNotInBrowser)
}

// Accept is refused in the browser, which cannot serve WebSocket
// connections: it answers 501 Not Implemented and returns an error
// matching ErrNotInBrowser.
func Accept(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (*Conn, error) {
	http.Error(w, "WebSocket server not available in the browser", http.StatusNotImplemented)
	return nil, errServer("Accept")
}

// AcceptConn is refused in the browser, which cannot serve WebSocket
// connections: it closes c and returns an error matching ErrNotInBrowser.
func AcceptConn(ctx context.Context, c net.Conn, opts *AcceptOptions) (*Conn, error) {
	c.Close()
	return nil, errServer("AcceptConn")
}

// New is refused in the browser, whose connections are all the browser's
// WebSocket objects: it closes c and returns a Conn that has already ended,
// with a *CloseError (code 1006) wrapping ErrNotInBrowser.
func New(c net.Conn, buffered []byte, role frame.Role, opts *Options) *Conn {
	c.Close()
	cn := newJSConn()
	cn.end(&CloseError{Code: closecode.Abnormal, Reason: "conn.New is not available in the browser", Err: errServer("New")}, true)
	return cn
}
