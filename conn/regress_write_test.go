//go:build !js

package conn

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
)

// Regression tests for the write side (issue 12, items 3c, 4, 6 and 7).

// TestLargeWriteIsFramed: a message larger than DefaultMaxFrameSize goes out as
// frames of at most that size, so that control frames can go out between
// them; the peer reassembles it intact.
func TestLargeWriteIsFramed(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Server, shortOpts())
	msg := randomMessage(5, 3*DefaultMaxFrameSize+123)
	done := async(t, func() error { return c.Write(context.Background(), Binary, msg) })
	var got []byte
	for i := 0; ; i++ {
		h, payload := p.expectFrame([]frame.Opcode{frame.OpBinary, frame.OpContinuation}[min(i, 1)])
		if len(payload) > DefaultMaxFrameSize {
			t.Fatalf("frame %d of %d bytes, want at most %d", i, len(payload), DefaultMaxFrameSize)
		}
		got = append(got, payload...)
		if h.Fin {
			break
		}
	}
	if err := done(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("reassembled %d bytes, want %d intact", len(got), len(msg))
	}
}

// TestLargeCompressedWriteIsFramed: the same for a compressed message; only
// its first frame carries RSV1.
func TestLargeCompressedWriteIsFramed(t *testing.T) {
	checkGoroutines(t)
	s, cl := tcpPair(t)
	o := shortOpts()
	o.Compression = &deflate.Config{}
	c := newConn(s, nil, frame.Server, o, "", &deflate.Params{})
	p := &rawPeer{t: t, nc: cl, br: bufioReader(cl), role: frame.Client}
	t.Cleanup(func() { c.CloseNow(); cl.Close() })
	msg := randomMessage(6, 3*DefaultMaxFrameSize) // incompressible
	done := async(t, func() error { return c.Write(context.Background(), Binary, msg) })
	total := 0
	for i := 0; ; i++ {
		h, payload := p.expectFrame([]frame.Opcode{frame.OpBinary, frame.OpContinuation}[min(i, 1)])
		if len(payload) > DefaultMaxFrameSize {
			t.Fatalf("frame %d of %d bytes, want at most %d", i, len(payload), DefaultMaxFrameSize)
		}
		if rsv1 := h.Rsv&frame.RSV1 != 0; rsv1 != (i == 0) {
			t.Fatalf("frame %d: RSV1 %v", i, rsv1)
		}
		total += len(payload)
		if h.Fin {
			break
		}
	}
	if err := done(); err != nil {
		t.Fatal(err)
	}
	if total < len(msg) {
		t.Fatalf("%d compressed bytes for %d random ones", total, len(msg))
	}
}

// TestWedgedFlushTearsDown: coalesced echoes whose flush is wedged by a
// peer that stopped reading. The Read whose goroutine would flush them
// still returns within its context, and the connection is torn down with
// 1006 and ErrWriteTimeout about CloseTimeout later, instead of staying OPEN
// with the flush blocked for ever.
func TestWedgedFlushTearsDown(t *testing.T) {
	checkGoroutines(t)
	s, cl := tcpPair(t)
	shrinkBuffers(t, s, cl)
	so := shortOpts()
	so.CloseTimeout = 300 * time.Millisecond
	srv := New(s, nil, frame.Server, so)
	peer := &rawPeer{t: t, nc: cl, role: frame.Client}
	t.Cleanup(func() { srv.CloseNow(); cl.Close() })
	// The peer has stopped reading: fill its receive buffer and our send
	// buffer behind the Conn's back (the peer never reads those bytes).
	s.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := s.Write(make([]byte, 8<<20)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("filling the buffers: %v", err)
	}
	s.SetWriteDeadline(time.Time{})
	// It pipelines two messages; the server echoes them, bounding each
	// call by a context.
	peer.sendBytes(peer.pipelined([][]byte{[]byte("one"), []byte("two")}))
	const callTimeout = 500 * time.Millisecond
	call := func(name string, f func(ctx context.Context) error) error {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		start := time.Now()
		res := make(chan error, 1)
		go func() { res <- f(ctx) }()
		select {
		case err := <-res:
			if d := time.Since(start); d > callTimeout+time.Second {
				t.Errorf("%s took %v with a %v context", name, d, callTimeout)
			}
			return err
		case <-time.After(3 * time.Second):
			t.Fatalf("%s still blocked after 3s with a %v context (state %v)", name, callTimeout, srv.State())
			return nil
		}
	}
	for _, want := range []string{"one", "two"} {
		var typ MessageType
		var msg []byte
		err := call("Read", func(ctx context.Context) (err error) {
			typ, msg, err = srv.Read(ctx, nil)
			return err
		})
		if err != nil || string(msg) != want {
			t.Fatalf("Read: %q, %v; want %q", msg, err, want)
		}
		if want == "two" {
			break
		}
		// More input is buffered: the echo is coalesced.
		if err := call("Write", func(ctx context.Context) error { return srv.Write(ctx, typ, msg) }); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	select {
	case <-srv.Done():
	case <-time.After(3 * time.Second):
		err := call("Write", func(ctx context.Context) error { return srv.Write(ctx, Binary, []byte("x")) })
		t.Fatalf("not torn down 3s after the flush wedged: state %v, Write: %v", srv.State(), err)
	}
	ce := srv.closedErr()
	if ce.Code != closecode.Abnormal || !errors.Is(ce, ErrWriteTimeout) {
		t.Fatalf("torn down with %v, want 1006 with ErrWriteTimeout", ce)
	}
	if err := srv.Write(context.Background(), Binary, []byte("x")); !errors.Is(err, ErrNotOpen) || !errors.Is(err, ErrWriteTimeout) {
		t.Fatalf("Write after the teardown: %v", err)
	}
	_, _, err := srv.Read(context.Background(), nil)
	wantCloseError(t, err, closecode.Abnormal, false)
}

// TestStaleMessageWriter: a MessageWriter used after its Close gets
// ErrWriterClosed, and cannot write into or close a later message, even
// from another goroutine while the later message is written.
func TestStaleMessageWriter(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Server, shortOpts())
	ctx := context.Background()
	stale, err := c.Writer(ctx, Text)
	if err != nil {
		t.Fatal(err)
	}
	stale.Write([]byte("first"))
	if err := stale.Close(); err != nil {
		t.Fatal(err)
	}
	w, err := c.Writer(ctx, Text)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("second "))
	if n, err := stale.Write([]byte("STALE")); n != 0 || !errors.Is(err, ErrWriterClosed) {
		t.Errorf("stale Write: %d, %v; want 0, ErrWriterClosed", n, err)
	}
	if err := stale.Flush(); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("stale Flush: %v", err)
	}
	if err := stale.Close(); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("stale Close: %v", err)
	}
	if _, err := w.Write([]byte("message")); err != nil {
		t.Fatalf("current writer: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("current writer Close: %v", err)
	}
	for _, want := range []string{"first", "second message"} {
		var got []byte
		for {
			h, payload, err := p.recv()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, payload...)
			if h.Fin {
				break
			}
		}
		if string(got) != want {
			t.Fatalf("peer got %q, want %q", got, want)
		}
	}
	// A stale writer used concurrently with later messages.
	drain := async(t, func() error {
		for {
			if _, _, err := p.recv(); err != nil {
				return err
			}
		}
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			if _, err := stale.Write([]byte("STALE")); !errors.Is(err, ErrWriterClosed) {
				t.Errorf("stale Write during later messages: %v", err)
				return
			}
		}
	}()
	for i := 0; i < 200; i++ {
		w, err := c.Writer(ctx, Binary)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("x"))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if !raceEnabled {
		x := []byte("x")
		allocs := testing.AllocsPerRun(100, func() {
			w, _ := c.Writer(ctx, Binary)
			w.Write(x)
			w.Close()
		})
		if allocs != 0 {
			t.Errorf("%.1f allocations per streamed message", allocs)
		}
	}
	c.CloseNow()
	drain()
}

