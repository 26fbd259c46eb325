package handshake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// UpgradeConn performs the server handshake on a raw connection, without a
// net/http server: it reads the request itself, validates it and writes the
// 101 response. The request line and headers may not exceed MaxRequestBytes
// (431 otherwise), and the whole handshake must complete before
// HandshakeTimeout and ctx's deadline, whichever comes first; canceling ctx
// aborts it. A cancelable ctx is only watched during the handshake.
//
// On failure UpgradeConn writes the HTTP error response when the request was
// refused, closes c and returns an error wrapping one of the Err* values, a
// context error or the I/O error. On success the deadline of c is cleared.
func (u *Upgrader) UpgradeConn(ctx context.Context, c net.Conn) (*Result, error) {
	if err := ctx.Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("handshake: %w", err)
	}
	c.SetDeadline(earliest(ctx, u.timeout()))
	w := watch(ctx, c)
	done := false
	defer func() {
		if !done { // a panic of c's methods or of Negotiate
			w.end()
			c.Close()
		}
	}()
	bp := getBuffer()
	res, err := u.upgradeConn(ctx, c, bp)
	done = true
	putBuffer(bp)
	if w.end() || err != nil {
		c.Close()
		var rej *rejection
		if !errors.As(err, &rej) {
			err = contextError(ctx, err)
		}
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return res, nil
}

func (u *Upgrader) upgradeConn(ctx context.Context, c net.Conn, bp *[]byte) (*Result, error) {
	limit := u.maxRequestBytes()
	buf, end, n, err := readHead(c, *bp, limit)
	*bp = buf
	if err != nil {
		var rej *rejection
		if errors.As(err, &rej) {
			c.Write(appendError(buf[:0], rej))
		}
		return nil, err
	}
	req, uri, rej := parseHead(buf[:end])
	var a accepted
	if rej == nil {
		a, rej = u.check(&req)
	}
	if rej == nil && u.OnRequest != nil {
		rej = u.onRequest(hookRequest(ctx, c, &req, uri), &a)
	}
	if rej != nil {
		c.Write(appendError(buf[:0], rej))
		return nil, rej
	}
	res := &Result{
		Conn:        c,
		Subprotocol: a.subprotocol,
		Extensions:  a.extensions,
		Header:      req.header,
		RequestURI:  uri,
	}
	if n > end {
		res.Buffered = bytes.Clone(buf[end:n])
	}
	resp := u.appendSwitching(buf[:0], &a)
	*bp = resp
	if _, err := c.Write(resp); err != nil {
		return nil, fmt.Errorf("handshake: writing response: %w", err)
	}
	return res, nil
}

// readHead reads from c into buf until the empty line ending the request
// head, which must come within limit bytes. It returns the possibly grown
// buffer, the length of the head and the number of bytes read.
func readHead(c net.Conn, buf []byte, limit int) (_ []byte, end, n int, err error) {
	scanned, lineStart := 0, 0
	for {
		m, rerr := c.Read(buf[n:])
		n += m
		for ; scanned < n && scanned < limit; scanned++ {
			if buf[scanned] != '\n' {
				continue
			}
			lineEnd := scanned
			if lineEnd > lineStart && buf[lineEnd-1] == '\r' {
				lineEnd--
			}
			if lineEnd == lineStart {
				return buf, scanned + 1, n, nil
			}
			lineStart = scanned + 1
		}
		if scanned >= limit {
			return buf, 0, n, reject(http.StatusRequestHeaderFieldsTooLarge, ErrRequestTooLarge,
				"request header fields too large")
		}
		if rerr != nil {
			if rerr == io.EOF {
				rerr = io.ErrUnexpectedEOF
			}
			return buf, 0, n, fmt.Errorf("handshake: reading request: %w", rerr)
		}
		if n == len(buf) {
			nb := make([]byte, min(2*len(buf), limit))
			copy(nb, buf[:n])
			buf = nb
		}
	}
}

func badRequest(msg string) *rejection {
	return reject(http.StatusBadRequest, ErrBadRequest, msg)
}

