package conn

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/mask"
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
	defer c.unlockRead()
	watching := c.watchRead(ctx)
	if c.rr == c.rw && c.rc != nil && !c.inMsg {
		// Wait for input here, high on the stack and without a buffer,
		// so that an idle connection's goroutine keeps a small stack.
		if err := c.rawFill(); err != nil {
			return 0, buf, c.readError(ctx, watching, err)
		}
	}
	typ, err := c.beginMessage(c.opts.ReadLimit)
	if err != nil {
		return 0, buf, c.readError(ctx, watching, err)
	}
	for {
		if len(buf) == cap(buf) && !c.atMessageEnd() {
			buf = c.grow(buf)
		}
		n, err := c.readMessage(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			c.endRead(watching)
			c.setMore()
			return typ, buf, nil
		}
		if err != nil {
			return 0, buf, c.readError(ctx, watching, err)
		}
	}
}

// atMessageEnd reports whether the current uncompressed message has no
// payload left, so that reading it needs no more room.
func (c *Conn) atMessageEnd() bool {
	return !c.compress && c.remain == 0 && c.cur.Fin
}

// maxGrowStep bounds how much grow allocates ahead of the bytes actually
// received, when the message size is only announced by the peer.
const maxGrowStep = 1 << 20

// grow extends buf's capacity for the rest of the current message: to the
// current frame's remaining size when known, never past the read limit.
func (c *Conn) grow(buf []byte) []byte {
	want := int64(cap(buf)) * 2
	if want < 512 {
		want = 512
	}
	if !c.compress && c.remain > 0 {
		want = int64(len(buf)) + min(c.remain, max(maxGrowStep, int64(cap(buf))))
	}
	if lim := c.rlimit; lim > 0 && want-1 > lim {
		want = lim + 1 // room to notice a decompressed message one byte over
	}
	if want <= int64(cap(buf)) {
		want = int64(cap(buf)) + 512
	}
	nb := make([]byte, len(buf), want)
	copy(nb, buf)
	return nb
}

// Reader waits for the next data message and returns its type and a reader
// for its payload, valid until the next call to Read or Reader (the same
// reader value is reused for every message, so a stale one reads the current
// message); reads from it are bounded by ctx as well. A message not read to
// the end is discarded by the next call.
func (c *Conn) Reader(ctx context.Context) (MessageType, io.Reader, error) {
	typ, r, err := c.reader(ctx, false)
	if err != nil {
		return 0, nil, err
	}
	return typ, r, nil
}

// reader is Reader, or NetConn's reader when stream is set: a byte stream,
// whose memory its caller's buffers bound, has no message size limit, and
// its reads survive an expired deadline (see NetConn).
func (c *Conn) reader(ctx context.Context, stream bool) (MessageType, *messageReader, error) {
	limit := c.opts.ReadLimit
	if stream {
		limit = -1
	}
	if err := c.lockRead(ctx); err != nil {
		return 0, nil, err
	}
	defer c.unlockRead()
	watching := c.watchRead(ctx)
	typ, err := c.beginMessage(limit)
	if err != nil {
		return 0, nil, c.readError(ctx, watching, err)
	}
	c.endRead(watching)
	c.msgr.ctx = ctx
	c.msgr.stream = stream
	return typ, &c.msgr, nil
}

// messageReader is the io.Reader returned by Reader. It is embedded in Conn
// and reused.
type messageReader struct {
	c      *Conn
	ctx    context.Context
	eof    bool
	stream bool // NetConn's: a deadline mid-message is not fatal
}

// Read reads payload bytes of the message.
func (r *messageReader) Read(p []byte) (int, error) {
	c := r.c
	if err := c.lockRead(r.ctx); err != nil {
		return 0, err
	}
	defer c.unlockRead()
	if r.eof {
		return 0, io.EOF
	}
	if ce := c.closedErr(); ce != nil {
		return 0, ce
	}
	if len(p) == 0 {
		return 0, nil
	}
	watching := c.watchRead(r.ctx)
	n, err := c.readMessage(p)
	if err == io.EOF {
		r.eof = true
		c.endRead(watching)
		return n, io.EOF
	}
	if err != nil {
		if r.stream && n == 0 && !c.compress && watching && errors.Is(err, os.ErrDeadlineExceeded) {
			// The network read was cut before it consumed anything, and
			// the raw stream resumes where it stopped; a decompressor
			// does not survive an error from its source.
			c.endRead(watching)
			return 0, ctxErr(r.ctx)
		}
		return n, c.readError(r.ctx, watching, err)
	}
	c.endRead(watching)
	return n, nil
}

