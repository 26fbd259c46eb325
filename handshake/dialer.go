package handshake

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxResponseBytes bounds what the client reads of a handshake response
// (and of a proxy's CONNECT response).
const maxResponseBytes = 64 << 10

// maxErrorBody is how much of a non-101 response body StatusError keeps.
const maxErrorBody = 1 << 10

// DefaultDialTimeout bounds Dial when Dialer.HandshakeTimeout is 0 and the
// context has no deadline, so that a server that never answers cannot
// block a dial forever.
const DefaultDialTimeout = 45 * time.Second

// Dialer holds the client's handshake options. Its zero value is usable.
type Dialer struct {
	// NetDial dials the TCP connection (to the server or to the proxy);
	// nil means a net.Dialer.
	NetDial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSConfig is cloned for wss URLs; ServerName defaults to the URL's host
	// and NextProtos is set to http/1.1. It is cloned for an https proxy
	// too, with ServerName set to the proxy's host: ServerName only names
	// the server behind the proxy.
	TLSConfig *tls.Config
	// Proxy returns the proxy for a request (http or https URL); nil means
	// http.ProxyFromEnvironment. A nil URL means no proxy. Proxies are used
	// through CONNECT, with Basic authorization from the proxy URL's userinfo.
	Proxy func(*http.Request) (*url.URL, error)
	// Jar, if set, supplies the cookies sent with the request (added to a
	// Cookie of Header) and stores those the server sets, in its 101
	// answer or in a refusal. It sees the URL with scheme http or https.
	Jar http.CookieJar
	// Header holds extra request headers. Headers the handshake sets itself
	// (Upgrade, Connection, Sec-WebSocket-*) are ignored; Host replaces the
	// URL's host in the Host header.
	Header http.Header
	// Origin, if set, is sent as the Origin header.
	Origin string
	// Subprotocols are offered in order of preference.
	Subprotocols []string
	// Extensions are the extension offers.
	Extensions []Extension
	// AcceptExtensions validates the server's extension response (names
	// already checked against the offers); an error fails the handshake.
	AcceptExtensions func(resp []Extension) error
	// HandshakeTimeout bounds the whole of Dial (proxy, TCP, TLS and HTTP
	// exchange) together with the context's deadline: whichever comes
	// first ends it, with an error matching context.DeadlineExceeded. 0
	// means DefaultDialTimeout (45 s) when the context has no deadline and
	// the context's deadline alone when it has one; a negative value means
	// no bound but the context's.
	HandshakeTimeout time.Duration
	// Transport, when set, makes Dial open the WebSocket over HTTP/2
	// (RFC 8441): as an extended CONNECT request sent with Transport,
	// which must speak HTTP/2 and send the :protocol pseudo-header, as
	// golang.org/x/net/http2's Transport does. Many WebSockets then share
	// the transport's connection to a server. NetDial, TLSConfig and Proxy
	// are not used then: the transport dials. Dial fails with an error
	// matching ErrExtendedConnect when the server does not support it.
	Transport http.RoundTripper
}

// reservedRequest are headers of d.Header the handshake does not copy.
var reservedRequest = []string{"Host", "Upgrade", "Connection", keyKey, versionKey, protocolKey, extensionsKey}

// Dial connects to rawURL (ws://, wss://, or the http:// and https://
// aliases) and performs the client handshake. ctx and HandshakeTimeout
// bound the whole of it: proxy, TCP, TLS and HTTP exchange; without either,
// DefaultDialTimeout does. A non-101 answer yields a *StatusError; other
// failures wrap one of the Err* values, a context error or the I/O error.
// On success the connection has no deadline.
func (d *Dialer) Dial(ctx context.Context, rawURL string) (*Result, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadURL, err)
	}
	var secure bool
	var port string
	switch strings.ToLower(u.Scheme) {
	case "ws", "http":
		port = "80"
	case "wss", "https":
		secure, port = true, "443"
	default:
		return nil, fmt.Errorf("%w: %q", ErrBadScheme, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: missing host in %q", ErrBadURL, rawURL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), port)
	}

	if d.Transport != nil {
		return d.dialH2(ctx, u, secure) // RFC 8441, see h2.go
	}
	proxyFunc := d.Proxy
	preq := &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "http", Host: u.Host}}
	if proxyFunc == nil {
		proxyFunc = http.ProxyFromEnvironment // reads only the URL
	} else {
		preq.Header = http.Header{}
	}
	if secure {
		preq.URL.Scheme = "https"
	}
	proxyURL, err := proxyFunc(preq)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProxy, err)
	}

	// A context that cannot be canceled ends only at its deadline, which
	// the handshake sets on the connection: it need not be watched.
	cancelable := ctx.Done() != nil
	timeout := d.HandshakeTimeout
	if _, ok := ctx.Deadline(); !ok && timeout == 0 {
		timeout = DefaultDialTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	netDial := d.NetDial
	if netDial == nil {
		netDial = (&net.Dialer{}).DialContext
	}
	dialAddr := addr
	if proxyURL != nil {
		dialAddr, err = proxyAddr(proxyURL)
		if err != nil {
			return nil, err
		}
	}
	c, err := netDial(ctx, "tcp", dialAddr)
	if err != nil {
		return nil, contextError(ctx, err)
	}
	res, err := d.handshake(ctx, c, u, secure, proxyURL, addr, cancelable)
	if err != nil {
		c.Close()
		return nil, err
	}
	return res, nil
}

