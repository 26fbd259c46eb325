// Package h2test tests hybi's WebSocket over HTTP/2 (RFC 8441) against
// golang.org/x/net/http2's client. It is a module of its own so that the
// main module does not require x/net.
package h2test