// lockRead takes the read lock, honouring ctx. A ctx already done is
// reported without reading anything.
func (c *Conn) lockRead(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case c.rmu <- struct{}{}:
		return nil
	default:
	}
	select {
	case c.rmu <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Conn) unlockRead() {
	if c.rbuf != nil && c.rr == c.rw {
		putBuf(c.rbuf)
		c.rbuf, c.rr, c.rw = nil, 0, 0
	}
	if c.dec != nil && c.State() == Closed {
		c.dec.Close() // return its memory to the pools
	}
	<-c.rmu
}

// aLongTimeAgo is a deadline in the past, to abort blocked I/O at once.
var aLongTimeAgo = time.Unix(1, 0)

// watchRead applies ctx to the reads that follow, until endRead: its
// deadline becomes the read deadline and its cancellation aborts a blocked
// read. It reports whether it did anything (not when ctx can never end).
// The caller holds the read lock.
func (c *Conn) watchRead(ctx context.Context) bool {
	if ctx.Done() == nil {
		return false
	}
	c.dlMu.Lock()
	gen := c.rgen
	if dl, ok := ctx.Deadline(); ok {
		c.nc.SetReadDeadline(dl)
	}
	c.dlMu.Unlock()
	c.rstop = context.AfterFunc(ctx, func() {
		c.dlMu.Lock()
		if c.rgen == gen {
			c.nc.SetReadDeadline(aLongTimeAgo)
		}
		c.dlMu.Unlock()
	})
	return true
}

// endRead undoes watchRead.
func (c *Conn) endRead(watching bool) {
	if !watching {
		return
	}
	c.rstop()
	c.rstop = nil
	c.dlMu.Lock()
	c.rgen++
	c.nc.SetReadDeadline(time.Time{})
	c.dlMu.Unlock()
}

// readError turns an error of the read path into what the caller sees, and
// fails or tears down the connection as the error demands.
func (c *Conn) readError(ctx context.Context, watching bool, err error) error {
	c.endRead(watching)
	if ce := c.closedErr(); ce != nil {
		return ce
	}
	var pe *closecode.Error
	if errors.As(err, &pe) {
		return c.fail(pe)
	}
	if watching && errors.Is(err, os.ErrDeadlineExceeded) {
		// Only a context sets read deadlines outside the close handshake;
		// the network's deadline may expire a moment before ctx does.
		cerr := ctxErr(ctx)
		if c.inMsg {
			c.teardown(&CloseError{Code: closecode.Abnormal, Reason: "read aborted in the middle of a message", Err: cerr})
		}
		return cerr
	}
	c.teardown(&CloseError{Code: closecode.Abnormal, Reason: "connection lost", Err: err})
	return c.closedErr()
}

// ctxErr is ctx's error after a network deadline that ctx set expired: the
// network's deadline may expire a moment before ctx reports it.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return context.DeadlineExceeded
}

// beginMessage discards what is left of an unfinished message, then reads
// frames until the first frame of a new data message.
func (c *Conn) beginMessage(limit int64) (MessageType, error) {
	if ce := c.closedErr(); ce != nil {
		return 0, ce
	}
	c.rlimit = limit
	if c.inMsg {
		if err := c.discardMessage(); err != nil {
			return 0, err
		}
	}
	h, err := c.nextFrame()
	if err != nil {
		return 0, err
	}
	if h.Opcode == frame.OpContinuation {
		return 0, protocolError("continuation frame without a message to continue")
	}
	c.inMsg = true
	c.msgType = MessageType(h.Opcode)
	c.msgLen = 0
	c.compress = h.Rsv&frame.RSV1 != 0
	c.rawEOF = false
	c.utf8.Reset()
	c.msgr.eof = false
	c.startFrame(h)
	if c.compress {
		c.dec.Reset(&c.raw)
	}
	return c.msgType, nil
}

// startFrame makes h the current data frame.
func (c *Conn) startFrame(h frame.Header) {
	if h.Opcode != frame.OpContinuation {
		c.rawLen = 0
	}
	if c.rawLen > math.MaxInt64-h.Length {
		c.rawLen = math.MaxInt64 // only without a read limit, which bounds it
	} else {
		c.rawLen += h.Length
	}
	c.cur = h
	c.remain = h.Length
	c.mpos = 0
}

