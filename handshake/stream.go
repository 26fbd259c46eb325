package handshake

import (
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// stream is a net.Conn over the two directions of an HTTP/2 stream (RFC
// 8441): in carries the peer's bytes, out ours. A WebSocket over HTTP/2
// has no socket of its own, so this is what the connection layer drives.
//
// Deadlines follow the net.Conn contract. A read that its deadline cuts
// leaves the stream usable: the bodies of net/http and x/net have no read
// deadline that can be lifted once it fired (ResponseController's poisons
// the body for good), so reads never block in the body while a deadline
// could cut them. A goroutine, started by the first read that waits, waits
// for input with a zero-length read, which returns once the body holds
// bytes or has ended without taking any, and Read then reads what is
// there, which does not block. So an idle stream holds no buffer of ours.
//
// A write cut by its deadline ends the stream on the server, where a
// blocked ResponseWriter.Write can only be interrupted by resetting the
// stream; on the client the request body is a pipe of ours, and a write
// cut there leaves the stream usable.
type stream struct {
	in  io.ReadCloser
	out sink

	local, remote net.Addr

	// Read side. rmu serializes Read and guards avail and waiting.
	rmu     sync.Mutex
	avail   bool          // in holds bytes or its end: a Read returns at once
	eof     atomic.Bool   // in ended orderly (io.EOF)
	waiting bool          // the waiter was asked to wait and has not answered
	once    sync.Once     // starts the waiter
	kick    chan struct{} // asks the waiter to wait for input (capacity 1)
	ready   chan struct{} // the waiter saw input (capacity 1)
	rdl     deadline

	// Write side. wmu serializes writes; smu guards writing, which the
	// write deadline's expiry reads to cut a blocked write.
	wmu     sync.Mutex
	one     [1][]byte // Write's buffer, as a vector
	smu     sync.Mutex
	writing bool
	wdl     deadline

	readEnd   sync.Once
	readEnded chan struct{} // closed by a server's CloseWrite: reads return io.EOF

	closeOnce sync.Once
	closed    chan struct{}
}

// closeWait bounds how long Close waits for the transport to end the
// request.
const closeWait = 5 * time.Second

// sink is the sending direction of a stream.
type sink interface {
	// write sends the buffers of v in order, as one write; it returns
	// early, with how many bytes were taken, when expired is closed, if
	// it can.
	write(v [][]byte, expired <-chan struct{}) (int64, error)
	// cut unblocks a write that expired cannot, by ending the stream.
	cut()
	// closeWrite ends the sending direction (END_STREAM) and reports
	// true, or, when the side cannot do so without ending the whole
	// stream, reports false.
	closeWrite() bool
	// close ends the sending direction once no write is in progress,
	// orderly when the peer's direction ended orderly.
	close(orderly bool)
	// release frees what the stream holds, once both directions ended.
	release()
}

func newStream(in io.ReadCloser, out sink, local, remote net.Addr) *stream {
	s := &stream{
		in:        in,
		out:       out,
		local:     local,
		remote:    remote,
		kick:      make(chan struct{}, 1),
		ready:     make(chan struct{}, 1),
		closed:    make(chan struct{}),
		readEnded: make(chan struct{}),
	}
	s.wdl.expire = s.cutWrite
	return s
}

// Read reads the peer's bytes.
func (s *stream) Read(p []byte) (int, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	for {
		select {
		case <-s.closed:
			return 0, net.ErrClosed
		case <-s.readEnded:
			return 0, io.EOF
		default:
		}
		if s.avail {
			s.avail = false
			n, err := s.in.Read(p) // does not block: input is there
			if n == 0 && err == nil {
				continue
			}
			if err == io.EOF {
				s.eof.Store(true)
			}
			return n, err
		}
		if !s.waiting {
			s.waiting = true
			s.once.Do(func() { go s.waitInput() })
			s.kick <- struct{}{}
		}
		select {
		case <-s.ready:
			s.waiting = false
			s.avail = true
		case <-s.rdl.channel():
			return 0, os.ErrDeadlineExceeded
		case <-s.closed:
			return 0, net.ErrClosed
		case <-s.readEnded:
			return 0, io.EOF
		}
	}
}

// waitInput is the waiter: asked to, it waits until the body holds input
// or has ended, without consuming any, and says so.
func (s *stream) waitInput() {
	for {
		select {
		case <-s.kick:
		case <-s.closed:
			return
		}
		// A zero-length read of either body waits for input and
		// returns at once when there is some; an error is sticky, so
		// the Read that follows sees it too.
		s.in.Read(nil)
		s.ready <- struct{}{}
	}
}

// Write sends p to the peer.
func (s *stream) Write(p []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.one[0] = p
	n, err := s.writeLocked(s.one[:])
	s.one[0] = nil
	return int(n), err
}

// WriteBuffers sends the buffers of v in order, as one write: on HTTP/2,
// one DATA frame where the frame allows.
func (s *stream) WriteBuffers(v [][]byte) (int64, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.writeLocked(v)
}

func (s *stream) writeLocked(v [][]byte) (int64, error) {
	select {
	case <-s.closed:
		return 0, net.ErrClosed
	default:
	}
	expired := s.wdl.channel()
	s.smu.Lock()
	select {
	case <-expired:
		s.smu.Unlock()
		return 0, os.ErrDeadlineExceeded
	default:
	}
	s.writing = true
	s.smu.Unlock()
	n, err := s.out.write(v, expired)
	s.smu.Lock()
	s.writing = false
	s.smu.Unlock()
	if err != nil {
		select {
		case <-expired:
			return n, os.ErrDeadlineExceeded
		default:
		}
	}
	return n, err
}

// cutWrite runs when the write deadline expires: a write in progress is
// cut.
func (s *stream) cutWrite() {
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.writing {
		s.out.cut()
	}
}

// CloseWrite ends the sending direction: on the client, the request body
// ends (END_STREAM) and reads go on. A server's response ends only when its
// handler returns, which ends the whole stream; so on the server CloseWrite
// ends the reading direction as well, as if the peer had closed it (reads
// return io.EOF), so that the connection ends and its handler can return.
// The peer still reads what was sent: the stream's END_STREAM comes before
// the reset with which net/http then ends the client's direction.
func (s *stream) CloseWrite() error {
	if !s.out.closeWrite() {
		s.readEnd.Do(func() { close(s.readEnded) })
	}
	return nil
}

// Close ends the stream: the waiter, a blocked write (by resetting the
// stream, on the server), and both directions. On the server, the stream
// itself ends when the handler returns.
func (s *stream) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.smu.Lock()
		if s.writing {
			s.out.cut()
		}
		s.smu.Unlock()
		s.out.close(s.eof.Load()) // unblocks a client's write
		s.wmu.Lock()              // no write goes on after Close returns
		s.wmu.Unlock()
		// Closing the body wakes the waiter. x/net's response body
		// waits there for the request to end, which releasing it
		// bounds.
		t := time.AfterFunc(closeWait, s.out.release)
		s.in.Close()
		t.Stop()
		s.out.release()
		s.rdl.stop()
		s.wdl.stop()
	})
	return nil
}

