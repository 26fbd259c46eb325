package handshake

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults for the zero values of Upgrader fields.
const (
	// DefaultHandshakeTimeout is used when Upgrader.HandshakeTimeout is 0.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultMaxRequestBytes is used when Upgrader.MaxRequestBytes is 0.
	DefaultMaxRequestBytes = 8 << 10
)

// Upgrader holds the server's handshake policy. Its methods may be called
// concurrently; it must not be modified while in use.
type Upgrader struct {
	// Subprotocols lists the supported subprotocols in the server's
	// preference order.
	Subprotocols []string
	// RequireSubprotocol refuses (400) a request when no offered subprotocol
	// matches one of Subprotocols.
	RequireSubprotocol bool
	// OriginPatterns lists extra allowed Origin hosts as path.Match patterns,
	// matched case-insensitively against the origin's host[:port], or against
	// "scheme://host[:port]" when the pattern contains "://". A request
	// without Origin, or whose Origin host equals its Host header, is always
	// allowed. A request whose target is in absolute form (GET
	// http://host/path) is allowed only by OriginPatterns when it has an
	// Origin: net/http replaces the Host header of such a request with the
	// host of its target, which the client chooses freely, so neither Upgrade
	// nor UpgradeConn compares the Origin with a host there. A request with
	// more than one Origin header is refused (400) whatever the policy.
	OriginPatterns []string
	// InsecureSkipOriginCheck disables the origin policy.
	InsecureSkipOriginCheck bool
	// Negotiate receives the client's extension offers and returns the response
	// extensions (each must have the Name of an offered one); nil means no
	// extensions. An error refuses the upgrade with 400. It is only called when
	// the client offered extensions; when Negotiate is nil the offers are
	// ignored (not even parsed).
	Negotiate func(offers []Extension) ([]Extension, error)
	// Header holds extra response headers (cookies...). Headers the handshake
	// sets itself (Upgrade, Connection, Sec-WebSocket-*) are ignored.
	Header http.Header
	// HandshakeTimeout bounds UpgradeConn (and the 101 write of Upgrade);
	// 0 means DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// MaxRequestBytes bounds the request line and headers read by UpgradeConn;
	// 0 means DefaultMaxRequestBytes.
	MaxRequestBytes int
	// OnRequest, if set, is called with every request that passed the
	// checks above (and Negotiate), before the 101 answer goes out: the
	// place to authenticate, and to route on UpgradeConn's path. Upgrade
	// passes its request; UpgradeConn one it builds from the raw request
	// (URL, Header, which keeps Host, Cookies, RemoteAddr, TLS, and
	// UpgradeConn's ctx as its context). OnRequest may change resp: pick
	// another of the offered subprotocols, add response headers. To refuse
	// the request it returns an error: a *StatusError is answered with its
	// StatusCode (4xx or 5xx), Header and Body; any other error with 403.
	// Upgrade and UpgradeConn then return an error wrapping it.
	OnRequest func(r *http.Request, resp *Response) error
}

// Result is an upgraded connection.
type Result struct {
	Conn net.Conn
	// Buffered holds bytes already read past the handshake: the start of the
	// frame stream (may be nil). Read them before reading from Conn.
	Buffered    []byte
	Subprotocol string
	Extensions  []Extension // negotiated (as in the response)
	// Header is, on the server, the request's headers (UpgradeConn keeps
	// Host in it, net/http moves it to Request.Host); on the client, the
	// response's headers.
	Header http.Header
	// RequestURI is, on the server, the request target (e.g. "/chat?room=1");
	// empty on the client.
	RequestURI string
	// Response is, on the client, the server's 101 answer (status, Header,
	// Cookies; its Body is empty); nil on the server.
	Response *http.Response
}

// request is what validation needs from either path.
type request struct {
	method string
	// target is the request target as sent: an absolute path, or an
	// absolute URI (absolute form).
	target       string
	major, minor int
	// host is the Host header, except on the net/http path for an
	// absolute-form target, where net/http replaces it with the target's
	// authority (RFC 9112 §3.2.2). checkOrigin does not use it then.
	host    string
	header  http.Header
	hasBody bool
}

// accepted is the negotiated outcome of a valid request.
type accepted struct {
	key         string
	subprotocol string
	extensions  []Extension
	header      http.Header // set by OnRequest
}

