//go:build !js

package conn

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

// Write sends p as one message of type typ: in one frame, or in frames of
// at most Options.MaxFrameSize bytes (64 KiB by default) when it is
// larger, so that control frames can go out between them. With compression
// negotiated, messages of at least the configured threshold are
// compressed. Writes from several goroutines are serialized. Write returns
// an error matching ErrNotOpen when the connection is not Open.
//
// ctx bounds the write. A write aborted before any byte of the message
// went out returns ctx's error and leaves the connection usable; one
// aborted later tears the connection down, since the peer would see a
// broken message. While the reader has more input buffered, the message
// may be queued to go out with the next ones (see the package
// documentation); the queue is flushed within a millisecond, and before
// any control frame.
func (c *Conn) Write(ctx context.Context, typ MessageType, p []byte) error {
	_, err := c.write(ctx, typ, p, false, compDefault)
	return err
}

// write is Write, or NetConn's write when stream is set: then a write cut
// by its context in the middle of its last frame keeps the frame's rest,
// which goes out before anything else, and the connection goes on. It
// reports whether the message was accepted: sent, or kept to be.
func (c *Conn) write(ctx context.Context, typ MessageType, p []byte, stream bool, comp compChoice) (bool, error) {
	if typ != Text && typ != Binary {
		return false, ErrBadType
	}
	if err := c.lockWrite(ctx); err != nil {
		return false, err
	}
	defer c.unlockWrite()
	return c.sendData(ctx, typ, p, true, false, stream, comp)
}

// sendData sends the next frames of the open outgoing message, carrying p,
// the last of them final if fin; with typ set, it starts the message of
// that type first, compressed as comp says. started tells whether frames
// of the message went out before. It reports whether any did now. A failure
// before the message's first byte cancels the message; a failure after it
// tears the connection down, unless keep is set and the failure cut the
// final frame, whose rest the wire keeps (see put). The caller holds the
// message lock.
func (c *Conn) sendData(ctx context.Context, typ MessageType, p []byte, fin, started, keep bool, comp compChoice) (bool, error) {
	for {
		if err := c.lockWire(ctx); err != nil {
			return started, c.messageFailed(started, err)
		}
		watching := c.watchWrite(ctx)
		// Several frames per system call while the peer takes them at
		// once; one at a time once a write had to wait, so that a control
		// frame waits behind at most one frame.
		frames := 1
		if len(p) > c.p.MaxFrameSize() && !c.w.slow && !c.w.more.Load() && !c.w.pending.Load() && c.w.tail == nil {
			frames = batchFrames
		}
		var frameBuf, payload []byte
		var bt *batch
		var n int
		var err error
		c.mu.Lock()
		if typ != 0 {
			if err := c.p.StartMessage(typ, len(p)); err != nil {
				c.mu.Unlock()
				c.endWrite(watching)
				c.unlockWire()
				return false, err
			}
			if comp != compDefault {
				c.p.SetWriteCompressed(comp == compOn) // cannot fail: the message is open, with no frame yet
			}
			typ = 0
		}
		zero := c.p.ZeroCopy()
		switch {
		case zero && frames > 1:
			bt = batchPool.Get().(*batch)
			n, err = bt.fill(c.p, p, fin)
		case zero:
			frameBuf, n, err = c.p.AppendHeader(c.w.hdr[:0], len(p), fin)
			payload = p[:n]
		default:
			// Frames of p, masked; or, compressed, what flate emits for
			// them, which may include output it held back before.
			size := min(len(p), frames*c.p.MaxFrameSize()) + frames*frame.MaxHeaderSize
			frameBuf = getBuf(max(size, c.cfg.writeBuf))[:0]
			for f := 0; f < frames && err == nil && (f == 0 || n < len(p)); f++ {
				var k int
				frameBuf, k, err = c.p.AppendFrame(frameBuf, p[n:], fin)
				n += k
			}
		}
		if c.p.Compressed() {
			c.unlock() // a compressed message may arm the release of the compressor
		} else {
			c.mu.Unlock()
		}
		var wrote int64
		var start time.Time
		if len(p) > c.p.MaxFrameSize() {
			start = time.Now()
		}
		switch {
		case err != nil:
		case bt != nil:
			wrote, err = c.putv(bt, bt.iov[:bt.k])
			bt.release()
		case len(frameBuf) > 0:
			wrote, err = c.writeFrame(frameBuf, payload)
		}
		if len(p) > c.p.MaxFrameSize() {
			c.w.slow = time.Since(start) > time.Millisecond
		}
		kept := err != nil && c.w.tail != nil
		if !zero {
			putBuf(frameBuf)
		}
		c.endWrite(watching)
		c.unlockWire()
		if wrote > 0 {
			started = true
		}
		if err != nil {
			if watching && errors.Is(err, os.ErrDeadlineExceeded) {
				err = ctxErr(ctx)
				if keep && kept && fin && n == len(p) {
					return true, err
				}
			}
			return started, c.messageFailed(started, err)
		}
		if p = p[n:]; len(p) == 0 {
			return started, nil // the final frame, if fin, went out
		}
	}
}

