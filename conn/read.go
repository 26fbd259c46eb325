//go:build !js

package conn

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/hybi/ws/protocol"
)

// Read reads the next data message, appends it to buf[:0] and returns its
// type and the extended slice, which the caller may reuse for the next Read.
// Control frames that arrive before or between the message's frames are
// handled on the way. After the connection ends, Read returns a *CloseError.
func (c *Conn) Read(ctx context.Context, buf []byte) (MessageType, []byte, error) {
	buf = buf[:0]
	if err := c.lockRead(ctx); err != nil {
		return 0, buf, err
	}
	watching := c.watchRead(ctx)
	// Wait for input here, high on the stack (read does the rest), so
	// that an idle connection's goroutine keeps a small stack.
	err := c.idleWait()
	var typ MessageType
	if err == nil {
		typ, buf, err = c.read(ctx, watching, buf)
	} else {
		err = c.readError(ctx, watching, err)
	}
	c.endRead(watching)
	c.unlockRead()
	return typ, buf, err
}

// read is Read once the locks are taken.
func (c *Conn) read(ctx context.Context, watching bool, buf []byte) (MessageType, []byte, error) {
	var typ MessageType // 0 until the message's start
	if c.msgr.open || c.streamed {
		// What is left of a message to discard, or the stream mode to
		// leave, first.
		var err error
		if typ, err = c.beginMessage(ctx, watching, false); err != nil {
			return 0, buf, err
		}
	} else {
		c.msgr.pend = nil
		c.msgr.gen++ // the previous message's reader reads no more
	}
	for {
		ev, err := c.next(ctx, watching, &buf, &typ)
		if err != nil {
			return 0, buf, err
		}
		if ev.Kind == protocol.EventMessageEnd {
			c.msgr.open = false
			c.setMore()
			return typ, buf, nil
		}
		// The input is used up: the rest of a large frame straight into
		// buf, or more input.
		n, err := c.readLarge(&buf)
		if err == nil && n == 0 {
			err = c.fill()
		}
		if err != nil {
			return 0, buf, c.readError(ctx, watching, err)
		}
	}
}

// readLarge reads the rest of a large frame's payload straight from the
// network into *buf, growing it as needed, when the read buffer is empty;
// it returns 0 when the current frame is not one. Into the room past the
// frame's end too, when there is some: the next header comes with the
// payload.
func (c *Conn) readLarge(buf *[]byte) (int, error) {
	left := c.payloadLeft()
	if left < int64(c.cfg.readBuf) {
		return 0, nil
	}
	b := *buf
	if cap(b)-len(b) < c.cfg.readBuf {
		b = grow(b, left)
	}
	room := cap(b) - len(b)
	want := int(min(int64(room), left))
	extra := min(room-want, c.cfg.readBuf)
	n, err := c.readDirect(b[len(b):len(b)+want+extra], want)
	*buf = b[:len(b)+n]
	if err == nil && n == 0 {
		n = -1 // the bytes broke the protocol: next reports the end
	}
	return n, err
}

// maxGrowStep bounds how much grow allocates ahead of the bytes actually
// received, when the message size is only announced by the peer.
const maxGrowStep = 1 << 20

// grow extends buf's capacity for left more bytes of the current frame:
// at most maxGrowStep (or buf's size) ahead of what arrived.
func grow(buf []byte, left int64) []byte {
	step := min(left, int64(max(maxGrowStep, cap(buf))))
	nb := make([]byte, len(buf), len(buf)+int(step))
	copy(nb, buf)
	return nb
}

// payloadLeft returns the payload bytes left in the current frame of an
// uncompressed message.
func (c *Conn) payloadLeft() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.p.PayloadPending()
}

