package handshake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// WebSocket over HTTP/2 (RFC 8441): the opening handshake is an extended
// CONNECT request, a CONNECT with the pseudo-header :protocol set to
// "websocket", answered with 200; the stream then carries the WebSocket's
// bytes both ways. There is no Sec-WebSocket-Key, no Sec-WebSocket-Accept,
// no Upgrade and no Connection header; the rest (version, origin,
// subprotocols, extensions) is as over HTTP/1.1.
//
// net/http's server (Go 1.24 and later) passes such requests to handlers
// only when the process was started with GODEBUG=http2xconnect=1 in its
// environment; it then shows :protocol as r.Header.Get(":protocol").

// protocolPseudo is the key under which net/http shows, and x/net's
// transport reads, the :protocol pseudo-header.
const protocolPseudo = ":protocol"

// ErrExtendedConnect reports that a WebSocket over HTTP/2 could not be
// opened because the server does not support extended CONNECT (it did not
// send SETTINGS_ENABLE_CONNECT_PROTOCOL), or because the round tripper
// cannot send it or did not speak HTTP/2. Dial again without
// Dialer.Transport to use HTTP/1.1.
var ErrExtendedConnect = errors.New("handshake: WebSocket over HTTP/2 (RFC 8441) not available")

// upgradeH2 accepts an HTTP/2 extended CONNECT request.
func (u *Upgrader) upgradeH2(w http.ResponseWriter, r *http.Request) (*Result, error) {
	a, rej := u.checkH2(r)
	if rej == nil && u.OnRequest != nil {
		rej = u.onRequest(r, &a)
	}
	if rej != nil {
		writeHTTPError(w, rej)
		return nil, rej
	}
	rc := http.NewResponseController(w)
	// net/http may have set the stream's deadlines (ReadTimeout,
	// WriteTimeout); the 200 has the handshake's bound, the stream none.
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Now().Add(u.timeout()))
	h := w.Header()
	for k, vs := range u.Header {
		if !isToken(k) || isReserved(k, reservedResponse) {
			continue
		}
		h[http.CanonicalHeaderKey(k)] = vs
	}
	for k, vs := range a.header { // set by OnRequest
		if !isToken(k) || isReserved(k, reservedResponse) {
			continue
		}
		h[http.CanonicalHeaderKey(k)] = vs
	}
	if a.subprotocol != "" {
		h.Set("Sec-WebSocket-Protocol", a.subprotocol)
	}
	if len(a.extensions) > 0 {
		h.Set("Sec-WebSocket-Extensions", string(appendExtensions(nil, a.extensions)))
	}
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil, fmt.Errorf("handshake: writing response: %w", err)
	}
	rc.SetWriteDeadline(time.Time{})
	var local net.Addr = addr("")
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		local = la
	}
	out := &responseSink{w: w, rc: rc}
	return &Result{
		Conn:        newStream(r.Body, out, local, addr(r.RemoteAddr)),
		Subprotocol: a.subprotocol,
		Extensions:  a.extensions,
		Header:      r.Header,
		RequestURI:  r.RequestURI,
	}, nil
}

// checkH2 validates an extended CONNECT request (RFC 8441 §4, §5).
func (u *Upgrader) checkH2(r *http.Request) (accepted, *rejection) {
	var a accepted
	switch p := r.Header.Get(protocolPseudo); {
	case p == "":
		// A plain CONNECT asks for a tunnel: this is no proxy.
		return a, reject(http.StatusMethodNotAllowed, ErrNotWebSocket,
			"websocket handshake requires method GET, or CONNECT with :protocol websocket", "Allow", "GET")
	case !strings.EqualFold(p, "websocket"):
		// RFC 9220 §3 (which restates RFC 8441 for this case): an
		// unsupported :protocol SHOULD be answered with 501.
		return a, reject(http.StatusNotImplemented, ErrNotWebSocket,
			"unsupported :protocol "+fmt.Sprintf("%q", p)+", this endpoint speaks websocket")
	}
	target := r.RequestURI
	if target == "" && r.URL != nil {
		target = r.URL.RequestURI()
	}
	if !validRequestTarget(target) {
		return a, badRequest("invalid request target")
	}
	if v := r.Header[versionKey]; len(v) != 1 || trimOWS(v[0]) != "13" {
		return a, reject(http.StatusBadRequest, ErrBadVersion,
			"unsupported Sec-WebSocket-Version, 13 is required", "Sec-WebSocket-Version", "13")
	}
	req := request{method: r.Method, target: target, major: 2, host: r.Host, header: r.Header}
	rej := u.negotiate(&req, &a)
	return a, rej
}

