package deflate

import (
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"sync"
)

// tail is what RFC 7692 §7.2.1 strips from a compressed message and §7.2.2
// has the receiver append: the LEN and NLEN of an empty stored block.
const tail = "\x00\x00\xff\xff"

// ErrInvalidData reports a compressed message that is not valid DEFLATE
// data (errors.Is); the error text tells the flate error.
var ErrInvalidData = errors.New("deflate: invalid compressed data")

// ErrContextLost is returned for every message after a compressed message
// that was not read to its end (abandoned or failed) under context takeover:
// the window the next messages refer to is incomplete.
var ErrContextLost = errors.New("deflate: decompression context lost: an earlier message was not read to its end")

// Decompressor decompresses the incoming compressed messages of one
// connection. For each message the caller calls Reset with a reader of the
// message's compressed payload (the frame payloads in order, then io.EOF),
// then reads the decompressed message until io.EOF. It is not safe for
// concurrent use.
type Decompressor struct {
	takeover   bool
	windowSize int       // 2^bits: the dictionary kept under context takeover
	window     []byte    // the last windowSize bytes of output (takeover only)
	inf        *inflater // while a message is in flight
	err        error     // sticky error of the current message (io.EOF at its end)
	lost       bool      // takeover and a message ended abnormally
}

// inflater is the pooled part of a Decompressor: a flate reader reading from
// src.
type inflater struct {
	fr  io.ReadCloser
	src tailReader
}

var inflaterPool sync.Pool

// NewDecompressor returns the decompressor for the incoming messages of an
// endpoint, the server if server is true, else the client, under the agreed
// parameters p: a server decompresses under the client_* parameters, a client
// under the server_* ones. With context takeover it keeps the last
// 2^window_bits bytes of decompressed output between messages (at least
// 512 bytes; 40 KiB of memory for 15 bits); its flate reader is pooled
// between messages in any case.
func NewDecompressor(p Params, server bool) *Decompressor {
	bits, noTakeover := p.ServerMaxWindowBits, p.ServerNoContextTakeover
	if server {
		bits, noTakeover = p.ClientMaxWindowBits, p.ClientNoContextTakeover
	}
	if bits < minWindowBits || bits > maxWindowBits {
		bits = maxWindowBits
	}
	// zlib cannot compress with an 8-bit window and silently uses 9
	// (RFC 7692 §7.1.2.1): keep 512 bytes to tolerate such peers.
	bits = max(bits, 9)
	return &Decompressor{takeover: !noTakeover, windowSize: 1 << bits, err: io.EOF}
}

// Reset starts a new message whose compressed payload src yields, as sent
// (without the 4-byte tail, which Reset appends). src must return io.EOF at
// the end of the message. A message still in flight (not read to io.EOF) is
// abandoned, which under context takeover makes every later Read fail with
// ErrContextLost: to skip a message, read it to io.EOF first (the caller's
// read limit still applies).
func (d *Decompressor) Reset(src io.Reader) {
	if d.inf != nil {
		d.abandon()
	}
	if d.lost {
		d.err = ErrContextLost
		return
	}
	d.err = nil
	inf := getInflater()
	inf.src.reset(src)
	var dict []byte
	if d.takeover {
		dict = d.window
	}
	inf.fr.(flate.Resetter).Reset(&inf.src, dict) // cannot fail: no header to read
	d.inf = inf
}

// Read reads decompressed bytes of the current message into p, and io.EOF at
// its end (possibly with the last bytes). It decompresses no more than it
// returns plus what compress/flate buffers (at most 32 KiB), so a caller
// reading in bounded chunks bounds the work and memory a decompression bomb
// can cost. Errors: ErrInvalidData (wrapped) for bad DEFLATE data, src's own
// error unchanged, ErrContextLost; all are sticky until the next Reset.
// Read without a message in flight returns io.EOF. Bytes src holds after
// the final DEFLATE block (if the peer sent one) are left unread.
func (d *Decompressor) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := d.inf.fr.Read(p)
	if d.takeover && n > 0 {
		d.remember(p[:n])
	}
	if err == nil {
		return n, nil
	}
	switch {
	case err == io.EOF:
	case d.inf.src.err != nil:
		err = d.inf.src.err
		d.lost = d.takeover
	default:
		err = fmt.Errorf("%w: %v", ErrInvalidData, err)
		d.lost = d.takeover
	}
	d.err = err
	d.release()
	return n, err
}