func (u *Upgrader) timeout() time.Duration {
	if u.HandshakeTimeout > 0 {
		return u.HandshakeTimeout
	}
	return DefaultHandshakeTimeout
}

func (u *Upgrader) maxRequestBytes() int {
	if u.MaxRequestBytes > 0 {
		return u.MaxRequestBytes
	}
	return DefaultMaxRequestBytes
}

// Header keys in canonical form.
const (
	keyKey      = "Sec-Websocket-Key"
	versionKey  = "Sec-Websocket-Version"
	protocolKey = "Sec-Websocket-Protocol"
	acceptKey   = "Sec-Websocket-Accept"
)

// check validates a request and negotiates subprotocol and extensions.
func (u *Upgrader) check(r *request) (accepted, *rejection) {
	var a accepted
	if !validRequestTarget(r.target) {
		return a, badRequest("invalid request target")
	}
	if r.method != http.MethodGet {
		return a, reject(http.StatusMethodNotAllowed, ErrNotWebSocket,
			"websocket handshake requires method GET", "Allow", "GET")
	}
	if r.major != 1 || r.minor < 1 {
		return a, reject(http.StatusHTTPVersionNotSupported, ErrBadRequest,
			"websocket handshake requires HTTP/1.1")
	}
	h := r.header
	if !hasToken(h["Connection"], "upgrade") || !hasToken(h["Upgrade"], "websocket") {
		return a, reject(http.StatusUpgradeRequired, ErrNotWebSocket,
			"this is a websocket endpoint: use a websocket client",
			"Upgrade", "websocket", "Connection", "Upgrade", "Sec-WebSocket-Version", "13")
	}
	if v := h[versionKey]; len(v) != 1 || trimOWS(v[0]) != "13" {
		return a, reject(http.StatusUpgradeRequired, ErrBadVersion,
			"unsupported Sec-WebSocket-Version, 13 is required", "Sec-WebSocket-Version", "13")
	}
	keys := h[keyKey]
	if len(keys) != 1 || !validKey(trimOWS(keys[0])) {
		return a, reject(http.StatusBadRequest, ErrBadRequest,
			"Sec-WebSocket-Key must be one base64-encoded 16-byte value")
	}
	a.key = trimOWS(keys[0])
	if r.hasBody {
		return a, reject(http.StatusBadRequest, ErrBadRequest, "websocket handshake request must not have a body")
	}
	rej := u.negotiate(r, &a)
	return a, rej
}

// negotiate applies the checks an HTTP/1.1 upgrade and an HTTP/2 extended
// CONNECT share (origin policy, subprotocol, extensions) and records the
// choices in a.
func (u *Upgrader) negotiate(r *request, a *accepted) *rejection {
	h := r.header
	if len(h["Origin"]) > 1 {
		// RFC 6454 §7.3: a user agent sends at most one. Checking only
		// one of several would let the others through unchecked.
		return badRequest("more than one Origin header")
	}
	if rej := u.checkOrigin(h, r.host, !strings.HasPrefix(r.target, "/")); rej != nil {
		return rej
	}
	a.subprotocol = selectSubprotocol(u.Subprotocols, h[protocolKey])
	if a.subprotocol == "" && u.RequireSubprotocol {
		return reject(http.StatusBadRequest, ErrNoSubprotocol, "no supported subprotocol offered")
	}
	if u.Negotiate != nil && len(h[extensionsKey]) > 0 {
		offers, err := ParseExtensions(h)
		if err != nil {
			return &rejection{status: http.StatusBadRequest, err: err, msg: "malformed Sec-WebSocket-Extensions"}
		}
		if len(offers) > 0 {
			resp, err := u.Negotiate(offers)
			if err != nil {
				return &rejection{status: http.StatusBadRequest, err: fmt.Errorf("%w: %w", ErrBadExtension, err),
					msg: "extension negotiation failed"}
			}
			for _, e := range resp {
				if !offered(offers, e.Name) {
					return &rejection{status: http.StatusInternalServerError,
						err: fmt.Errorf("%w: Negotiate returned extension %q, which was not offered", ErrBadExtension, e.Name),
						msg: "internal server error"}
				}
			}
			if err := validExtensions(resp); err != nil {
				return &rejection{status: http.StatusInternalServerError,
					err: fmt.Errorf("handshake: Negotiate returned a bad extension: %w", err), msg: "internal server error"}
			}
			a.extensions = resp
		}
	}
	return nil
}

