//go:build js && wasm

package conn

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall/js"
	"time"
	"unicode/utf8"
)

// errTextNotUTF8 refuses a text message the browser would alter.
var errTextNotUTF8 = fmt.Errorf("conn: text message is not valid UTF-8, which the browser would replace with U+FFFD: %w", ErrNotInBrowser)

// Write hands p to the browser as one message of type typ. The browser
// buffers what it has not sent yet (BufferedAmount); while that is above
// 1 MiB, Write waits for it to go down, bounded by ctx, so that a slow
// network does not grow the browser's memory without end. A Write cut by
// ctx has sent nothing and leaves the connection usable; once Write
// returned nil, the message is the browser's to send. Text must be valid
// UTF-8, since the browser sends strings: other bytes are refused with an
// error matching ErrNotInBrowser. Writes from several goroutines are
// serialized. Write returns an error matching ErrNotOpen when the
// connection is not Open.
func (c *Conn) Write(ctx context.Context, typ MessageType, p []byte) error {
	if typ != Text && typ != Binary {
		return ErrBadType
	}
	if typ == Text && !utf8.Valid(p) {
		return errTextNotUTF8
	}
	if err := c.lockWrite(ctx); err != nil {
		return err
	}
	defer c.wmu.unlock()
	return c.send(ctx, typ, p)
}

// lockWrite takes the write lock, honouring ctx.
func (c *Conn) lockWrite(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !c.wmu.lock(ctx.Done(), c.done) {
		if err := ctx.Err(); err != nil {
			return err
		}
		return c.errNotOpen()
	}
	return nil
}

// send waits for the browser's buffer to go down to bufferedHigh, then
// hands it p. The caller holds the write lock.
func (c *Conn) send(ctx context.Context, typ MessageType, p []byte) error {
	for delay := time.Millisecond; ; delay = min(2*delay, maxPoll) {
		if c.ended.Load() != nil || c.ws.Get("readyState").Int() != wsOpen {
			// send() would drop the message silently once closing.
			return c.errNotOpen()
		}
		if c.ws.Get("bufferedAmount").Int() <= bufferedHigh {
			break
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-c.done:
			t.Stop()
			return c.errNotOpen()
		}
	}
	var data any
	if typ == Text {
		data = string(p)
	} else {
		a := uint8Array.New(len(p))
		js.CopyBytesToJS(a, p)
		data = a
	}
	if err := jsCall(func() { c.ws.Call("send", data) }); err != nil {
		return fmt.Errorf("conn: the browser refused to send: %w", err)
	}
	return nil
}

// Writer returns a writer for one message of type typ. The browser sends
// only whole messages, so in the browser the writer collects the message
// in memory and Close hands it to the browser as Write does; Flush sends
// nothing. No other message can be written until Close. ctx bounds Close's
// wait for the browser's buffer. Once the message ended (its Close, or the
// end of the connection), the writer and its copies return
// ErrWriterClosed.
func (c *Conn) Writer(ctx context.Context, typ MessageType) (MessageWriter, error) {
	if typ != Text && typ != Binary {
		return MessageWriter{}, ErrBadType
	}
	if err := c.lockWrite(ctx); err != nil {
		return MessageWriter{}, err
	}
	if c.State() != Open {
		c.wmu.unlock()
		return MessageWriter{}, c.errNotOpen()
	}
	m := &c.msgw
	m.ctx, m.typ, m.buf, m.err = ctx, typ, m.buf[:0], nil
	return MessageWriter{c: c, gen: m.gen.Add(1)}, nil
}

// messageWriter is the state of the message written with a MessageWriter,
// embedded in Conn and guarded by the write lock.
type messageWriter struct {
	ctx context.Context
	typ MessageType
	buf []byte
	err error
	gen atomic.Uint64 // generation of the open message; changed when it ends
}

// MessageWriter writes one message; see Conn.Writer. It is a value naming
// its message by a generation number, so that it and its copies stop
// working when the message ends. The zero MessageWriter, as returned with
// an error, is closed.
type MessageWriter struct {
	c   *Conn
	gen uint64
}

// state returns the message's state, or nil if the message ended.
func (w MessageWriter) state() *messageWriter {
	if w.c == nil || w.c.msgw.gen.Load() != w.gen {
		return nil
	}
	return &w.c.msgw
}

// Write appends p to the message.
func (w MessageWriter) Write(p []byte) (int, error) {
	m := w.state()
	if m == nil {
		return 0, ErrWriterClosed
	}
	if m.err == nil && w.c.ended.Load() != nil {
		m.err = w.c.errNotOpen()
	}
	if m.err != nil {
		return 0, m.err
	}
	m.buf = append(m.buf, p...)
	return len(p), nil
}

// Flush sends nothing in the browser, which sends only whole messages: the
// message goes out at Close. It reports the error that ended the message,
// if any.
func (w MessageWriter) Flush() error {
	m := w.state()
	if m == nil {
		return ErrWriterClosed
	}
	return m.err
}

// Close hands the message to the browser, as Write does, and ends it.
func (w MessageWriter) Close() error {
	m := w.state()
	if m == nil {
		return ErrWriterClosed
	}
	c := w.c
	err := m.err
	if err == nil {
		if m.typ == Text && !utf8.Valid(m.buf) {
			err = errTextNotUTF8
		} else {
			err = c.send(m.ctx, m.typ, m.buf)
		}
	}
	m.gen.Add(1)
	m.ctx, m.err = nil, nil
	if cap(m.buf) > bufferedHigh {
		m.buf = nil // keep no large message's memory
	}
	c.wmu.unlock()
	return err
}
