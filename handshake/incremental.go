package handshake

import (
	"bytes"
	"errors"
	"net/http"
)

// RequestReader reads the server's side of an opening handshake from bytes
// fed to it as they arrive, for a driver that cannot block in UpgradeConn
// (an event loop). It holds the bytes of the request head received so far,
// and nothing once the head is complete or refused; the driver owns the
// transport, writes the response Feed returns and bounds the handshake's
// duration itself (Upgrader.HandshakeTimeout says how long). A request is
// validated and answered exactly as UpgradeConn would.
//
// The zero value is ready to use. A RequestReader is not safe for
// concurrent use.
type RequestReader struct {
	buf       []byte
	scanned   int // bytes of buf searched for the end of the head
	lineStart int // start of the line being scanned
	done      bool
}

// Feed appends in, the next bytes read from the client, to the request
// head, and returns once it is complete.
//
// While the head is incomplete, Feed returns nil, dst and nil. Once it is
// complete and valid, it returns the Result (whose Conn is nil: the driver
// owns the transport; Buffered holds a copy of the bytes that followed the
// head) and dst with the 101 response appended. When the request is
// refused, it returns an error wrapping one of the Err* values (as
// UpgradeConn does) and dst with the HTTP error response appended, which
// the driver writes before it closes the connection. A head longer than
// Upgrader.MaxRequestBytes is refused with 431 as soon as that many bytes
// arrived without its end. After the first non-nil Result or error, Feed
// returns ErrFed.
func (r *RequestReader) Feed(u *Upgrader, in, dst []byte) (*Result, []byte, error) {
	if r.done {
		return nil, dst, ErrFed
	}
	limit := u.maxRequestBytes()
	r.buf = append(r.buf, in...)
	end := 0
	for ; r.scanned < len(r.buf) && r.scanned < limit; r.scanned++ {
		if r.buf[r.scanned] != '\n' {
			continue
		}
		lineEnd := r.scanned
		if lineEnd > r.lineStart && r.buf[lineEnd-1] == '\r' {
			lineEnd--
		}
		if lineEnd == r.lineStart {
			end = r.scanned + 1
			break
		}
		r.lineStart = r.scanned + 1
	}
	if end == 0 {
		if r.scanned >= limit {
			r.release()
			rej := reject(http.StatusRequestHeaderFieldsTooLarge, ErrRequestTooLarge, "request header fields too large")
			return nil, appendError(dst, rej), rej
		}
		return nil, dst, nil
	}
	buf := r.buf
	r.release()
	req, uri, rej := parseHead(buf[:end])
	var a accepted
	if rej == nil {
		a, rej = u.check(&req)
	}
	if rej != nil {
		return nil, appendError(dst, rej), rej
	}
	res := &Result{
		Subprotocol: a.subprotocol,
		Extensions:  a.extensions,
		Header:      req.header,
		RequestURI:  uri,
	}
	if len(buf) > end {
		res.Buffered = bytes.Clone(buf[end:])
	}
	return res, u.appendSwitching(dst, &a), nil
}

// Len returns the number of bytes the reader holds: the part of the
// request head received so far.
func (r *RequestReader) Len() int { return len(r.buf) }

func (r *RequestReader) release() {
	r.buf, r.done = nil, true
}

// ErrFed is returned by RequestReader.Feed once the request it read was
// answered or refused.
var ErrFed = errors.New("handshake: the request was already read")