// handshake runs the proxy CONNECT (if proxyURL is set), TLS (if secure)
// and the HTTP exchange over c. The caller closes c on error. Unless
// cancelable, ctx ends only at its deadline, and is not watched.
func (d *Dialer) handshake(ctx context.Context, c net.Conn, u *url.URL, secure bool, proxyURL *url.URL, addr string, cancelable bool) (_ *Result, err error) {
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	var w ctxWatch
	if cancelable {
		w = watch(ctx, c)
	}
	defer func() {
		if w.end() || err != nil {
			err = contextError(ctx, err)
		}
	}()
	if proxyURL != nil {
		if c, err = d.connect(ctx, c, proxyURL, addr); err != nil {
			return nil, err
		}
	}
	if secure {
		tc := tlsClient(c, d.TLSConfig, u.Hostname(), false)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("handshake: TLS: %w", err)
		}
		c = tc
	}
	var keyBytes [16]byte
	rand.Read(keyBytes[:])
	var keyText [24]byte
	base64.StdEncoding.Encode(keyText[:], keyBytes[:])
	key := keyText[:]

	var jarURL *url.URL
	if d.Jar != nil {
		jarURL = httpURL(u, secure)
	}
	bp := getBuffer()
	req := d.appendRequest((*bp)[:0], u, key, jarURL)
	_, err = c.Write(req)
	*bp = req
	putBuffer(bp)
	if err != nil {
		return nil, fmt.Errorf("handshake: writing request: %w", err)
	}
	rr := getRespReader(c)
	defer putRespReader(rr) // the response's body, if any, is read below
	br := &rr.br
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet, URL: u})
	if err != nil {
		return nil, fmt.Errorf("handshake: reading response: %w", err)
	}
	if jarURL != nil {
		if cs := resp.Cookies(); len(cs) > 0 {
			d.Jar.SetCookies(jarURL, cs)
		}
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, &StatusError{StatusCode: resp.StatusCode, Status: resp.Status, Header: resp.Header, Body: body}
	}
	res, err := d.checkResponse(resp, key)
	if err != nil {
		return nil, err
	}
	resp.Body = http.NoBody // the frames that follow are not its body
	res.Response = resp
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		res.Buffered = append([]byte(nil), b...)
	}
	fired := w.end()
	w = ctxWatch{}
	if fired {
		return nil, contextError(ctx, nil)
	}
	c.SetDeadline(time.Time{})
	res.Conn = c
	return res, nil
}

// respReader reads a handshake response, at most maxResponseBytes of it.
type respReader struct {
	br bufio.Reader
	lr io.LimitedReader
}

var respReaders = sync.Pool{New: func() any {
	rr := new(respReader)
	rr.br = *bufio.NewReaderSize(nil, bufferSize)
	return rr
}}

// getRespReader returns a pooled reader of the response on c.
func getRespReader(c net.Conn) *respReader {
	rr := respReaders.Get().(*respReader)
	rr.lr = io.LimitedReader{R: c, N: maxResponseBytes}
	rr.br.Reset(&rr.lr)
	return rr
}

// putRespReader returns rr to the pool, holding no connection.
func putRespReader(rr *respReader) {
	rr.lr.R = nil
	rr.br.Reset(nil)
	respReaders.Put(rr)
}

// tlsClient wraps c in a TLS client for host, with a clone of cfg whose
// ServerName is host when it is empty or when proxy is set.
func tlsClient(c net.Conn, cfg *tls.Config, host string, proxy bool) *tls.Conn {
	if cfg == nil {
		cfg = &tls.Config{}
	} else {
		cfg = cfg.Clone()
	}
	if cfg.ServerName == "" || proxy {
		cfg.ServerName = host
	}
	cfg.NextProtos = []string{"http/1.1"}
	return tls.Client(c, cfg)
}

// httpURL returns u with the http or https scheme, as cookie jars see it.
func httpURL(u *url.URL, secure bool) *url.URL {
	h := *u
	h.Scheme = "http"
	if secure {
		h.Scheme = "https"
	}
	return &h
}