// TestPoolsKeepSizes: after compressed messages grew their output buffers
// past half a megabyte, a MessageWriter still sends frames of its
// WriteBufferSize, and buffer requests of 4 KiB get about that much.
func TestPoolsKeepSizes(t *testing.T) {
	checkGoroutines(t)
	so, co := AcceptOptions{Options: *shortOpts()}, DialOptions{Options: *shortOpts()}
	so.Compression, co.Compression = &deflate.Config{}, &deflate.Config{}
	srv, cli, _ := httpPair(t, so, co)
	c, p := rawPair(t, frame.Server, shortOpts()) // uncompressed, 4 KiB write buffer
	ctx := context.Background()
	big := randomMessage(7, 600<<10)
	piece := make([]byte, 1024)
	for round := 0; round < 8; round++ {
		res := readAsync(t, srv)
		if err := cli.Write(ctx, Binary, big); err != nil {
			t.Fatal(err)
		}
		if r := res(); r.err != nil || len(r.msg) != len(big) {
			t.Fatalf("read %d bytes, %v", len(r.msg), r.err)
		}
		w, err := c.Writer(ctx, Binary)
		if err != nil {
			t.Fatal(err)
		}
		sent := async(t, func() error {
			for i := 0; i < 16; i++ {
				if _, err := w.Write(piece); err != nil {
					return err
				}
			}
			return w.Close()
		})
		for total := 0; total < 16*len(piece); {
			_, payload, err := p.recv()
			if err != nil {
				t.Fatal(err)
			}
			if len(payload) > DefaultBufferSize {
				t.Fatalf("round %d: frame of %d bytes from a MessageWriter with a %d-byte buffer", round, len(payload), DefaultBufferSize)
			}
			total += len(payload)
		}
		if err := sent(); err != nil {
			t.Fatal(err)
		}
		b := getBuf(DefaultBufferSize)
		if cap(b) > 2*DefaultBufferSize {
			t.Fatalf("round %d: a %d-byte request got a buffer of %d", round, DefaultBufferSize, cap(b))
		}
		putBuf(b)
	}
}

// TestLargeWritesToSlowReaders: large messages both ways to readers slower
// than the writers, so that batches of frames are cut short in the middle
// of frames (cut across frames), arrive intact.
func TestLargeWritesToSlowReaders(t *testing.T) {
	checkGoroutines(t)
	for _, role := range []frame.Role{frame.Server, frame.Client} {
		s, c := tcpPair(t)
		shrinkBuffers(t, s, c)
		o := shortOpts()
		o.ReadLimit = -1
		writerNC, readerNC, readerRole := s, c, frame.Client
		if role == frame.Client {
			writerNC, readerNC, readerRole = c, s, frame.Server
		}
		w := New(writerNC, nil, role, o)
		r := New(&slowConn{Conn: readerNC, rate: 8 << 20}, nil, readerRole, o)
		rr := startReader(r)
		msgs := [][]byte{randomMessage(8, 3<<20+5), randomMessage(9, DefaultMaxFrameSize+1), randomMessage(10, 2*DefaultMaxFrameSize)}
		for _, msg := range msgs {
			if err := w.Write(context.Background(), Binary, msg); err != nil {
				t.Fatalf("%v writer: %v", role, err)
			}
		}
		for i, msg := range msgs {
			if got := rr.next(t); !bytes.Equal(got, msg) {
				t.Fatalf("%v writer, message %d: got %d bytes, want %d intact", role, i, len(got), len(msg))
			}
		}
		closeCleanly(t, w, nil, rr)
	}
}
