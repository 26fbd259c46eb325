package conn

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/mask"
)

// ErrWriterClosed is returned by a message writer used after its Close.
var ErrWriterClosed = errors.New("conn: message writer already closed")

var errBadType = errors.New("conn: message type must be Text or Binary")

// errCloseSent refuses a ping or pong after our close frame; it stays
// internal.
var errCloseSent = errors.New("conn: close frame already sent")

// errFrameBusy reports that a control frame could not go out in time
// because another frame held the connection.
var errFrameBusy = errors.New("conn: timed out waiting to send a control frame")

// Write sends p as one message of type typ, in a single frame. With
// compression negotiated, messages of at least the configured threshold are
// compressed. Writes from several goroutines are serialized. Write returns an
// error matching ErrNotOpen when the connection is not Open. While the
// reader has more input buffered, the message may be queued to go out with
// the next ones (see the package documentation); the queue is flushed
// within a millisecond, and before any control frame.
func (c *Conn) Write(ctx context.Context, typ MessageType, p []byte) error {
	if typ != Text && typ != Binary {
		return errBadType
	}
	if err := c.lockWrite(ctx); err != nil {
		return err
	}
	defer c.unlockWrite()
	if c.comp != nil && len(p) >= c.opts.Compression.Threshold {
		if c.State() != Open {
			return c.errNotOpen()
		}
		buf := getBuf(c.opts.WriteBufferSize)
		buf = c.comp.Compress(buf[:0], p)
		c.compUsed = true
		_, err := c.writeFrame(ctx, true, frame.Opcode(typ), frame.RSV1, buf)
		putBuf(buf)
		if err != nil && !errors.Is(err, ErrNotOpen) {
			// The compressor's context holds a message the peer never got.
			c.teardown(&CloseError{Code: closecode.Abnormal, Reason: "compressed message not sent", Err: err})
		}
		return err
	}
	_, err := c.writeFrame(ctx, true, frame.Opcode(typ), 0, p)
	return err
}

// Writer returns a writer for one message of type typ, sent as a fragmented
// message: each time the writer's buffer fills, and at each Flush, its
// content goes out as a frame; Close sends the final frame. No other message
// can be written until Close; control frames (pings, pongs, close) can go
// out between the fragments. ctx bounds every write of the message.
func (c *Conn) Writer(ctx context.Context, typ MessageType) (*MessageWriter, error) {
	if typ != Text && typ != Binary {
		return nil, errBadType
	}
	if err := c.lockWrite(ctx); err != nil {
		return nil, err
	}
	if c.State() != Open {
		c.unlockWrite()
		return nil, c.errNotOpen()
	}
	if c.msgw == nil {
		c.msgw = &MessageWriter{c: c}
	}
	w := c.msgw
	w.ctx = ctx
	w.op = frame.Opcode(typ)
	w.rsv = 0
	if c.comp != nil {
		w.rsv = frame.RSV1
		c.compUsed = true
	}
	w.buf = getBuf(c.opts.WriteBufferSize)[:0]
	w.open = true
	w.err = nil
	return w, nil
}

// MessageWriter writes one fragmented message; see Conn.Writer.
type MessageWriter struct {
	c    *Conn
	ctx  context.Context
	op   frame.Opcode // opcode of the next frame
	rsv  byte         // RSV bits of the next frame
	buf  []byte
	open bool
	err  error
}