// messageFailed handles the failure err of a message write: before the
// message's first byte the message is cancelled and the connection goes
// on, unless the compressor took its bytes in; after it the stream cannot
// continue, and the connection is torn down. When the connection is not
// open, the close handshake goes on instead.
func (c *Conn) messageFailed(started bool, err error) error {
	if errors.Is(err, ErrNotOpen) {
		return err
	}
	c.mu.Lock()
	cancelled := !started && c.p.CancelMessage() == nil
	c.mu.Unlock()
	if !cancelled {
		c.abort("message write aborted", err)
	}
	if ce := c.closedErr(); ce != nil && !cancelled && !isCtxErr(err) {
		return c.errNotOpen()
	}
	return err
}

func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// errNotOpen builds the error for an operation refused in the current
// state.
func (c *Conn) errNotOpen() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &protocol.NotOpenError{State: c.p.State(), Close: c.p.Result()}
}

// Writer returns a writer for one message of type typ, sent as a
// fragmented message: each time the writer's buffer fills, and at each
// Flush, its content goes out as a frame; Close sends the final frame. No
// other message can be written until Close; control frames (pings, pongs,
// close) can go out between the fragments. ctx bounds every write of the
// message. Once the message ended (its Close, or the end of the
// connection), the writer and its copies return ErrWriterClosed.
func (c *Conn) Writer(ctx context.Context, typ MessageType) (MessageWriter, error) {
	return c.writer(ctx, typ, compDefault)
}

func (c *Conn) writer(ctx context.Context, typ MessageType, comp compChoice) (MessageWriter, error) {
	if typ != Text && typ != Binary {
		return MessageWriter{}, ErrBadType
	}
	if err := c.lockWrite(ctx); err != nil {
		return MessageWriter{}, err
	}
	c.mu.Lock()
	err := c.p.StartMessage(typ, -1)
	if err == nil && comp != compDefault {
		c.p.SetWriteCompressed(comp == compOn) // cannot fail: the message is open, with no frame yet
	}
	compressed := c.p.WriteCompressed()
	c.mu.Unlock()
	if err != nil {
		c.unlockWrite()
		return MessageWriter{}, err
	}
	if c.msgw == nil {
		c.msgw = new(messageWriter)
	}
	m := c.msgw
	m.ctx, m.err, m.started, m.compressed = ctx, nil, false, compressed
	if !compressed {
		m.buf = getBuf(c.cfg.writeBuf)[:0]
	}
	return MessageWriter{c: c, gen: m.gen.Add(1)}, nil
}

// messageWriter is the state of the message written with a MessageWriter,
// embedded in Conn and guarded by the message lock.
type messageWriter struct {
	ctx        context.Context
	buf        []byte // an uncompressed message's bytes not sent yet, pooled
	err        error  // the write failure that ended the message
	started    bool   // frames of the message went out
	compressed bool
	gen        atomic.Uint64 // generation of the open message; changed when it ends
}

// MessageWriter writes one fragmented message; see Conn.Writer. It is a
// value naming its message by a generation number, so that it and its
// copies stop working when the message ends. The zero MessageWriter, as
// returned with an error, is closed.
type MessageWriter struct {
	c   *Conn
	gen uint64
}

// state returns the message's state, or nil if the message ended.
func (w MessageWriter) state() *messageWriter {
	if w.c == nil || w.c.msgw.gen.Load() != w.gen {
		return nil
	}
	return w.c.msgw
}

