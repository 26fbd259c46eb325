//go:build js && wasm

package conn

import (
	"context"
	"fmt"
	"time"
)

// SetReadLimit changes the largest message Read and Reader accept: 0
// means DefaultReadLimit, a negative value no limit. It applies to the
// messages read after it.
func (c *Conn) SetReadLimit(n int64) {
	if n == 0 {
		n = DefaultReadLimit
	}
	c.readLimit.Store(n)
}

// Latency returns 0 in the browser: the page's WebSocket sends no pings,
// so no round trip is measured.
func (c *Conn) Latency() time.Duration { return 0 }

// CloseRead is for connections the application only writes to: it starts
// a goroutine that reads c and reports the end. The returned context is
// cancelled when the connection ends, with the *CloseError as its cause
// (context.Cause), or when ctx is done, which also stops the reading. A
// data message from the peer closes the connection with
// ClosePolicyViolation (reason "unexpected data message"). Nothing else
// may read c after CloseRead.
func (c *Conn) CloseRead(ctx context.Context) context.Context {
	rctx, cancel := context.WithCancelCause(ctx)
	go func() {
		_, _, err := c.Read(rctx, nil)
		if err == nil {
			c.Close(ClosePolicyViolation, "unexpected data message")
			<-c.done
		}
		if ce := c.ended.Load(); ce != nil {
			err = ce
		} else if rctx.Err() != nil {
			err = context.Cause(rctx)
		}
		cancel(err)
	}()
	return rctx
}

// WriteCompressed is refused in the browser, with an error matching
// ErrNotInBrowser: the page's WebSocket decides alone whether a message
// is compressed. Use Write.
func (c *Conn) WriteCompressed(ctx context.Context, typ MessageType, p []byte, compress bool) error {
	return errCompressionChoice("WriteCompressed")
}

// WriterCompressed is refused in the browser, as WriteCompressed is.
func (c *Conn) WriterCompressed(ctx context.Context, typ MessageType, compress bool) (MessageWriter, error) {
	return MessageWriter{}, errCompressionChoice("WriterCompressed")
}

func errCompressionChoice(name string) error {
	return fmt.Errorf("conn: %s: the browser decides alone whether a message is compressed: %w", name, ErrNotInBrowser)
}

// Pipe is refused in the browser, with an error matching ErrNotInBrowser:
// it needs the server side, which a browser cannot run.
func Pipe(opts *Options) (client, server *Conn, err error) {
	return nil, nil, fmt.Errorf("conn: Pipe: a browser cannot serve WebSocket connections: %w", ErrNotInBrowser)
}