func (s *stream) LocalAddr() net.Addr  { return s.local }
func (s *stream) RemoteAddr() net.Addr { return s.remote }

func (s *stream) SetDeadline(t time.Time) error {
	s.rdl.set(t)
	s.wdl.set(t)
	return nil
}

func (s *stream) SetReadDeadline(t time.Time) error  { s.rdl.set(t); return nil }
func (s *stream) SetWriteDeadline(t time.Time) error { s.wdl.set(t); return nil }

// deadline is a settable deadline whose channel is closed once it passes.
// Setting it again after that gives a new channel. Its timer is made once
// and reused.
type deadline struct {
	mu      sync.Mutex
	t       time.Time
	timer   *time.Timer
	done    chan struct{}
	expired bool   // done is closed
	expire  func() // called, without mu, when the deadline passes
}

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	d.t = t
	if d.expired || d.done == nil {
		d.done = make(chan struct{})
		d.expired = false
	}
	if t.IsZero() {
		if d.timer != nil {
			d.timer.Stop()
		}
		d.mu.Unlock()
		return
	}
	dur := time.Until(t)
	if dur <= 0 {
		if d.timer != nil {
			d.timer.Stop()
		}
		close(d.done)
		d.expired = true
		d.mu.Unlock()
		if d.expire != nil {
			d.expire()
		}
		return
	}
	if d.timer == nil {
		d.timer = time.AfterFunc(dur, d.fire)
	} else {
		d.timer.Reset(dur)
	}
	d.mu.Unlock()
}

// fire runs on the timer; a firing left over from an earlier setting finds
// the deadline moved and does nothing, or re-arms.
func (d *deadline) fire() {
	d.mu.Lock()
	if d.expired || d.t.IsZero() {
		d.mu.Unlock()
		return
	}
	if dur := time.Until(d.t); dur > 0 {
		d.timer.Reset(dur)
		d.mu.Unlock()
		return
	}
	close(d.done)
	d.expired = true
	d.mu.Unlock()
	if d.expire != nil {
		d.expire()
	}
}

// channel returns the channel closed when the deadline passes.
func (d *deadline) channel() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done == nil {
		d.done = make(chan struct{})
	}
	return d.done
}

func (d *deadline) stop() {
	d.mu.Lock()
	if d.timer != nil {
		d.timer.Stop()
	}
	d.t = time.Time{}
	d.mu.Unlock()
}

// addr is a network address known only as a string.
type addr string

func (a addr) Network() string { return "tcp" }
func (a addr) String() string  { return string(a) }
