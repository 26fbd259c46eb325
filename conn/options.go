package conn

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/handshake"
	"github.com/hybi/ws/protocol"
)

// Defaults for Options fields left zero.
const (
	// DefaultReadLimit is the largest message a connection accepts unless
	// Options.ReadLimit says otherwise: 1 MiB. It is ample for chat messages,
	// feed updates and dashboard snapshots, while a thousand hostile
	// connections can pin at most about 1 GiB. Raise it per connection when
	// an application needs bigger messages.
	DefaultReadLimit = 1 << 20
	// DefaultBufferSize is the default size of the read and write buffers.
	DefaultBufferSize = 4096
	// DefaultCloseTimeout bounds each step of the close handshake.
	DefaultCloseTimeout = 5 * time.Second
	// DefaultPingInterval is the keepalive ping interval: well below the
	// 60 s idle timeout of nginx's default proxy_read_timeout and of most
	// load balancers.
	DefaultPingInterval = 25 * time.Second
	// DefaultPongTimeout is how long after a keepalive ping the peer has to
	// show it is alive.
	DefaultPongTimeout = 15 * time.Second
)

// Options tune a connection. The zero value, or a nil *Options, means the
// defaults.
type Options struct {
	// ReadLimit is the largest message, in bytes, that Read and Reader
	// accept (after decompression); a bigger one fails the connection with
	// 1009. 0 means DefaultReadLimit; a negative value means no limit.
	ReadLimit int64
	// ReadBufferSize and WriteBufferSize size the I/O buffers; 0 means
	// DefaultBufferSize. Buffers are pooled and held only while needed.
	ReadBufferSize  int
	WriteBufferSize int
	// CloseTimeout bounds the wait for the peer's close frame and, on a
	// client, for the server to close the TCP connection; it also bounds
	// every write no caller waits for: pongs, keepalive pings, close frames
	// and coalesced messages. A write that cannot go out within it tears
	// the connection down with ErrWriteTimeout. 0 means
	// DefaultCloseTimeout.
	CloseTimeout time.Duration
	// PingInterval is the keepalive interval: a ping is due that long after
	// the connection opened, and that long after the answer to the
	// previous one. 0 means DefaultPingInterval; a negative value turns
	// keepalive off. (The compressor of an idle compressed connection is
	// released a second or two after its last message, keeping only its
	// 32 KiB window, whether keepalive is on or off.)
	PingInterval time.Duration
	// PongTimeout is how long the peer has to answer a keepalive ping,
	// counted from the moment the ping was written; any byte from the peer
	// answers it. 0 means DefaultPongTimeout.
	PongTimeout time.Duration
	// Compression turns on permessage-deflate (RFC 7692) when not nil, with
	// these preferences. It is off by default.
	Compression *deflate.Config
	// MaxFrameSize bounds the payload of the data frames the connection
	// sends: longer messages go out as several frames, so that a pong or a
	// close frame waits behind at most one frame of a long write. 0 (or a
	// negative value) means DefaultMaxFrameSize, 64 KiB.
	MaxFrameSize int
	// Negotiated tells New what the opening handshake agreed on, for a
	// connection upgraded by other means than Accept, AcceptConn and Dial
	// (such as handshake.Upgrader.UpgradeConn), which set it themselves.
	Negotiated Negotiated
	// OnPing, if set, is called with the payload of every ping the peer
	// sends (its pong is queued already, and goes out whatever OnPing
	// does); OnPong with the payload of every pong, those answering
	// keepalive and Ping included. They run on the
	// goroutine reading c, inside its read call, and must not read c
	// themselves; the payload is valid only during the call. A connection
	// with either set keeps a pointer to these Options (not a copy), which
	// must then not change while it is open.
	OnPing func(c *Conn, payload []byte)
	OnPong func(c *Conn, payload []byte)
}

// DefaultMaxFrameSize is the default bound on the payload of outgoing data
// frames: 64 KiB. A control frame waits at most one such frame to go out,
// while the 14 bytes of a frame header cost 0.02% of it.
const DefaultMaxFrameSize = protocol.DefaultMaxFrameSize

// Negotiated is what an opening handshake agreed on: the subprotocol and
// the permessage-deflate parameters (deflate.Config.Negotiate and
// deflate.Config.Accept return them). With Deflate set, the connection's
// Options.Compression gives the local preferences (nil means deflate's
// defaults).
type Negotiated struct {
	Subprotocol string
	Deflate     *deflate.Params
}