// appendRequest appends the handshake request for u, with the cookies of
// d.Jar for jarURL when it is not nil.
func (d *Dialer) appendRequest(dst []byte, u *url.URL, key []byte, jarURL *url.URL) []byte {
	host := u.Host
	if h := d.Header.Get("Host"); h != "" {
		host = h
	}
	dst = append(dst, "GET "...)
	dst = appendHeaderValue(dst, u.RequestURI())
	dst = append(dst, " HTTP/1.1\r\n"...)
	dst = appendHeader(dst, "Host", host)
	dst = append(dst, "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "...)
	dst = append(dst, key...)
	dst = append(dst, "\r\n"...)
	if d.Origin != "" {
		dst = appendHeader(dst, "Origin", d.Origin)
	}
	if len(d.Subprotocols) > 0 {
		dst = appendHeader(dst, "Sec-WebSocket-Protocol", strings.Join(d.Subprotocols, ", "))
	}
	if len(d.Extensions) > 0 {
		dst = append(dst, "Sec-WebSocket-Extensions: "...)
		dst = appendExtensions(dst, d.Extensions)
		dst = append(dst, "\r\n"...)
	}
	var jar []*http.Cookie
	if jarURL != nil {
		jar = d.Jar.Cookies(jarURL)
	}
	for k, vs := range d.Header {
		if !isToken(k) || isReserved(k, reservedRequest) || d.Origin != "" && strings.EqualFold(k, "Origin") ||
			len(jar) > 0 && strings.EqualFold(k, "Cookie") {
			continue
		}
		for _, v := range vs {
			dst = appendHeader(dst, k, v)
		}
	}
	if len(jar) > 0 {
		// One Cookie header (RFC 6265 §5.4): Header's, then the jar's.
		dst = append(dst, "Cookie: "...)
		sep := false
		for k, vs := range d.Header {
			if strings.EqualFold(k, "Cookie") {
				for _, v := range vs {
					if sep {
						dst = append(dst, "; "...)
					}
					dst = appendHeaderValue(dst, v)
					sep = true
				}
			}
		}
		for _, ck := range jar {
			if sep {
				dst = append(dst, "; "...)
			}
			dst = appendHeaderValue(dst, (&http.Cookie{Name: ck.Name, Value: ck.Value}).String())
			sep = true
		}
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}

// checkResponse validates a 101 response: its version and headers.
func (d *Dialer) checkResponse(resp *http.Response, key []byte) (*Result, error) {
	// Protocol switching is HTTP/1.1's: a server ignores Upgrade in an
	// HTTP/1.0 request (RFC 9110 §7.8), and HTTP/2 has no 101 (RFC 9113
	// §8.6). A 101 in another version is not a WebSocket handshake.
	if resp.ProtoMajor != 1 || resp.ProtoMinor < 1 {
		return nil, fmt.Errorf("%w: 101 response in %s, want HTTP/1.1", ErrBadResponse, resp.Proto)
	}
	h := resp.Header
	if !hasToken(h["Upgrade"], "websocket") {
		return nil, fmt.Errorf("%w: missing Upgrade: websocket", ErrBadResponse)
	}
	if !hasToken(h["Connection"], "upgrade") {
		return nil, fmt.Errorf("%w: missing Connection: Upgrade", ErrBadResponse)
	}
	var want [acceptLen]byte
	if a := h[acceptKey]; len(a) != 1 || trimOWS(a[0]) != string(appendAcceptKey(want[:0], string(key))) {
		return nil, ErrBadAccept
	}
	return d.checkNegotiated(h)
}

// checkNegotiated validates the subprotocol and extensions a server chose,
// over HTTP/1.1 or HTTP/2.
func (d *Dialer) checkNegotiated(h http.Header) (*Result, error) {
	res := &Result{Header: h}
	if p := h[protocolKey]; len(p) > 0 {
		sub := trimOWS(p[0])
		ok := len(p) == 1
		if ok {
			ok = false
			for _, s := range d.Subprotocols {
				if s == sub {
					ok = true
					break
				}
			}
		}
		if !ok {
			return nil, fmt.Errorf("%w: server chose subprotocol %q, which was not offered", ErrBadResponse, strings.Join(p, ", "))
		}
		res.Subprotocol = sub
	}
	exts, err := ParseExtensions(h)
	if err != nil {
		return nil, err
	}
	for _, e := range exts {
		if !offered(d.Extensions, e.Name) {
			return nil, fmt.Errorf("%w: server answered extension %q, which was not offered", ErrBadExtension, e.Name)
		}
	}
	if len(exts) > 0 && d.AcceptExtensions != nil {
		if err := d.AcceptExtensions(exts); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadExtension, err)
		}
	}
	res.Extensions = exts
	return res, nil
}