// selectSubprotocol returns the first of prefs offered by the client, or "".
func selectSubprotocol(prefs, offers []string) string {
	if len(offers) == 0 {
		return ""
	}
	for _, p := range prefs {
		if hasElement(offers, p) {
			return p
		}
	}
	return ""
}

// Upgrade upgrades the HTTP server connection of w and r to the WebSocket
// protocol. It validates the request, hijacks the connection and writes the
// 101 response on it. On failure it writes the HTTP error response itself
// (500 if w cannot be hijacked) and returns an error wrapping one of the
// Err* values (or http.ErrNotSupported for a writer that cannot hijack).
//
// On HTTP/2, Upgrade accepts an extended CONNECT request (RFC 8441, :protocol
// websocket; net/http passes one only when the process runs with
// GODEBUG=http2xconnect=1) with the same checks, except those of the
// HTTP/1.1 upgrade headers and key, and answers 200; Result.Conn is then the
// HTTP/2 stream as a net.Conn, which lives only as long as the handler runs.
// Another :protocol is refused with 501, a plain CONNECT with 405.
//
// Upgrade and UpgradeConn give the same answer to the same request: they
// accept as request target only an absolute path or an absolute http,
// https, ws or wss URI (not "*", nor "//host/path"), and apply the same
// origin policy (see OriginPatterns).
//
// The returned Result.Buffered holds the bytes the HTTP server had already
// read past the request. Note that r.Context() is canceled when the handler
// returns; it must not govern the upgraded connection.
//
// Upgrade takes over the bufio.Reader and bufio.Writer that Hijack returns
// and releases their buffers (net/http would keep them, 8 KiB, for as long
// as the handler runs), so a ResponseWriter wrapper must not use the pair
// it returned from Hijack afterwards, as the http.Hijacker contract has it.
func (u *Upgrader) Upgrade(w http.ResponseWriter, r *http.Request) (*Result, error) {
	if r.ProtoMajor == 2 && r.Method == http.MethodConnect {
		return u.upgradeH2(w, r) // RFC 8441, see h2.go
	}
	target := r.RequestURI
	if target == "" && r.URL != nil {
		target = r.URL.RequestURI() // a request made by hand, not by a server
	}
	req := request{
		method:  r.Method,
		target:  target,
		major:   r.ProtoMajor,
		minor:   r.ProtoMinor,
		host:    r.Host,
		header:  r.Header,
		hasBody: r.ContentLength > 0 || len(r.TransferEncoding) > 0,
	}
	a, rej := u.check(&req)
	if rej == nil && u.OnRequest != nil {
		rej = u.onRequest(r, &a)
	}
	if rej != nil {
		writeHTTPError(w, rej)
		return nil, rej
	}
	c, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "websocket: the server cannot hijack this connection", http.StatusInternalServerError)
		return nil, fmt.Errorf("handshake: cannot hijack the connection: %w", err)
	}
	// net/http no longer closes the connection, even after a panic.
	done := false
	defer func() {
		if !done {
			c.Close()
		}
	}()
	buffered := releaseHijacked(brw)
	// net/http may have set read/write deadlines (ReadTimeout, WriteTimeout).
	c.SetDeadline(time.Now().Add(u.timeout()))
	bp := getBuffer()
	resp := u.appendSwitching((*bp)[:0], &a)
	_, err = c.Write(resp)
	*bp = resp
	putBuffer(bp)
	if err != nil {
		return nil, fmt.Errorf("handshake: writing response: %w", err)
	}
	c.SetDeadline(time.Time{})
	done = true
	return &Result{
		Conn:        c,
		Buffered:    buffered,
		Subprotocol: a.subprotocol,
		Extensions:  a.extensions,
		Header:      r.Header,
		RequestURI:  r.RequestURI,
	}, nil
}