// Close releases the decompressor's memory: the flate reader of a message
// in flight (which is abandoned) and the window. It always returns nil.
// Under context takeover later messages then fail with ErrContextLost.
func (d *Decompressor) Close() error {
	if d.inf != nil {
		d.abandon()
	}
	if d.takeover && len(d.window) > 0 {
		d.lost = true
	}
	d.window = nil
	d.err = io.EOF
	if d.lost {
		d.err = ErrContextLost
	}
	return nil
}

func (d *Decompressor) abandon() {
	d.lost = d.lost || d.takeover
	d.release()
}

func (d *Decompressor) release() {
	if d.inf == nil {
		return
	}
	d.inf.src.reset(nil)
	inflaterPool.Put(d.inf)
	d.inf = nil
}

// remember appends b to the window, keeping at least its last windowSize
// bytes. The window has a slack of windowSize/4 so that it moves its bytes
// at most once per windowSize/4 bytes appended.
func (d *Decompressor) remember(b []byte) {
	size := d.windowSize
	if d.window == nil {
		d.window = make([]byte, 0, size+size/4)
	}
	if len(b) >= size {
		d.window = append(d.window[:0], b[len(b)-size:]...)
		return
	}
	if len(d.window)+len(b) > cap(d.window) {
		keep := min(size-len(b), len(d.window))
		d.window = d.window[:copy(d.window, d.window[len(d.window)-keep:])]
	}
	d.window = append(d.window, b...)
}

func getInflater() *inflater {
	if v := inflaterPool.Get(); v != nil {
		return v.(*inflater)
	}
	inf := new(inflater)
	inf.fr = flate.NewReader(&inf.src)
	return inf
}

// tailReader yields src's bytes, then the tail and an empty final stored
// block, so that a message that ends at a block boundary ends the DEFLATE
// stream cleanly (io.EOF from flate) and a truncated one does not. It is an
// io.ByteReader so that flate reads through it without a bufio.Reader.
type tailReader struct {
	src     io.Reader
	err     error // non-EOF error from src
	srcDone bool  // src returned io.EOF
	tailPos int   // bytes of trailer served
	r, w    int
	buf     [4096]byte
}

// trailer is the tail then an empty stored block with BFINAL set.
const trailer = tail + "\x01\x00\x00\xff\xff"

func (t *tailReader) reset(src io.Reader) {
	t.src, t.err, t.srcDone, t.tailPos, t.r, t.w = src, nil, false, 0, 0, 0
}

// fill refills buf; it is called when buf is empty.
func (t *tailReader) fill() error {
	if t.err != nil {
		return t.err
	}
	if !t.srcDone {
		for range 100 {
			n, err := t.src.Read(t.buf[:])
			t.r, t.w = 0, n
			if err == io.EOF {
				t.srcDone = true
			} else if err != nil {
				t.err = err
			}
			if n > 0 {
				return nil
			}
			if err != nil {
				break
			}
		}
		if !t.srcDone {
			if t.err == nil {
				t.err = io.ErrNoProgress
			}
			return t.err
		}
	}
	if t.tailPos == len(trailer) {
		return io.EOF
	}
	n := copy(t.buf[:], trailer[t.tailPos:])
	t.tailPos += n
	t.r, t.w = 0, n
	return nil
}

func (t *tailReader) ReadByte() (byte, error) {
	if t.r == t.w {
		if err := t.fill(); err != nil {
			return 0, err
		}
	}
	b := t.buf[t.r]
	t.r++
	return b, nil
}

func (t *tailReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if t.r == t.w {
		if err := t.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, t.buf[t.r:t.w])
	t.r += n
	return n, nil
}
