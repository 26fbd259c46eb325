package handshake

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// proxyAddr returns the host:port to dial for a proxy URL.
func proxyAddr(p *url.URL) (string, error) {
	var port string
	switch strings.ToLower(p.Scheme) {
	case "http":
		port = "80"
	case "https":
		port = "443"
	default:
		return "", fmt.Errorf("%w: unsupported proxy scheme %q", ErrProxy, p.Scheme)
	}
	if p.Hostname() == "" {
		return "", fmt.Errorf("%w: proxy URL has no host", ErrProxy)
	}
	if p.Port() != "" {
		return p.Host, nil
	}
	return net.JoinHostPort(p.Hostname(), port), nil
}

// connect asks the proxy at the other end of c for a tunnel to addr. For an
// https proxy it first wraps c in TLS, with a clone of d.TLSConfig whose
// ServerName is the proxy's host: TLSConfig.ServerName names the server
// behind the proxy, not the proxy.
func (d *Dialer) connect(ctx context.Context, c net.Conn, p *url.URL, addr string) (net.Conn, error) {
	if strings.EqualFold(p.Scheme, "https") {
		tc := tlsClient(c, d.TLSConfig, p.Hostname(), true)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("%w: TLS with proxy: %w", ErrProxy, err)
		}
		c = tc
	}
	var b []byte
	b = append(b, "CONNECT "...)
	b = appendHeaderValue(b, addr)
	b = append(b, " HTTP/1.1\r\n"...)
	b = appendHeader(b, "Host", addr)
	if p.User != nil {
		pass, _ := p.User.Password()
		cred := base64.StdEncoding.EncodeToString([]byte(p.User.Username() + ":" + pass))
		b = appendHeader(b, "Proxy-Authorization", "Basic "+cred)
	}
	b = append(b, "\r\n"...)
	if _, err := c.Write(b); err != nil {
		return nil, fmt.Errorf("%w: writing CONNECT: %w", ErrProxy, err)
	}
	// A small buffer: a proxy must not send anything after its answer
	// before the tunnel carries our request.
	br := bufio.NewReaderSize(&io.LimitedReader{R: c, N: maxResponseBytes}, 1024)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		return nil, fmt.Errorf("%w: reading CONNECT response: %w", ErrProxy, err)
	}
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, &proxyError{proxy: p.Host, se: &StatusError{
			StatusCode: resp.StatusCode, Status: resp.Status, Header: resp.Header, Body: body}}
	}
	if br.Buffered() > 0 {
		return nil, fmt.Errorf("%w: proxy sent data before the tunnel was used", ErrProxy)
	}
	return c, nil
}
