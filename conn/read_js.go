//go:build js && wasm

package conn

import (
	"context"
	"fmt"
	"io"
	"slices"
	"syscall/js"

	"github.com/hybi/ws/closecode"
)

// Read returns the next message the browser delivered, appended to buf[:0],
// with its type; the caller may reuse the slice for the next Read. The
// browser delivers whole messages, whether or not anyone reads: they wait
// in the Conn until read. A message larger than Options.ReadLimit ends the
// connection with a *CloseError of code 1009 (the browser cannot send that
// code, so it closes without a status). A Read cut by ctx leaves the
// connection usable. After the end, and once the messages that came before
// it were read, Read returns the *CloseError.
func (c *Conn) Read(ctx context.Context, buf []byte) (MessageType, []byte, error) {
	return c.read(ctx, buf, c.readLimit.Load())
}

// read is Read with a read limit (negative for none).
func (c *Conn) read(ctx context.Context, buf []byte, limit int64) (MessageType, []byte, error) {
	buf = buf[:0]
	if err := c.lockRead(ctx); err != nil {
		return 0, buf, err
	}
	defer c.rmu.unlock()
	m, err := c.next(ctx)
	if err != nil {
		return 0, buf, err
	}
	buf, err = c.load(m, buf, limit)
	if err != nil {
		return 0, buf, err
	}
	return m.typ, buf, nil
}

// lockRead takes the read lock, honouring ctx.
func (c *Conn) lockRead(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !c.rmu.lock(ctx.Done(), nil) {
		return ctx.Err()
	}
	return nil
}

// next waits for the next message, or the end. The caller holds the read
// lock.
func (c *Conn) next(ctx context.Context) (message, error) {
	c.gen++ // the reader of the previous message reads no more
	for {
		c.mu.Lock()
		if c.qhead < len(c.queue) {
			m := c.queue[c.qhead]
			c.queue[c.qhead] = message{}
			if c.qhead++; c.qhead == len(c.queue) {
				c.queue, c.qhead = c.queue[:0], 0
			}
			c.mu.Unlock()
			return m, nil
		}
		ce := c.ended.Load() // under mu: no message comes after the end
		c.mu.Unlock()
		if ce != nil {
			return message{}, ce
		}
		select {
		case <-c.wake:
		case <-c.done:
		case <-ctx.Done():
			return message{}, ctx.Err()
		}
	}
}

// load appends m's payload to buf, or ends the connection when it is
// larger than limit (when limit > 0).
func (c *Conn) load(m message, buf []byte, limit int64) ([]byte, error) {
	if m.typ == Text {
		s := m.data.String()
		if limit > 0 && int64(len(s)) > limit {
			return buf, c.tooBig(len(s), limit)
		}
		return append(buf, s...), nil
	}
	n := m.data.Get("byteLength").Int()
	if limit > 0 && int64(n) > limit {
		return buf, c.tooBig(n, limit)
	}
	k := len(buf)
	buf = slices.Grow(buf, n)[:k+n]
	js.CopyBytesToGo(buf[k:], uint8Array.New(m.data))
	return buf, nil
}

// tooBig ends the connection for a message of n bytes, over limit.
func (c *Conn) tooBig(n int, limit int64) error {
	reason := fmt.Sprintf("message of %d bytes exceeds the read limit of %d", n, limit)
	ce := &CloseError{Code: closecode.MessageTooBig, Reason: reason,
		Err: &closecode.Error{Code: closecode.MessageTooBig, Reason: reason}}
	if c.end(ce, true) {
		c.closeWS()
	}
	return c.ended.Load()
}

// Reader waits for the next message and returns its type and a reader for
// its payload, valid until the next call to Read or Reader. In the browser
// the whole message has arrived when Reader returns: the reader reads it
// from memory. Once the message was read to its end the reader returns
// io.EOF; once the next message was asked for, ErrReaderClosed.
func (c *Conn) Reader(ctx context.Context) (MessageType, io.Reader, error) {
	if err := c.lockRead(ctx); err != nil {
		return 0, nil, err
	}
	defer c.rmu.unlock()
	m, err := c.next(ctx)
	if err != nil {
		return 0, nil, err
	}
	if c.rbuf, err = c.load(m, c.rbuf[:0], c.readLimit.Load()); err != nil {
		return 0, nil, err
	}
	return m.typ, &messageReader{c: c, ctx: ctx, gen: c.gen, rest: c.rbuf}, nil
}

// messageReader is the io.Reader of the message Reader returned.
type messageReader struct {
	c    *Conn
	ctx  context.Context
	gen  uint64
	rest []byte
}

// Read reads payload bytes of the message.
func (r *messageReader) Read(p []byte) (int, error) {
	c := r.c
	if err := c.lockRead(r.ctx); err != nil {
		return 0, err
	}
	defer c.rmu.unlock()
	if r.gen != c.gen {
		if ce := c.ended.Load(); ce != nil {
			return 0, ce // Close dropped the rest of the message
		}
		return 0, ErrReaderClosed
	}
	if len(r.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.rest)
	r.rest = r.rest[n:]
	return n, nil
}
