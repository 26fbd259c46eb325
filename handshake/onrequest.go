package handshake

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
)

// Response is the answer an Upgrader is about to give to an accepted
// request, which Upgrader.OnRequest may change before it goes out.
type Response struct {
	// Subprotocol is the subprotocol chosen from Upgrader.Subprotocols,
	// "" if none. OnRequest may set another one the client offered, or ""
	// for none.
	Subprotocol string
	// Header holds extra response headers, empty at first; those of
	// Upgrader.Header are sent too, unless Header has the same key. Headers
	// the handshake sets itself (Upgrade, Connection, Sec-WebSocket-*) are
	// ignored.
	Header http.Header
}

// onRequest runs u.OnRequest on r for the accepted request a. It returns
// the rejection to answer with when OnRequest refuses the request or
// answers something the handshake cannot send.
func (u *Upgrader) onRequest(r *http.Request, a *accepted) *rejection {
	resp := Response{Subprotocol: a.subprotocol, Header: http.Header{}}
	if err := u.OnRequest(r, &resp); err != nil {
		return refusal(err)
	}
	if s := resp.Subprotocol; s != "" && (!isToken(s) || !hasElement(r.Header[protocolKey], s)) {
		return &rejection{status: http.StatusInternalServerError,
			err: fmt.Errorf("%w: OnRequest chose subprotocol %q, which the client did not offer", ErrBadResponse, s),
			msg: "internal server error"}
	}
	a.subprotocol = resp.Subprotocol
	a.header = resp.Header
	return nil
}

// refusal is the answer to a request OnRequest refused with err.
func refusal(err error) *rejection {
	wrapped := fmt.Errorf("handshake: request refused by OnRequest: %w", err)
	var se *StatusError
	if !errors.As(err, &se) {
		return &rejection{status: http.StatusForbidden, err: wrapped, msg: "forbidden", body: true}
	}
	if se.StatusCode < 400 || se.StatusCode > 599 {
		return &rejection{status: http.StatusInternalServerError,
			err: fmt.Errorf("handshake: OnRequest refused with status %d, which is not 4xx or 5xx: %w", se.StatusCode, err),
			msg: "internal server error"}
	}
	rej := &rejection{status: se.StatusCode, err: wrapped, msg: string(se.Body), body: true}
	for k, vs := range se.Header {
		if !isToken(k) || isReserved(k, reservedRefusal) {
			continue
		}
		for _, v := range vs {
			rej.header = append(rej.header, k, v)
		}
	}
	return rej
}

// reservedRefusal are headers of a refusal's StatusError that are not
// sent: the answer sets them itself.
var reservedRefusal = []string{"Connection", "Content-Length", "Content-Type", "Transfer-Encoding", "X-Content-Type-Options"}

// hookRequest builds the *http.Request OnRequest sees for a request read
// by UpgradeConn from c, bounded by ctx.
func hookRequest(ctx context.Context, c net.Conn, req *request, uri string) *http.Request {
	u, err := url.ParseRequestURI(uri)
	if err != nil { // check accepted it, so this does not happen
		u = &url.URL{Path: uri}
	}
	r := &http.Request{
		Method:     req.method,
		URL:        u,
		Proto:      fmt.Sprintf("HTTP/%d.%d", req.major, req.minor),
		ProtoMajor: req.major,
		ProtoMinor: req.minor,
		Header:     req.header,
		Host:       req.host,
		RequestURI: uri,
		Body:       http.NoBody,
	}
	if u.Host != "" {
		r.Host = u.Host // as net/http does for an absolute-form target
	}
	if a := c.RemoteAddr(); a != nil {
		r.RemoteAddr = a.String()
	}
	if tc, ok := c.(*tls.Conn); ok {
		cs := tc.ConnectionState()
		r.TLS = &cs
	}
	return r.WithContext(ctx)
}