// parseHead parses a request head ending with its empty line. It
// canonicalizes header names in place, then converts the head to a single
// string whose substrings make up the header map.
func parseHead(head []byte) (request, string, *rejection) {
	var req request
	// Pass 1 over the bytes: validate, canonicalize names, count fields.
	count := 0
	for i, rest := 0, head; len(rest) > 0; i++ {
		nl := bytes.IndexByte(rest, '\n')
		line := rest[:nl]
		rest = rest[nl+1:]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			if i == 0 {
				return req, "", badRequest("malformed request line")
			}
			break
		}
		if i == 0 {
			if !validText(line) {
				return req, "", badRequest("malformed request line")
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			return req, "", badRequest("obsolete header line folding")
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !canonicalize(line[:colon]) || !validText(line[colon+1:]) {
			return req, "", badRequest("malformed header line")
		}
		count++
	}

	s := string(head)
	nl := strings.IndexByte(s, '\n')
	line := strings.TrimSuffix(s[:nl], "\r")
	s = s[nl+1:]
	method, rest, ok1 := strings.Cut(line, " ")
	uri, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || !isToken(method) || uri == "" || strings.IndexByte(proto, ' ') >= 0 {
		return req, "", badRequest("malformed request line")
	}
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok {
		return req, "", badRequest("malformed HTTP version")
	}
	req.method, req.major, req.minor = method, major, minor

	h := make(http.Header, count)
	vals := make([]string, count)
	used := 0
	for s != "" {
		nl := strings.IndexByte(s, '\n')
		line := strings.TrimSuffix(s[:nl], "\r")
		s = s[nl+1:]
		if line == "" {
			break
		}
		k, v, _ := strings.Cut(line, ":")
		v = trimOWS(v)
		if old, ok := h[k]; ok {
			h[k] = append(old, v)
			continue
		}
		vals[used] = v
		h[k] = vals[used : used+1 : used+1]
		used++
	}
	req.header = h
	req.target = uri // checked by check, as on the net/http path
	if hosts := h["Host"]; len(hosts) == 1 {
		if !validHost(hosts[0]) {
			return req, "", badRequest("malformed Host header")
		}
		req.host = hosts[0]
	} else if major == 1 && minor >= 1 {
		return req, "", badRequest("a request must have exactly one Host header")
	}
	cl := h["Content-Length"]
	req.hasBody = len(h["Transfer-Encoding"]) > 0 || len(cl) > 1 || len(cl) == 1 && cl[0] != "0"
	return req, uri, nil
}

// validText reports whether b has no control characters other than HTAB.
func validText(b []byte) bool {
	for _, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// canonicalize rewrites the header name b in place to its canonical form
// (as textproto.CanonicalMIMEHeaderKey) and reports whether it is a token.
func canonicalize(b []byte) bool {
	upper := true
	for i, c := range b {
		if !isTokenChar(c) {
			return false
		}
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
		upper = c == '-'
	}
	return true
}

// validRequestTarget reports whether uri is a request target a WebSocket
// handshake can have (RFC 6455 §4.1, RFC 7230 §5.3): an absolute path, or an
// absolute http, https, ws or wss URI.
func validRequestTarget(uri string) bool {
	if strings.HasPrefix(uri, "/") {
		return !strings.HasPrefix(uri, "//") && validPath(uri)
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ws", "wss":
		return u.Host != ""
	}
	return false
}

// validPath reports whether an absolute path parses as url.ParseRequestURI
// parses it on the net/http path, without its allocations: no control
// character, and a '%' only as the start of an escape of two hex digits.
func validPath(p string) bool {
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c < 0x20 || c == 0x7f:
			return false
		case c == '%':
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// validHost reports whether h can be the value of a Host header: the
// characters of a host name, an IP literal in brackets, and a port, as
// net/http accepts them.
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!$&'()*+,-.:;=[]_~%", c) >= 0:
		default:
			return false
		}
	}
	return true
}
