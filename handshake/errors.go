package handshake

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Errors returned by the server side. They are wrapped with details; test
// them with errors.Is.
var (
	// ErrBadRequest reports a malformed or non-conforming handshake request
	// (answered with 400, or 505 for an unsupported HTTP version).
	ErrBadRequest = errors.New("handshake: bad request")
	// ErrNotWebSocket reports a request that is not a WebSocket upgrade:
	// a method other than GET (405) or missing Upgrade/Connection tokens (426).
	ErrNotWebSocket = errors.New("handshake: not a websocket upgrade request")
	// ErrBadVersion reports a Sec-WebSocket-Version other than 13 (426).
	ErrBadVersion = errors.New("handshake: unsupported Sec-WebSocket-Version")
	// ErrOriginNotAllowed reports an Origin refused by the origin policy (403).
	ErrOriginNotAllowed = errors.New("handshake: origin not allowed")
	// ErrNoSubprotocol reports that no offered subprotocol matched while
	// Upgrader.RequireSubprotocol is set (400).
	ErrNoSubprotocol = errors.New("handshake: no acceptable subprotocol")
	// ErrRequestTooLarge reports a request larger than Upgrader.MaxRequestBytes (431).
	ErrRequestTooLarge = errors.New("handshake: request too large")
)

// Errors shared by both sides or returned by the client side.
var (
	// ErrBadExtension reports a malformed Sec-WebSocket-Extensions header, or
	// a negotiated extension that was not offered.
	ErrBadExtension = errors.New("handshake: bad Sec-WebSocket-Extensions")
	// ErrBadURL reports a URL that cannot be dialed.
	ErrBadURL = errors.New("handshake: bad URL")
	// ErrBadScheme reports a URL scheme other than ws, wss, http or https.
	ErrBadScheme = errors.New("handshake: bad URL scheme")
	// ErrBadResponse reports a 101 response that does not complete a
	// WebSocket handshake (an HTTP version other than 1.1, the Upgrade or
	// Connection header, the subprotocol).
	ErrBadResponse = errors.New("handshake: bad response")
	// ErrBadAccept reports a wrong or missing Sec-WebSocket-Accept.
	ErrBadAccept = errors.New("handshake: bad Sec-WebSocket-Accept")
	// ErrProxy reports a failure of the proxy to open a tunnel.
	ErrProxy = errors.New("handshake: proxy CONNECT failed")
)

// StatusError is a non-101 answer.
type StatusError struct {
	StatusCode int
	Status     string // e.g. "403 Forbidden"
	Header     http.Header
	Body       []byte // at most the first 1 KiB of the body
}

// Error returns e.g. "handshake: 403 Forbidden: origin not allowed".
func (e *StatusError) Error() string {
	status := e.Status
	if status == "" {
		status = fmt.Sprintf("%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	body := strings.TrimSpace(string(e.Body))
	if i := strings.IndexAny(body, "\r\n"); i >= 0 {
		body = body[:i]
	}
	if body == "" {
		return "handshake: " + status
	}
	return "handshake: " + status + ": " + body
}

// rejection is a refused request: the HTTP answer and the error returned.
type rejection struct {
	status int
	err    error    // sentinel
	msg    string   // response body, one line unless body is set
	body   bool     // msg is a body OnRequest chose, not part of the error
	header []string // extra response header pairs: key, value, ...
}

func (r *rejection) Error() string {
	s := r.err.Error()
	if r.body || strings.Contains(s, r.msg) {
		return s
	}
	return s + ": " + r.msg
}
func (r *rejection) Unwrap() error { return r.err }

func reject(status int, err error, msg string, header ...string) *rejection {
	return &rejection{status: status, err: err, msg: msg, header: header}
}

// proxyError is a non-2xx answer to CONNECT.
type proxyError struct {
	proxy string
	se    *StatusError
}

func (e *proxyError) Error() string {
	return "handshake: proxy " + e.proxy + " refused CONNECT: " + strings.TrimPrefix(e.se.Error(), "handshake: ")
}
func (e *proxyError) Unwrap() []error { return []error{ErrProxy, e.se} }