// Write buffers p, sending full buffers as frames.
func (w *MessageWriter) Write(p []byte) (int, error) {
	if !w.open {
		return 0, ErrWriterClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	c := w.c
	if c.comp != nil {
		w.buf = c.comp.Write(w.buf, p)
		if len(w.buf) >= c.opts.WriteBufferSize {
			if err := w.send(false); err != nil {
				return 0, err
			}
		}
		return len(p), nil
	}
	n := 0
	for len(p) > 0 {
		if len(w.buf) == 0 && len(p) >= cap(w.buf) {
			// A full buffer's worth: send it straight, without copying.
			if err := w.sendData(false, p); err != nil {
				return n, err
			}
			return n + len(p), nil
		}
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		n += k
		if len(w.buf) == cap(w.buf) {
			if err := w.send(false); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// Flush sends what is buffered as a frame of the message.
func (w *MessageWriter) Flush() error {
	if !w.open {
		return ErrWriterClosed
	}
	if w.err != nil {
		return w.err
	}
	if w.c.comp != nil {
		w.buf = w.c.comp.Flush(w.buf)
	} else if len(w.buf) == 0 {
		return nil
	}
	return w.send(false)
}

// Close sends the final frame of the message and releases the connection
// for the next message.
func (w *MessageWriter) Close() error {
	if !w.open {
		return ErrWriterClosed
	}
	c := w.c
	err := w.err
	if err == nil {
		if c.comp != nil {
			w.buf = c.comp.Finish(w.buf)
		}
		err = w.send(true)
	}
	w.open = false
	putBuf(w.buf)
	w.buf = nil
	w.ctx = nil
	c.unlockWrite()
	return err
}

// send writes the buffer as a frame.
func (w *MessageWriter) send(fin bool) error {
	err := w.sendData(fin, w.buf)
	w.buf = w.buf[:0]
	return err
}

func (w *MessageWriter) sendData(fin bool, p []byte) error {
	c := w.c
	started := w.op == frame.OpContinuation
	_, err := c.writeFrame(w.ctx, fin, w.op, w.rsv, p)
	w.op, w.rsv = frame.OpContinuation, 0
	if err != nil {
		w.err = err
		// Once part of the message went out, or the compressor took it in,
		// the stream cannot continue. When the connection is closing, the
		// close handshake goes on: no data frame can follow our close frame.
		if (started || c.comp != nil) && !errors.Is(err, ErrNotOpen) {
			c.teardown(&CloseError{Code: closecode.Abnormal, Reason: "message write aborted", Err: err})
		}
	}
	return err
}

// lockWrite takes the message lock, honouring ctx. A ctx already done is
// reported without writing anything.
func (c *Conn) lockWrite(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case c.wmu <- struct{}{}:
		return nil
	default:
	}
	select {
	case c.wmu <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.errNotOpen()
	}
}

func (c *Conn) unlockWrite() {
	if c.comp != nil && c.State() == Closed {
		c.comp.Close() // return its memory to the pools
	}
	<-c.wmu
}

// lockFrame takes the frame lock for a data frame, honouring ctx.
func (c *Conn) lockFrame(ctx context.Context) error {
	select {
	case c.fmu <- struct{}{}:
		return nil
	default:
	}
	select {
	case c.fmu <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.errNotOpen()
	}
}

// lockFrameTimeout takes the frame lock for a control frame, waiting at
// most timeout.
func (c *Conn) lockFrameTimeout(timeout time.Duration) error {
	select {
	case c.fmu <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case c.fmu <- struct{}{}:
		return nil
	case <-t.C:
		return errFrameBusy
	case <-c.done:
		return c.errNotOpen()
	}
}

func (c *Conn) unlockFrame() { <-c.fmu }

// writeFrame sends one data frame. wrote reports whether any byte of it
// reached the network, in which case a failure has torn the connection down.
func (c *Conn) writeFrame(ctx context.Context, fin bool, op frame.Opcode, rsv byte, p []byte) (wrote bool, err error) {
	if err := c.lockFrame(ctx); err != nil {
		return false, err
	}
	defer c.unlockFrame()
	if c.closeSent || c.State() != Open {
		return false, c.errNotOpen()
	}
	watching := c.watchWrite(ctx)
	n, err := c.writeFrameLocked(fin, op, rsv, p)
	c.endWrite(watching)
	if err == nil {
		return true, nil
	}
	if watching && errors.Is(err, os.ErrDeadlineExceeded) {
		// Only a context sets write deadlines on data frames.
		err = ctx.Err()
		if err == nil {
			err = context.DeadlineExceeded
		}
		if n == 0 {
			return false, err
		}
	}
	if n > 0 {
		c.teardown(&CloseError{Code: closecode.Abnormal, Reason: "write aborted in the middle of a frame", Err: err})
		return true, c.errNotOpen()
	}
	c.teardown(&CloseError{Code: closecode.Abnormal, Reason: "connection lost", Err: err})
	return false, c.errNotOpen()
}

// watchWrite applies ctx to the writes that follow, until endWrite, as
// watchRead does for reads. The caller holds the frame lock.
func (c *Conn) watchWrite(ctx context.Context) bool {
	if ctx.Done() == nil {
		return false
	}
	c.dlMu.Lock()
	gen := c.wgen
	if dl, ok := ctx.Deadline(); ok {
		c.nc.SetWriteDeadline(dl)
	}
	c.dlMu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		c.dlMu.Lock()
		if c.wgen == gen {
			c.nc.SetWriteDeadline(aLongTimeAgo)
		}
		c.dlMu.Unlock()
	})
	c.wstop = stop
	return true
}

// endWrite undoes watchWrite.
func (c *Conn) endWrite(watching bool) {
	if !watching {
		return
	}
	c.wstop()
	c.wstop = nil
	c.dlMu.Lock()
	c.wgen++
	c.nc.SetWriteDeadline(time.Time{})
	c.dlMu.Unlock()
}

// writeFrameLocked encodes and writes a frame; the caller holds the frame
// lock. It returns how many bytes reached the network.
func (c *Conn) writeFrameLocked(fin bool, op frame.Opcode, rsv byte, p []byte) (int64, error) {
	h := frame.Header{Fin: fin, Rsv: rsv, Opcode: op, Length: int64(len(p))}
	if c.role == frame.Client {
		h.Masked = true
		putKey(&h.Key)
	}
	hn := frame.PutHeader(c.hdr[:], h)
	if !h.Masked {
		if c.pending.Load() || c.more.Load() {
			if op < frame.OpClose && c.appendPending(c.hdr[:hn], p) {
				return int64(hn + len(p)), nil
			}
			if c.wpend != nil {
				// The pending frames first, with this one.
				c.iov[0], c.iov[1], c.iov[2] = c.wpend, c.hdr[:hn], p
				c.wbufs = c.iov[:]
				n, err := c.wbufs.WriteTo(c.nc)
				c.iov[1], c.iov[2] = nil, nil
				c.wbufs = nil
				c.dropPending()
				c.iov[0] = nil
				if err != nil {
					// Frames reported as written were lost: the
					// caller must tear the connection down.
					return max(n, 1), err
				}
				return int64(hn + len(p)), nil
			}
		}
		if hn+len(p) <= len(c.hdr) {
			copy(c.hdr[hn:], p)
			n, err := c.nc.Write(c.hdr[:hn+len(p)])
			return int64(n), err
		}
		c.iov[0], c.iov[1] = c.hdr[:hn], p
		c.wbufs = c.iov[:2]
		n, err := c.wbufs.WriteTo(c.nc)
		c.iov[0], c.iov[1] = nil, nil // do not retain the caller's p
		c.wbufs = nil
		return n, err
	}
	// Masked: copy through a buffer, since p belongs to the caller. It has
	// the full size even for short frames, so that each pool holds buffers
	// of one size.
	// Large frames go through a bigger buffer, so that a 1 MiB message is
	// four writes, not 256.
	var buf []byte
	if hn+len(p) > c.opts.WriteBufferSize && c.opts.WriteBufferSize < bigBufSize {
		buf = getBufFrom(&bigPool, bigBufSize)
		defer putBufTo(&bigPool, buf)
	} else {
		buf = getBuf(c.opts.WriteBufferSize)
		defer putBuf(buf)
	}
	copy(buf, c.hdr[:hn])
	pos, off, total := 0, hn, int64(0)
	for {
		k := copy(buf[off:], p)
		pos = mask.Apply(h.Key, pos, buf[off:off+k])
		p = p[k:]
		n, err := c.nc.Write(buf[:off+k])
		total += int64(n)
		if err != nil {
			return total, err
		}
		if len(p) == 0 {
			return total, nil
		}
		off = 0
	}
}

// putKey fills k with a fresh masking key. The runtime's ChaCha8 generator
// behind math/rand/v2's top-level functions is seeded from the operating
// system per process and unpredictable to peers, which is what RFC 6455
// §10.3 asks of masking keys, at a fraction of crypto/rand's cost.
func putKey(k *[4]byte) {
	v := rand.Uint32()
	k[0], k[1], k[2], k[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// writeControl sends a control frame, bounded by timeout. Once our close
// frame was sent, another close is a no-op and pings and pongs are refused
// with errCloseSent. A failed write tears the connection down; errFrameBusy
// (another frame held the connection all along) does not.
func (c *Conn) writeControl(op frame.Opcode, p []byte, timeout time.Duration) error {
	if err := c.lockFrameTimeout(timeout); err != nil {
		return err
	}
	defer c.unlockFrame()
	if c.closeSent {
		if op == frame.OpClose {
			return nil
		}
		return errCloseSent
	}
	if c.State() == Closed {
		return c.errNotOpen()
	}
	if op == frame.OpClose {
		c.closeSent = true
	}
	c.nc.SetWriteDeadline(time.Now().Add(timeout))
	_, err := c.writeFrameLocked(true, op, 0, p)
	c.nc.SetWriteDeadline(time.Time{})
	if err != nil {
		c.teardown(&CloseError{Code: closecode.Abnormal, Reason: "connection lost sending a " + op.String() + " frame", Err: err})
		return c.errNotOpen()
	}
	return nil
}

var _ io.WriteCloser = (*MessageWriter)(nil)