// discardMessage reads and drops the rest of the current message.
func (c *Conn) discardMessage() error {
	var scratch [512]byte
	for {
		_, err := c.readMessage(scratch[:])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

var (
	errTooBig      = &closecode.Error{Code: closecode.MessageTooBig, Reason: "message exceeds the read limit"}
	errBadUTF8     = &closecode.Error{Code: closecode.InvalidPayload, Reason: "invalid UTF-8 in text message"}
	errCutUTF8     = &closecode.Error{Code: closecode.InvalidPayload, Reason: "text message ends inside a UTF-8 sequence"}
	errBadDeflate  = &closecode.Error{Code: closecode.InvalidPayload, Reason: "invalid compressed data"}
	errLostDeflate = &closecode.Error{Code: closecode.InternalError, Reason: "decompression context lost"}
)

// readMessage reads decoded payload bytes of the current message into p:
// decompressed if the message is compressed, checked against the read limit
// and, for text, as UTF-8. It returns io.EOF at the end of the message,
// possibly with the last bytes.
func (c *Conn) readMessage(p []byte) (int, error) {
	if lim := c.rlimit; lim > 0 {
		// msgLen never exceeds lim (see below), so room cannot overflow,
		// and room+1 is computed only when it is below len(p).
		if room := lim - c.msgLen; int64(len(p)) > room {
			p = p[:room+1] // enough to see the limit crossed, no more
		}
	}
	var n int
	var err error
	if c.compress {
		n, err = c.dec.Read(p)
		if c.rlimit > 0 && c.msgLen+int64(n) > c.rlimit {
			return 0, errTooBig
		}
		switch {
		case err == nil || err == io.EOF:
		case errors.Is(err, deflate.ErrInvalidData):
			err = errBadDeflate
		case errors.Is(err, deflate.ErrContextLost):
			err = errLostDeflate
		}
		if err == io.EOF && !c.rawEOF {
			// The peer ended the DEFLATE stream early; drop what remains.
			if derr := c.drainRaw(); derr != nil {
				return 0, derr
			}
		}
	} else {
		n, err = c.raw.Read(p)
		if err == nil && c.remain == 0 && c.cur.Fin {
			c.rawEOF = true
			err = io.EOF
		}
	}
	c.msgLen += int64(n)
	if c.msgType == Text && n > 0 && !c.utf8.Write(p[:n]) {
		return 0, errBadUTF8
	}
	if err == io.EOF {
		c.inMsg = false
		if c.msgType == Text && !c.utf8.Complete() {
			return n, errCutUTF8
		}
	}
	return n, err
}

// drainRaw drops the remaining raw payload of the current message.
func (c *Conn) drainRaw() error {
	var scratch [256]byte
	for {
		_, err := c.raw.Read(scratch[:])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// rawReader reads the raw (unmasked, still compressed if so) payload of the
// current message across its frames, handling control frames between them.
// It is embedded in Conn so that handing it to the decompressor does not
// allocate.
type rawReader struct{ c *Conn }

// Read implements io.Reader; io.EOF marks the end of the message.
func (r *rawReader) Read(p []byte) (int, error) {
	c := r.c
	for c.remain == 0 {
		if c.cur.Fin {
			c.rawEOF = true
			return 0, io.EOF
		}
		if len(p) == 0 {
			return 0, nil
		}
		h, err := c.nextFrame()
		if err != nil {
			return 0, err
		}
		if h.Opcode != frame.OpContinuation {
			return 0, protocolError("new data frame while a fragmented message is open")
		}
		c.startFrame(h)
	}
	if int64(len(p)) > c.remain {
		p = p[:c.remain]
	}
	n, err := c.readPayload(p)
	if n > 0 && c.cur.Masked {
		c.mpos = mask.Apply(c.cur.Key, c.mpos, p[:n])
	}
	c.remain -= int64(n)
	if err != nil && n > 0 {
		err = nil // report the data now, the error on the next call
	}
	return n, err
}

// readPayload reads up to len(p) payload bytes: from the read buffer if it
// holds any, else straight from the network for large reads.
func (c *Conn) readPayload(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.rr < c.rw {
		n := copy(p, c.rbuf[c.rr:c.rw])
		c.rr += n
		return n, nil
	}
	if len(p) >= c.opts.ReadBufferSize {
		c.flushIdle()
		return c.netRead(p)
	}
	if err := c.fill(1); err != nil {
		return 0, err
	}
	n := copy(p, c.rbuf[c.rr:c.rw])
	c.rr += n
	return n, nil
}

// netRead reads from the network. Any byte proves the peer alive. The
// stream may not end before a close frame, so io.EOF is unexpected.
func (c *Conn) netRead(p []byte) (int, error) {
	n, err := c.nc.Read(p)
	if n > 0 {
		c.alive()
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// fill reads from the network until at least n bytes are buffered;
// n is at most a control frame with its header.
func (c *Conn) fill(n int) error {
	if c.rbuf != nil && c.rw-c.rr >= n {
		return nil
	}
	switch {
	case c.rbuf == nil || c.rr == c.rw:
		c.rr, c.rw = 0, 0
	case len(c.rbuf)-c.rr < n:
		c.rw = copy(c.rbuf, c.rbuf[c.rr:c.rw])
		c.rr = 0
	}
	if c.rc != nil {
		for c.rw-c.rr < n {
			if err := c.rawFill(); err != nil {
				return err
			}
		}
		return nil
	}
	if c.rbuf == nil {
		c.rbuf = getBuf(c.opts.ReadBufferSize)
	}
	c.flushIdle()
	for c.rw-c.rr < n {
		m, err := c.netRead(c.rbuf[c.rw:])
		c.rw += m
		if err != nil {
			if c.rw-c.rr >= n {
				return nil
			}
			return err
		}
	}
	return nil
}

// rawFill reads into the read buffer through the raw connection, holding
// no buffer while it waits for input if the buffer is empty (see rawRead).
// It reads at least one byte or fails.
func (c *Conn) rawFill() error {
	c.rn, c.rerr, c.rflushed = 0, nil, false
	err := c.rc.Read(c.rawReadFn)
	if err == nil && c.rflush {
		c.rflush, c.rflushed = false, true
		c.flushIdle()
		err = c.rc.Read(c.rawReadFn)
	}
	if err == nil {
		err = c.rerr
		c.rerr = nil
	}
	if err != nil {
		return err
	}
	if c.rn == 0 {
		return io.ErrUnexpectedEOF // the stream may not end before a close frame
	}
	c.rw += c.rn
	c.alive()
	return nil
}

// nextFrame reads frame headers, handling control frames, until a data
// frame, which it returns after checking it against the protocol rules and
// the read limit. A frame header is consumed only once it is accepted, and
// a control frame only once it is buffered whole, so that a read aborted by
// its context in between leaves the stream where it was.
func (c *Conn) nextFrame() (frame.Header, error) {
	for {
		h, hn, err := c.peekHeader()
		if err != nil {
			return h, err
		}
		if err := c.rules.Check(h); err != nil {
			return h, err
		}
		if h.Opcode.IsControl() {
			if h.Rsv != 0 {
				return h, protocolError("reserved bit set on a control frame")
			}
			n := int(h.Length)
			if err := c.fill(hn + n); err != nil {
				return h, err
			}
			// The payload is unmasked in place: it is consumed, and the
			// buffer is neither refilled nor released while it is handled.
			p := c.rbuf[c.rr+hn : c.rr+hn+n : c.rr+hn+n]
			c.rr += hn + n
			if err := c.control(h, p); err != nil {
				return h, err
			}
			continue
		}
		cont := h.Opcode == frame.OpContinuation
		if h.Rsv != 0 && (cont || c.params == nil) {
			return h, protocolError("reserved bit set on a frame that cannot carry it")
		}
		if !cont && c.inMsg {
			return h, protocolError("new data frame while a fragmented message is open")
		}
		if lim := c.rlimit; lim > 0 {
			// The message's total so far (rawLen) was checked against the
			// same bound, so bound-rawLen cannot overflow, whereas
			// rawLen+h.Length can.
			var sofar int64
			compressed := h.Rsv&frame.RSV1 != 0
			if cont && c.inMsg {
				sofar = c.rawLen
				compressed = c.compress
			}
			if compressed {
				// The decompressed size is what the limit is about, and it
				// is checked as the data is inflated. This bound only stops
				// a peer from streaming compressed bytes without end: it
				// leaves room for compressors that emit small stored
				// blocks (zlib with a low memLevel grows random data by
				// up to ~4%).
				if lim < 1<<60 {
					lim = 2*lim + 64<<10
				} else {
					lim = math.MaxInt64
				}
			}
			if h.Length > lim-sofar {
				return h, errTooBig
			}
		}
		c.rr += hn
		return h, nil
	}
}

// peekHeader decodes the next frame header without consuming it and
// returns its encoded size.
func (c *Conn) peekHeader() (frame.Header, int, error) {
	for {
		need := 2
		if c.rbuf != nil {
			h, n, err := frame.ParseHeader(c.rbuf[c.rr:c.rw])
			if err == nil {
				return h, n, nil
			}
			if err != frame.ErrShortHeader {
				return h, 0, err
			}
			need = n
		}
		if err := c.fill(need); err != nil {
			return frame.Header{}, 0, err
		}
	}
}

// control handles a control frame with header h and (masked) payload p.
func (c *Conn) control(h frame.Header, p []byte) error {
	if h.Masked {
		mask.Apply(h.Key, 0, p)
	}
	switch h.Opcode {
	case frame.OpPing:
		err := c.writeControl(frame.OpPong, p, c.opts.CloseTimeout)
		if err == errCloseSent {
			return nil
		}
		return err
	case frame.OpPong:
		c.pong(p)
		return nil
	default: // frame.OpClose
		return c.peerClosed(p)
	}
}

func protocolError(reason string) error {
	return &closecode.Error{Code: closecode.ProtocolError, Reason: reason}
}