// Write writes p to the message, sending full buffers as frames.
func (w MessageWriter) Write(p []byte) (int, error) {
	m := w.state()
	if m == nil {
		return 0, ErrWriterClosed
	}
	if m.err != nil {
		return 0, m.err
	}
	if m.compressed {
		// The compressor buffers: its output goes out as it comes.
		return len(p), m.send(w.c, p, false)
	}
	size := w.c.cfg.writeBuf
	n := 0
	for len(p) > 0 {
		if len(m.buf) == 0 && len(p) >= size {
			// A buffer's worth or more: send it straight, without copying.
			if err := m.send(w.c, p, false); err != nil {
				return n, err
			}
			return n + len(p), nil
		}
		k := copy(m.buf[len(m.buf):size], p)
		m.buf = m.buf[:len(m.buf)+k]
		p = p[k:]
		n += k
		if len(m.buf) == size {
			if err := m.send(w.c, m.buf, false); err != nil {
				return n, err
			}
			m.buf = m.buf[:0]
		}
	}
	return n, nil
}

// send sends p as frames of the message.
func (m *messageWriter) send(c *Conn, p []byte, fin bool) error {
	var err error
	m.started, err = c.sendData(m.ctx, 0, p, fin, m.started, false, compDefault)
	if err != nil {
		m.err = err
	}
	return err
}

// Flush sends what is buffered as a frame of the message; for a compressed
// message, everything the compressor holds.
func (w MessageWriter) Flush() error {
	m := w.state()
	if m == nil {
		return ErrWriterClosed
	}
	if m.err != nil {
		return m.err
	}
	c := w.c
	if !m.compressed {
		if len(m.buf) == 0 {
			return nil
		}
		err := m.send(c, m.buf, false)
		m.buf = m.buf[:0]
		return err
	}
	if err := c.lockWire(m.ctx); err != nil {
		m.err = c.messageFailed(true, err)
		return m.err
	}
	watching := c.watchWrite(m.ctx)
	buf := getBuf(c.p.MaxFrameSize() + frame.MaxHeaderSize)
	c.mu.Lock()
	buf, err := c.p.AppendFlush(buf[:0])
	c.unlock()
	var wrote int64
	if err == nil && len(buf) > 0 {
		wrote, err = c.writeFrame(buf, nil)
	}
	putBuf(buf)
	c.endWrite(watching)
	c.unlockWire()
	if wrote > 0 {
		m.started = true
	}
	if err != nil {
		if watching && errors.Is(err, os.ErrDeadlineExceeded) {
			err = ctxErr(m.ctx)
		}
		m.err = c.messageFailed(true, err)
	}
	return m.err
}

// Close sends the final frame of the message and releases the connection
// for the next message.
func (w MessageWriter) Close() error {
	m := w.state()
	if m == nil {
		return ErrWriterClosed
	}
	c := w.c
	err := m.err
	if err == nil {
		err = m.send(c, m.buf, true)
	}
	if m.buf != nil {
		putBuf(m.buf)
		m.buf = nil
	}
	m.ctx = nil
	m.gen.Add(1)
	c.unlockWrite()
	return err
}

// lockWrite takes the message lock, honouring ctx. A ctx already done is
// reported without writing anything.
func (c *Conn) lockWrite(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.wmu.lock(ctx.Done(), c.done) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.errNotOpen()
}

func (c *Conn) unlockWrite() { c.wmu.unlock() }

var _ io.WriteCloser = MessageWriter{}

// batchFrames is how many frames of a large message go out in one system
// call while the peer takes them at once.
const batchFrames = 4

// batch holds the headers and the iovec of a batch of zero-copy frames:
// pooled, so that sending one allocates nothing.
type batch struct {
	hdr  [batchFrames * frame.MaxHeaderSize]byte
	iov  [1 + 2*batchFrames][]byte // iov[0] is for the wire's tail (see putv)
	k    int                       // entries of iov in use
	bufs net.Buffers               // the iovec being written
}

var batchPool = sync.Pool{New: func() any { return new(batch) }}

// fill encodes into b the headers of up to batchFrames frames of the open
// zero-copy message carrying p, the last final if fin, and returns how
// many bytes of p they carry.
func (b *batch) fill(pr *protocol.Protocol, p []byte, fin bool) (int, error) {
	b.k = 1
	off, n := 0, 0
	for f := 0; f < batchFrames && (f == 0 || n < len(p)); f++ {
		h, k, err := pr.AppendHeader(b.hdr[off:off], len(p)-n, fin)
		if err != nil {
			return n, err
		}
		b.iov[b.k], b.iov[b.k+1] = h, p[n:n+k]
		b.k += 2
		off += len(h)
		n += k
	}
	return n, nil
}

// release returns b to the pool, holding no payload.
func (b *batch) release() {
	clear(b.iov[:])
	batchPool.Put(b)
}