// check returns the error for options no connection can have: only a
// negative compression threshold (other out-of-range values mean the
// defaults).
func (o *Options) check() error {
	if o.Compression != nil && o.Compression.Threshold < 0 {
		return fmt.Errorf("conn: invalid Options: negative Compression.Threshold %d", o.Compression.Threshold)
	}
	return nil
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.ReadLimit == 0 {
		r.ReadLimit = DefaultReadLimit
	}
	if r.ReadBufferSize <= 0 {
		r.ReadBufferSize = DefaultBufferSize
	}
	if r.ReadBufferSize < 256 {
		r.ReadBufferSize = 256
	}
	if r.WriteBufferSize <= 0 {
		r.WriteBufferSize = DefaultBufferSize
	}
	if r.WriteBufferSize < 256 {
		r.WriteBufferSize = 256
	}
	if r.CloseTimeout <= 0 {
		r.CloseTimeout = DefaultCloseTimeout
	}
	if r.PingInterval == 0 {
		r.PingInterval = DefaultPingInterval
	}
	if r.MaxFrameSize < 0 {
		r.MaxFrameSize = 0 // the protocol's default
	}
	if r.PongTimeout <= 0 {
		r.PongTimeout = DefaultPongTimeout
	}
	return r
}

// AcceptOptions configure Accept: the connection's Options and the server's
// side of the opening handshake.
type AcceptOptions struct {
	Options
	// Subprotocols lists the subprotocols the server speaks, in its order of
	// preference. The first one the client offered is chosen.
	Subprotocols []string
	// RequireSubprotocol refuses clients that offer none of Subprotocols.
	RequireSubprotocol bool
	// OriginPatterns lists extra Origin hosts allowed besides the request's
	// own host (path.Match patterns such as "*.example.com"). Requests from
	// other origins are refused with 403, against cross-site WebSocket
	// hijacking.
	OriginPatterns []string
	// InsecureSkipOriginCheck turns the Origin check off.
	InsecureSkipOriginCheck bool
	// Header holds extra response headers, such as Set-Cookie.
	Header http.Header
	// OnRequest, if set, is called with every request that passed the
	// handshake's own checks (method, version, key, Origin, subprotocol),
	// before the answer goes out: the place to authenticate and route on
	// AcceptConn's path, where r is parsed from the raw connection (r.URL
	// holds the path and query; r.Header, r.Cookies, r.RemoteAddr, r.TLS
	// and r.Context, which is AcceptConn's ctx, are set). It may change
	// resp: choose another of the subprotocols the client offered, or add
	// response headers. A *handshake.StatusError it returns refuses the
	// request with that status (4xx or 5xx), headers and body; any other
	// error refuses it with 403. Accept and AcceptConn then return an error
	// wrapping the one OnRequest returned. See handshake.Upgrader.OnRequest.
	OnRequest func(r *http.Request, resp *handshake.Response) error
}

// DialOptions configure Dial: the connection's Options and the client's side
// of the opening handshake.
type DialOptions struct {
	Options
	// Header holds extra request headers.
	Header http.Header
	// Origin, if set, is sent as the Origin header.
	Origin string
	// Subprotocols are offered in this order of preference.
	Subprotocols []string
	// TLSConfig is used for wss:// URLs; nil means the defaults.
	TLSConfig *tls.Config
	// Proxy picks an HTTP proxy for a request; nil means
	// http.ProxyFromEnvironment.
	Proxy func(*http.Request) (*url.URL, error)
	// NetDial dials the TCP connection (to the server or to the proxy),
	// bounded by Dial's context, as net.Dialer.DialContext does; nil means
	// a net.Dialer.
	NetDial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Transport, when set, opens the WebSocket over HTTP/2 (RFC 8441)
	// with this round tripper, such as golang.org/x/net/http2's
	// Transport, instead of a connection of its own; see
	// handshake.Dialer.Transport and the package documentation.
	Transport http.RoundTripper
	// Jar, if set, supplies the cookies sent with the request and stores
	// those the server sets, in its 101 answer or in a refusal.
	Jar http.CookieJar
	// OnResponse, if set, is called with the server's 101 answer before
	// Dial returns: its status, headers and cookies (resp.Cookies()). An
	// error it returns fails Dial with an error wrapping it. A refusal is
	// reported by Dial as a *handshake.StatusError instead.
	OnResponse func(resp *http.Response) error
}