// readDirect reads payload bytes of the current frame from the network into
// p[:want], and has the state machine check them in place. p may be longer:
// the bytes read past want, the next frame's header for instance, go to the
// read buffer, so that a large message costs one read per frame, not two.
// The caller holds the read lock, and the read buffer is empty. It returns
// 0 and no error when the bytes broke the protocol: the connection is
// failing, and the next read reports its end.
func (c *Conn) readDirect(p []byte, want int) (int, error) {
	c.flushIdle(true)
	n, err := c.nc.Read(p)
	if n > 0 {
		k := min(n, want) // all of it data: want <= PayloadPending
		c.mu.Lock()
		c.p.Alive(time.Now())
		_, _, perr := c.p.Parse(p[:k])
		c.unlock()
		if n > k {
			if c.rbuf == nil || len(c.rbuf) < n-k {
				putBuf(c.rbuf)
				c.rbuf = getBuf(max(c.cfg.readBuf, n-k))
			}
			c.rr, c.rw = 0, copy(c.rbuf, p[k:n])
		}
		if perr != nil {
			c.fault(perr)
			return 0, nil
		}
		return k, nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return 0, err
}

// Reader waits for the next data message and returns its type and a reader
// for its payload, valid until the next call to Read or Reader; reads from
// it are bounded by ctx as well. Once the message has ended, or the next
// message was asked for, the reader returns io.EOF. A message not read to
// the end is discarded by the next call.
func (c *Conn) Reader(ctx context.Context) (MessageType, io.Reader, error) {
	typ, r, err := c.reader(ctx, false)
	if err != nil {
		return 0, nil, err
	}
	return typ, r, nil
}

// reader is Reader, or NetConn's reader when stream is set: its reads
// survive an expired deadline (see NetConn).
func (c *Conn) reader(ctx context.Context, stream bool) (MessageType, *messageHandle, error) {
	if err := c.lockRead(ctx); err != nil {
		return 0, nil, err
	}
	defer c.unlockRead()
	watching := c.watchRead(ctx)
	defer c.endRead(watching)
	if err := c.idleWait(); err != nil {
		return 0, nil, c.readError(ctx, watching, err)
	}
	typ, err := c.beginMessage(ctx, watching, stream)
	if err != nil {
		return 0, nil, err
	}
	r := &c.msgr
	r.ctx = ctx
	r.stream = stream
	return typ, &messageHandle{r: r, gen: r.gen}, nil
}

// messageReader is the read side's message state, embedded in Conn. The
// reader Reader returns for a message is a messageHandle naming the
// message by its generation, so that a reader kept past its message reads
// nothing of a later one.
type messageReader struct {
	c      *Conn
	ctx    context.Context // of the Reader call, or NetConn's read
	open   bool            // a message is being read: its start came, its end did not
	stream bool            // NetConn's: an expired deadline is not fatal
	gen    uint64          // generation of the current message
	pend   []byte          // data of the last event not yet returned
}

// messageHandle is the io.Reader of one message.
type messageHandle struct {
	r   *messageReader
	gen uint64
	eof bool // the message was read to its end
}

// Read reads payload bytes of the message. At its end it returns io.EOF;
// if the connection ends first, the *CloseError; and once a later message
// was asked for (which discards what was left of this one),
// ErrReaderClosed.
func (h *messageHandle) Read(p []byte) (int, error) {
	if h.eof {
		return 0, io.EOF
	}
	r := h.r
	c := r.c
	if err := c.lockRead(r.ctx); err != nil {
		return 0, err
	}
	defer c.unlockRead()
	if h.gen != r.gen {
		if ce := c.closedErr(); ce != nil {
			return 0, ce // Close drained the rest of the message
		}
		return 0, ErrReaderClosed
	}
	n, err := r.read(p)
	if err == io.EOF {
		h.eof = true
	}
	return n, err
}

// read reads payload bytes of the current message; the caller holds the
// read lock.
func (r *messageReader) read(p []byte) (int, error) {
	c := r.c
	if len(r.pend) > 0 {
		n := copy(p, r.pend)
		r.pend = r.pend[n:]
		return n, nil
	}
	if !r.open {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	watching := c.watchRead(r.ctx)
	defer c.endRead(watching)
	if left := c.payloadLeft(); left > 0 && c.rr == c.rw && len(p) >= c.cfg.readBuf {
		want := int(min(int64(len(p)), left))
		n, err := c.readDirect(p[:want], want)
		if err != nil {
			return 0, c.readError(r.ctx, watching, err)
		}
		if n > 0 {
			return n, nil
		}
	}
	ev, err := c.next(r.ctx, watching, nil, nil)
	if err != nil {
		return 0, err
	}
	if ev.Kind == protocol.EventMessageEnd {
		r.open = false
		c.setMore()
		return 0, io.EOF
	}
	n := copy(p, ev.Data)
	r.pend = ev.Data[n:]
	return n, nil
}

// idleWait waits for input high on the stack, when a read starts with
// nothing buffered between messages, so that the goroutine of an idle
// connection keeps a small stack while it waits (and, on TCP, no buffer).
// The caller holds the read lock.
func (c *Conn) idleWait() error {
	if c.rr < c.rw || c.msgr.open || c.rc == nil || c.closedErr() != nil {
		return nil
	}
	c.rr, c.rw = 0, 0
	return c.rawFill()
}

// beginMessage discards what is left of an unfinished message, then reads
// until the start of a new data message, for a stream's reader when stream
// is set: a stream's uncompressed messages have no size limit. The caller
// holds the read lock.
func (c *Conn) beginMessage(ctx context.Context, watching, stream bool) (MessageType, error) {
	r := &c.msgr
	r.pend = nil
	r.gen++ // the previous message's reader reads no more
	for r.open {
		ev, err := c.next(ctx, watching, nil, nil)
		if err != nil {
			return 0, err
		}
		if ev.Kind == protocol.EventMessageEnd {
			r.open = false
		}
	}
	if stream != c.streamed {
		c.streamed = stream
		c.mu.Lock()
		c.p.SetStream(stream)
		c.mu.Unlock()
	}
	// With no message open, the next event is a message's start.
	ev, err := c.next(ctx, watching, nil, nil)
	if err != nil {
		return 0, err
	}
	r.open = true
	return ev.Type, nil
}

// next returns the next event of a data message (its start, data, end),
// reading from the network as needed and handling control frames on the
// way (a ping's pong and the answer to a close frame are sent, pongs wake
// Ping). With buf set, it collects the message instead: its data goes to
// *buf and its type to *typ, and it returns EventNone when it needs input,
// for its caller to read. The caller holds the read lock. Data events point into the read
// buffer or the state machine's own, valid until the next call. Errors are
// a *CloseError once the connection ended, and the context's error for a
// read it aborted.
func (c *Conn) next(ctx context.Context, watching bool, buf *[]byte, typ *MessageType) (protocol.Event, error) {
	for {
		var ev protocol.Event
		var n int
		var err error
		c.mu.Lock()
		if buf != nil {
			// Collecting a message: its start and its data are taken in
			// under one lock.
			ev, n, err = c.p.Collect(buf, c.rbuf[c.rr:c.rw])
			if err == nil && ev.Type != 0 {
				*typ = ev.Type
				c.msgr.open = true
			}
		} else {
			ev, n, err = c.p.Parse(c.rbuf[c.rr:c.rw])
		}
		c.rr += n
		if err != nil || ev.Kind == protocol.EventClose || c.p.Compressed() {
			// The state and the deadline changed; on a compressed
			// connection a message may have armed the release of its
			// idle buffers.
			c.unlock()
		} else {
			c.mu.Unlock()
		}
		if err != nil {
			c.fault(err)
			continue
		}
		switch ev.Kind {
		case protocol.EventNone:
			if ce := c.closedErr(); ce != nil {
				return ev, ce
			}
			if buf != nil {
				return ev, nil // the collector reads: maybe straight into buf
			}
			if err := c.fill(); err != nil {
				return ev, c.readError(ctx, watching, err)
			}
		case protocol.EventPing, protocol.EventClose:
			if ev.Kind == protocol.EventPing && c.hooks != nil && c.hooks.OnPing != nil {
				c.hooks.OnPing(c, ev.Data)
			}
			c.flushControl(true)
		case protocol.EventPong:
			c.pongReceived(ev)
		default:
			return ev, nil
		}
	}
}

// fault handles a fault of the peer that the state machine reported: it
// sends the close frame that fails the connection, and the reads that
// follow wait for the peer to close its side (bounded by CloseTimeout).
// It returns the connection's end if it came already.
func (c *Conn) fault(err error) error {
	c.flushControl(true)
	if ce := c.closedErr(); ce != nil {
		return ce
	}
	return err
}

// readError turns an error of a network read into what the caller sees.
// An aborted read (its context's deadline or cancellation, turned into an
// expired network deadline) returns the context's error; it tears the
// connection down when it came in the middle of a message, unless the read
// is a stream's. Any other error ends the connection.
func (c *Conn) readError(ctx context.Context, watching bool, err error) error {
	if ce := c.closedErr(); ce != nil {
		return ce
	}
	if watching && errors.Is(err, os.ErrDeadlineExceeded) {
		cerr := ctxErr(ctx)
		if c.msgr.open && !c.msgr.stream {
			c.abort("read aborted in the middle of a message", cerr)
			return cerr
		}
		return cerr
	}
	if err == io.EOF {
		err = nil
	}
	// A frame being written, our close frame perhaps, reports its
	// outcome first: the peer may have answered it before the write call
	// returned. Writes are bounded, and fail once the peer is gone. Control
	// frames queued behind that write, such as the answer to the peer's
	// close frame, go out then: the peer may have closed only its side.
	t := time.NewTimer(c.cfg.closeTimeout)
	if c.fmu.lockTimeout(nil, t.C) {
		if c.w.ctl.Load() {
			c.w.ctl.Store(false)
			c.sendControlLocked(true)
		}
		c.transportEnded(err)
		c.fmu.unlock()
	} else {
		c.transportEnded(err)
	}
	t.Stop()
	return c.closedErr()
}

// errWouldBlock stops a raw read that would wait, so that coalesced
// writes go out first; it never leaves rawFill.
var errWouldBlock = errors.New("conn: read would block")

// ctxErr is ctx's error after a network deadline that ctx set expired: the
// network's deadline may expire a moment before ctx reports it.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return context.DeadlineExceeded
}

// fill reads from the network into the read buffer, which Parse has used
// up; it reads at least one byte or fails. Pending coalesced writes are
// flushed first: the reader is about to wait for the peer.
func (c *Conn) fill() error {
	c.rr, c.rw = 0, 0
	if c.rc != nil {
		return c.rawFill() // flushes only when the socket has nothing to read
	}
	c.flushIdle(true)
	if c.rbuf == nil {
		c.rbuf = getBuf(c.cfg.readBuf)
	}
	n, err := c.nc.Read(c.rbuf)
	if n > 0 {
		c.rw = n
		c.alive()
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// rawFill reads into the read buffer through the raw connection, holding
// no buffer while it waits for input (see rawRead).
func (c *Conn) rawFill() error {
	c.rawErr = nil
	err := c.rc.Read(c.rawFn)
	for err == nil && c.rawErr == errWouldBlock {
		// Once flushed, no writes are coalesced until the next Read
		// returns: the second read waits.
		c.flushIdle(true)
		c.rawErr = nil
		err = c.rc.Read(c.rawFn)
	}
	if err == nil {
		err = c.rawErr
	}
	if err != nil {
		return err
	}
	if c.rw == 0 {
		return io.EOF
	}
	c.alive()
	return nil
}

// alive tells the state machine that bytes arrived.
func (c *Conn) alive() {
	c.mu.Lock()
	// The deadline may move earlier: an answer that comes before the end
	// of PongTimeout makes the next ping due PingInterval after it, which
	// may be sooner. unlock re-arms the timer then.
	c.p.Alive(time.Now())
	c.unlock()
}

// lockRead takes the read lock, honouring ctx. A ctx already done is
// reported without reading anything.
func (c *Conn) lockRead(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.rmu.lock(ctx.Done(), nil) {
		return nil
	}
	return ctx.Err()
}

// unlockRead releases the read lock, and the read buffer when it holds
// nothing.
func (c *Conn) unlockRead() {
	if c.rbuf != nil && c.rr == c.rw && len(c.msgr.pend) == 0 {
		putBuf(c.rbuf)
		c.rbuf, c.rr, c.rw = nil, 0, 0
	}
	c.rmu.unlock()
}

// aLongTimeAgo is a deadline in the past, to abort blocked I/O at once.
var aLongTimeAgo = time.Unix(1, 0)

// watchRead applies ctx to the reads that follow, until endRead: its
// deadline becomes the read deadline and its cancellation aborts a blocked
// read, or a write of the reader's (see writeBounded). It reports whether
// it did anything (not when ctx can never end). The caller holds the read
// lock.
func (c *Conn) watchRead(ctx context.Context) bool {
	if ctx.Done() == nil {
		return false
	}
	w := &c.w
	w.dlMu.Lock()
	g := w.rgen
	w.rdl, w.rdone = 0, false
	if dl, ok := ctx.Deadline(); ok {
		w.rdl = dl.UnixNano()
		c.nc.SetReadDeadline(dl)
	}
	w.dlMu.Unlock()
	w.rstop = context.AfterFunc(ctx, func() {
		w.dlMu.Lock()
		if w.rgen == g {
			c.nc.SetReadDeadline(aLongTimeAgo)
			w.rdone = true
			if w.rwriting {
				c.nc.SetWriteDeadline(aLongTimeAgo)
			}
		}
		w.dlMu.Unlock()
	})
	return true
}

// endRead undoes watchRead.
func (c *Conn) endRead(watching bool) {
	if !watching {
		return
	}
	w := &c.w
	w.rstop()
	w.dlMu.Lock()
	w.rgen++
	w.rdl, w.rdone = 0, false
	c.nc.SetReadDeadline(time.Time{})
	w.dlMu.Unlock()
}
