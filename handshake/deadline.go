package handshake

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// aLongTimeAgo is a deadline in the past that makes pending I/O fail at once.
var aLongTimeAgo = time.Unix(1, 0)

// ctxWatch makes the I/O on a connection fail when a context is done.
type ctxWatch struct {
	stop  func() bool
	fired chan struct{}
}

// watch arranges for c's deadline to be set in the past when ctx is done. It
// allocates nothing for a context that cannot be canceled.
func watch(ctx context.Context, c net.Conn) ctxWatch {
	if ctx.Done() == nil {
		return ctxWatch{}
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		c.SetDeadline(aLongTimeAgo)
		close(fired)
	})
	return ctxWatch{stop: stop, fired: fired}
}

// end stops watching. It reports whether the context fired, in which case it
// has waited for the deadline to be set and the connection is unusable.
func (w ctxWatch) end() bool {
	if w.stop == nil || w.stop() {
		return false
	}
	<-w.fired
	return true
}

// contextError returns the error to report for err, an error of I/O under
// ctx: the context's error when it is done or its deadline has passed (as
// the connection deadline then fires just before the context), else err.
func contextError(ctx context.Context, err error) error {
	cerr := ctx.Err()
	if cerr == nil {
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			cerr = context.DeadlineExceeded
		}
	}
	if cerr == nil {
		return err
	}
	if err == nil || errors.Is(err, cerr) {
		return fmt.Errorf("handshake: %w", cerr)
	}
	return fmt.Errorf("handshake: %w: %w", cerr, err)
}

// earliest returns the earlier of now+d and ctx's deadline.
func earliest(ctx context.Context, d time.Duration) time.Time {
	t := time.Now().Add(d)
	if dl, ok := ctx.Deadline(); ok && dl.Before(t) {
		return dl
	}
	return t
}

// bufferSize is the size of pooled handshake buffers.
const bufferSize = 4 << 10

var bufferPool = sync.Pool{New: func() any {
	b := make([]byte, bufferSize)
	return &b
}}

func getBuffer() *[]byte { return bufferPool.Get().(*[]byte) }

// putBuffer returns a buffer to the pool unless it grew too large.
func putBuffer(b *[]byte) {
	if cap(*b) > 4*bufferSize {
		return
	}
	*b = (*b)[:cap(*b)]
	bufferPool.Put(b)
}