// responseSink sends through a server's ResponseWriter: each write is
// flushed as DATA frames, and blocks while HTTP/2 flow control holds them.
type responseSink struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// errHandlerDone reports a write after the handler returned, which ended
// the stream.
var errHandlerDone = errors.New("handshake: the HTTP/2 stream ended: its handler returned")

func (o *responseSink) write(v [][]byte, _ <-chan struct{}) (n int64, err error) {
	defer func() {
		// net/http panics on a write after the handler returned; the
		// handler must wait for the connection to end, but a mistake
		// there must not take the process down.
		if recover() != nil {
			n, err = 0, errHandlerDone
		}
	}()
	total := 0
	for _, p := range v {
		total += len(p)
	}
	if len(v) > 1 && total > handlerChunk {
		// net/http sends what its 4 KiB buffer takes as a DATA frame
		// of its own, each waiting for the connection's writer; a
		// write that starts with the buffer empty goes out whole, as
		// frames of the peer's maximum size. A frame header and its
		// payload are joined for that.
		bp := getBuffer()
		b := (*bp)[:0]
		for _, p := range v {
			b = append(b, p...)
		}
		m, err := o.w.Write(b)
		*bp = b
		putBuffer(bp)
		if err == nil {
			err = o.rc.Flush()
		}
		return int64(m), err
	}
	for _, p := range v {
		m, err := o.w.Write(p)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, o.rc.Flush()
}

// handlerChunk is the size of the buffer net/http's HTTP/2 server puts in
// front of a handler's writes.
const handlerChunk = 4 << 10

func (o *responseSink) cut() {
	defer func() { recover() }() // as in write
	// A deadline in the past resets the stream at once, which
	// unblocks the write.
	o.rc.SetWriteDeadline(aLongTimeAgo)
}

// closeWrite cannot end a handler's response, which ends when it
// returns.
func (o *responseSink) closeWrite() bool { return false }

func (o *responseSink) close(bool) {}

func (o *responseSink) release() {}

// dialH2 opens a WebSocket over HTTP/2 with d.Transport. ctx bounds the
// handshake only; the stream lives on after it.
func (d *Dialer) dialH2(ctx context.Context, u *url.URL, secure bool) (*Result, error) {
	target := &url.URL{Scheme: "http", Host: u.Host, Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
	if secure {
		target.Scheme = "https"
	}
	h := make(http.Header, len(d.Header)+4)
	for k, vs := range d.Header {
		if !isToken(k) || isReserved(k, reservedRequest) || d.Origin != "" && strings.EqualFold(k, "Origin") {
			continue
		}
		h[http.CanonicalHeaderKey(k)] = vs
	}
	h[protocolPseudo] = []string{"websocket"}
	h.Set("Sec-WebSocket-Version", "13")
	if d.Origin != "" {
		h.Set("Origin", d.Origin)
	}
	if len(d.Subprotocols) > 0 {
		h.Set("Sec-WebSocket-Protocol", strings.Join(d.Subprotocols, ", "))
	}
	if len(d.Extensions) > 0 {
		h.Set("Sec-WebSocket-Extensions", string(appendExtensions(nil, d.Extensions)))
	}
	timeout := d.HandshakeTimeout
	if _, ok := ctx.Deadline(); !ok && timeout == 0 {
		timeout = DefaultDialTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	// The request's context governs the stream for its whole life, so it
	// is not ctx: ctx only cancels it until the response arrives.
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var local, remote net.Addr = addr(""), addr(u.Host)
	var amu sync.Mutex
	rctx = httptrace.WithClientTrace(rctx, &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		amu.Lock()
		local, remote = info.Conn.LocalAddr(), info.Conn.RemoteAddr()
		amu.Unlock()
	}})
	body := newBodyPipe()
	req := &http.Request{
		Method:        http.MethodConnect,
		URL:           target,
		Proto:         "HTTP/2.0",
		ProtoMajor:    2,
		Header:        h,
		Body:          body,
		ContentLength: -1,
		Host:          u.Host,
	}
	if hh := d.Header.Get("Host"); hh != "" {
		req.Host = hh
	}
	req = req.WithContext(rctx)
	stop := context.AfterFunc(ctx, cancel)
	resp, err := d.Transport.RoundTrip(req)
	if !stop() {
		// ctx ended the handshake.
		if err == nil {
			resp.Body.Close()
		}
		cancel()
		return nil, contextError(ctx, err)
	}
	fail := func(err error) (*Result, error) {
		if resp != nil {
			resp.Body.Close()
		}
		body.closeWrite()
		cancel()
		return nil, err
	}
	if err != nil {
		if strings.Contains(err.Error(), "extended connect not supported") {
			return fail(fmt.Errorf("%w: the server does not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL: %w", ErrExtendedConnect, err))
		}
		if strings.Contains(err.Error(), "invalid") && strings.Contains(err.Error(), protocolPseudo) {
			return fail(fmt.Errorf("%w: the round tripper cannot send :protocol: %w", ErrExtendedConnect, err))
		}
		return fail(fmt.Errorf("handshake: HTTP/2 extended CONNECT: %w", err))
	}
	if resp.ProtoMajor != 2 {
		return fail(fmt.Errorf("%w: the round tripper answered in %s, want HTTP/2", ErrExtendedConnect, resp.Proto))
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return fail(&StatusError{StatusCode: resp.StatusCode, Status: resp.Status, Header: resp.Header, Body: b})
	}
	res, err := d.checkNegotiated(resp.Header)
	if err != nil {
		return fail(err)
	}
	amu.Lock()
	la, ra := local, remote
	amu.Unlock()
	res.Conn = newStream(resp.Body, &requestSink{body: body, cancel: cancel}, la, ra)
	return res, nil
}

// requestSink sends through the body of a client's extended CONNECT: a
// pipe the transport reads, whose writes wait for the transport to take
// their bytes, which it does as HTTP/2 flow control lets it.
type requestSink struct {
	body   *bodyPipe
	cancel context.CancelFunc
}

func (o *requestSink) write(v [][]byte, expired <-chan struct{}) (int64, error) {
	return o.body.write(v, expired)
}

func (o *requestSink) cut() {}

func (o *requestSink) closeWrite() bool {
	o.body.closeWrite()
	return true
}

// close ends the request body: with END_STREAM after the server ended
// its side (an orderly end), and otherwise with an error, on which the
// transport resets the stream (RST_STREAM), as a TCP connection closed
// with unread input is reset.
func (o *requestSink) close(orderly bool) {
	if orderly {
		o.body.closeWrite()
	} else {
		o.body.abort()
	}
}

// release ends the request, once the response body is closed.
func (o *requestSink) release() { o.cancel() }

// bodyPipe is the request body of a client's extended CONNECT: a write
// hands its buffers to the transport's Read, which copies them into its
// own buffer: no copy of ours.
type bodyPipe struct {
	wch  chan [][]byte // a write offers its buffers
	rch  chan int      // the read says how many bytes it took
	done chan struct{} // closed by closeWrite or abort: reads return err
	once sync.Once
	err  error // io.EOF or errAborted, set before done is closed
}

// errAborted ends a request body whose WebSocket was torn down: the
// transport then resets the stream.
var errAborted = errors.New("handshake: WebSocket torn down")

func newBodyPipe() *bodyPipe {
	return &bodyPipe{wch: make(chan [][]byte), rch: make(chan int), done: make(chan struct{})}
}

// Read is called by the transport.
func (b *bodyPipe) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	select {
	case v := <-b.wch:
		n := 0
		for _, x := range v {
			n += copy(p[n:], x)
			if n == len(p) {
				break
			}
		}
		b.rch <- n
		return n, nil
	case <-b.done:
		return 0, b.err
	}
}

// Close is called by the transport when it is done with the body.
func (b *bodyPipe) Close() error {
	b.closeWrite()
	return nil
}

func (b *bodyPipe) closeWrite() { b.end(io.EOF) }

func (b *bodyPipe) abort() { b.end(errAborted) }

func (b *bodyPipe) end(err error) {
	b.once.Do(func() {
		b.err = err
		close(b.done)
	})
}

func (b *bodyPipe) write(v [][]byte, expired <-chan struct{}) (int64, error) {
	var n int64
	for {
		for len(v) > 0 && len(v[0]) == 0 {
			v = v[1:]
		}
		if len(v) == 0 {
			return n, nil
		}
		select {
		case b.wch <- v:
			m := <-b.rch
			n += int64(m)
			for m > 0 {
				k := min(m, len(v[0]))
				v[0] = v[0][k:]
				m -= k
				if len(v[0]) == 0 {
					v = v[1:]
				}
			}
		case <-expired:
			return n, os.ErrDeadlineExceeded
		case <-b.done:
			return n, net.ErrClosed
		}
	}
}