// releaseHijacked returns a copy of the bytes brw.Reader holds and
// releases the 4 KiB buffers of brw, which Hijack handed over with the
// connection.
//
// net/http's Hijack returns the bufio.Reader and bufio.Writer of its
// per-connection state (http.conn's bufr and bufw, as of Go 1.26), which
// that state, reachable from the goroutine running the handler, keeps until
// the handler returns; a hijacked connection's pair is never put back in
// net/http's pools. bufio has no method that gives a buffer up (Reset keeps
// it), and dropping our references frees nothing while the handler runs,
// which is the life of the connection when the handler reads in a loop. So
// the buffers are released by overwriting the two values with zero ones:
// about 16,500 -> 8,200 B per idle connection read in its handler
// (conn.BenchmarkIdleMemory/http).
//
// That writes into values net/http allocated, which is safe because the
// Hijacker contract hands them to the caller ("After a call to Hijack, the
// HTTP server library will not do anything else with the connection") and
// net/http keeps it: after a hijack, its serve loop returns without reading
// another request, its panic recovery and close paths skip hijacked
// connections (neither flushes nor pools the pair), Write, WriteHeader and
// 100-continue refuse to run, and a Flush after a hijack fails with a nil
// dereference of the response's own writer, which Hijack released, before
// it reaches bufw. A bufio.Writer still holding bytes is not ours to drop:
// it is left alone (net/http's is always empty, Hijack resets it).
func releaseHijacked(brw *bufio.ReadWriter) []byte {
	var buffered []byte
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		buffered = append([]byte(nil), b...)
	}
	*brw.Reader = bufio.Reader{}
	if brw.Writer.Buffered() == 0 {
		*brw.Writer = bufio.Writer{}
	}
	return buffered
}

// writeHTTPError answers a refused request through net/http.
func writeHTTPError(w http.ResponseWriter, rej *rejection) {
	h := w.Header()
	for i := 0; i+1 < len(rej.header); i += 2 {
		h.Add(rej.header[i], rej.header[i+1])
	}
	if !rej.body {
		http.Error(w, rej.msg, rej.status)
		return
	}
	// A body OnRequest chose goes out as it is, as text.
	h.Del("Content-Length")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(rej.status)
	io.WriteString(w, rej.msg)
}

// reservedResponse are headers of u.Header the handshake does not copy.
var reservedResponse = []string{"Upgrade", "Connection", acceptKey, protocolKey, extensionsKey}

// appendSwitching appends the 101 response for a.
func (u *Upgrader) appendSwitching(dst []byte, a *accepted) []byte {
	dst = append(dst, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	dst = appendAcceptKey(dst, a.key)
	dst = append(dst, "\r\n"...)
	if a.subprotocol != "" {
		dst = appendHeader(dst, "Sec-WebSocket-Protocol", a.subprotocol)
	}
	if len(a.extensions) > 0 {
		dst = append(dst, "Sec-WebSocket-Extensions: "...)
		dst = appendExtensions(dst, a.extensions)
		dst = append(dst, "\r\n"...)
	}
	for k, vs := range u.Header {
		if _, ok := a.header[k]; ok || !isToken(k) || isReserved(k, reservedResponse) {
			continue
		}
		for _, v := range vs {
			dst = appendHeader(dst, k, v)
		}
	}
	for k, vs := range a.header {
		if !isToken(k) || isReserved(k, reservedResponse) {
			continue
		}
		for _, v := range vs {
			dst = appendHeader(dst, k, v)
		}
	}
	return append(dst, "\r\n"...)
}

// appendError appends a complete error response for rej.
func appendError(dst []byte, rej *rejection) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(rej.status), 10)
	dst = append(dst, ' ')
	dst = append(dst, http.StatusText(rej.status)...)
	dst = append(dst, "\r\nConnection: "...)
	for i := 0; i+1 < len(rej.header); i += 2 {
		if rej.header[i] == "Connection" {
			dst = append(dst, rej.header[i+1]...)
			dst = append(dst, ", "...)
		}
	}
	dst = append(dst, "close\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: "...)
	n := len(rej.msg)
	if !rej.body {
		n++ // the newline ending a message of ours
	}
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, "\r\n"...)
	for i := 0; i+1 < len(rej.header); i += 2 {
		if rej.header[i] != "Connection" {
			dst = appendHeader(dst, rej.header[i], rej.header[i+1])
		}
	}
	dst = append(dst, "\r\n"...)
	dst = append(dst, rej.msg...)
	if rej.body {
		return dst
	}
	return append(dst, '\n')
}
