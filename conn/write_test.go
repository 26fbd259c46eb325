//go:build !js

package conn

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
)

// testMessage builds message seq of writer g: an 8-byte prefix naming it,
// then bytes derived from it, of a size that varies around the buffer size.
func testMessage(g, seq int) []byte {
	r := rand.New(rand.NewPCG(uint64(g), uint64(seq)))
	size := r.IntN(10000)
	if seq%17 == 0 {
		size = 0
	}
	b := make([]byte, 8+size)
	binary.BigEndian.PutUint32(b, uint32(g))
	binary.BigEndian.PutUint32(b[4:], uint32(seq))
	for i := 8; i < len(b); i++ {
		b[i] = byte(g*31 + seq*7 + i)
	}
	return b
}

// writeMessages writes count messages of writer g on c, alternating Write
// and a Writer fed in random pieces.
func writeMessages(c *Conn, g, count int) error {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(uint64(g), 99))
	for seq := 0; seq < count; seq++ {
		msg := testMessage(g, seq)
		if seq%2 == 0 {
			if err := c.Write(ctx, Binary, msg); err != nil {
				return err
			}
			continue
		}
		w, err := c.Writer(ctx, Binary)
		if err != nil {
			return err
		}
		for rest := msg; len(rest) > 0; {
			n := min(len(rest), 1+r.IntN(6000))
			if _, err := w.Write(rest[:n]); err != nil {
				return err
			}
			rest = rest[n:]
			if r.IntN(4) == 0 {
				if err := w.Flush(); err != nil {
					return err
				}
			}
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
	return nil
}

// checkMessages reads writers×count messages from c and checks that each
// is intact and that each writer's messages arrive in order.
func checkMessages(c *Conn, writers, count int) error {
	next := make([]int, writers)
	var buf []byte
	for i := 0; i < writers*count; i++ {
		typ, msg, err := c.Read(context.Background(), buf)
		if err != nil {
			return err
		}
		buf = msg
		if typ != Binary || len(msg) < 8 {
			return fmt.Errorf("message %d: type %v, %d bytes", i, typ, len(msg))
		}
		g, seq := int(binary.BigEndian.Uint32(msg)), int(binary.BigEndian.Uint32(msg[4:]))
		if g >= writers || seq != next[g] {
			return fmt.Errorf("message %d: writer %d seq %d, want seq %d", i, g, seq, next[g])
		}
		next[g]++
		if !bytes.Equal(msg, testMessage(g, seq)) {
			return fmt.Errorf("writer %d seq %d: corrupted", g, seq)
		}
	}
	return nil
}

func TestConcurrentWriters(t *testing.T) {
	checkGoroutines(t)
	const writers, count = 6, 150
	o := shortOpts()
	o.WriteBufferSize = 1024 // many fragments
	srv, cli := pair(t, o, o)
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers+2)
	for _, c := range []*Conn{srv, cli} {
		for g := 0; g < writers; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- writeMessages(c, g, count)
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			other := cli
			if c == cli {
				other = srv
			}
			errs <- checkMessages(other, writers, count)
		}()
	}
	// Pings from both sides while the messages flow.
	pingCtx, stop := context.WithCancel(context.Background())
	for _, c := range []*Conn{srv, cli} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pingCtx.Err() == nil {
				if err := c.Ping(pingCtx); err != nil && pingCtx.Err() == nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < 2*writers+2; i++ {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("messages did not arrive")
		}
	}
	// The readers are done: Pings can no longer be answered.
	stop()
	wg.Wait()
}

func TestWritersRaceClose(t *testing.T) {
	checkGoroutines(t)
	for i := 0; i < 10; i++ {
		srv, cli := pair(t, shortOpts(), shortOpts())
		drain := async(t, func() error {
			for {
				if _, _, err := srv.Read(context.Background(), nil); err != nil {
					return err
				}
			}
		})
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for seq := 0; ; seq++ {
					if err := writeMessages(cli, g, 1); err != nil {
						if !errors.Is(err, ErrNotOpen) {
							t.Errorf("writer: %v", err)
						}
						return
					}
				}
			}()
		}
		time.Sleep(10 * time.Millisecond)
		if err := cli.Close(closecode.Normal, ""); err != nil {
			t.Fatalf("Close: %v", err)
		}
		wg.Wait()
		wantCloseError(t, drain(), closecode.Normal, true)
	}
}

// TestWriterInterleaving checks that pings, pongs and the close frame go
// out between the fragments of a streamed message, in order.
func TestWriterInterleaving(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Client, shortOpts())
	ctx := context.Background()
	reading := readAsync(t, c)
	expect := func(op frame.Opcode, fin bool, payload string) []byte {
		t.Helper()
		h, got := p.expectFrame(op)
		if h.Fin != fin || (payload != "*" && string(got) != payload) {
			t.Fatalf("%v fin=%v %q, want fin=%v %q", op, h.Fin, got, fin, payload)
		}
		return got
	}
	w, err := c.Writer(ctx, Text)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("abc"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	expect(frame.OpText, false, "abc")
	// Our ping between fragments.
	pinged := async(t, func() error { return c.Ping(ctx) })
	payload := expect(frame.OpPing, true, "*")
	p.send(true, 0, frame.OpPong, payload)
	if err := pinged(); err != nil {
		t.Fatal(err)
	}
	// Our pong between fragments.
	p.send(true, 0, frame.OpPing, []byte("x"))
	expect(frame.OpPong, true, "x")
	w.Write([]byte("def"))
	w.Flush()
	expect(frame.OpContinuation, false, "def")
	// Another message waits for this one.
	next := async(t, func() error { return c.Write(ctx, Binary, []byte("next")) })
	w.Write([]byte("ghi"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	expect(frame.OpContinuation, true, "ghi")
	expect(frame.OpBinary, true, "next")
	if err := next(); err != nil {
		t.Fatal(err)
	}
	// A close between fragments ends the message there.
	w, err = c.Writer(ctx, Binary)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("1"))
	w.Flush()
	expect(frame.OpBinary, false, "1")
	closed := async(t, func() error { return c.Close(closecode.Normal, "") })
	p.expectClose(closecode.Normal)
	w.Write([]byte("2"))
	if err := w.Flush(); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("Flush after close: %v", err)
	}
	if err := w.Close(); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("Writer.Close after close: %v", err)
	}
	p.send(true, 0, frame.OpClose, []byte{0x03, 0xe8})
	p.nc.Close() // the server closes TCP
	if err := closed(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wantCloseError(t, reading().err, closecode.Normal, true)
}

func TestWriteContext(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Server, shortOpts())
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Write(cancelled, Text, []byte("x")); err != context.Canceled {
		t.Fatalf("Write with a cancelled context: %v", err)
	}
	if _, err := c.Writer(cancelled, Text); err != context.Canceled {
		t.Fatalf("Writer with a cancelled context: %v", err)
	}
	if c.State() != Open {
		t.Fatalf("state %v", c.State())
	}
	// Nothing went out: the next frame the peer sees is this one.
	if err := c.Write(context.Background(), Text, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if _, got := p.expectFrame(frame.OpText); string(got) != "first" {
		t.Fatalf("%q", got)
	}
	// The peer stops reading: a write blocks until its context ends.
	big := make([]byte, 1<<20)
	writeUntilBlocked := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		var err error
		for i := 0; i < 100 && err == nil; i++ {
			err = c.Write(ctx, Binary, big)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("blocked Write: %v", err)
		}
	}
	writeUntilBlocked()
	for i := 0; i < 5 && c.State() == Open; i++ {
		// The send buffer was full when the blocked frame's write began,
		// so none of it went out and the connection goes on. Make room,
		// so that the next blocked write sends part of its frame.
		p.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.CopyN(io.Discard, p.br, 512<<10); err != nil {
			t.Fatal(err)
		}
		writeUntilBlocked()
	}
	// Part of a frame went out: the connection cannot go on.
	if c.State() != Closed {
		t.Fatalf("state %v", c.State())
	}
	_, _, err := c.Read(context.Background(), nil)
	ce := wantCloseError(t, err, closecode.Abnormal, false)
	if !errors.Is(ce, context.DeadlineExceeded) {
		t.Fatalf("cause %v", ce.Err)
	}
}

func TestWriterContextCancelled(t *testing.T) {
	checkGoroutines(t)
	c, _ := rawPair(t, frame.Client, shortOpts())
	ctx, cancel := context.WithCancel(context.Background())
	w, err := c.Writer(ctx, Binary)
	if err != nil {
		t.Fatal(err)
	}
	res := async(t, func() error {
		big := make([]byte, 1<<20)
		for {
			if _, err := w.Write(big); err != nil {
				return err
			}
		}
	})
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := res(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close: %v", err)
	}
	if c.State() != Closed {
		t.Fatalf("state %v", c.State())
	}
}

func TestWriteBadType(t *testing.T) {
	c, _ := rawPair(t, frame.Server, shortOpts())
	if err := c.Write(context.Background(), MessageType(frame.OpPing), nil); err == nil {
		t.Fatal("Write accepted a ping type")
	}
	if _, err := c.Writer(context.Background(), 0); err == nil {
		t.Fatal("Writer accepted type 0")
	}
}

// TestCloseNotBlockedByWriter checks that Close is bounded even while a
// data frame write is stuck on a peer that does not read.
func TestCloseNotBlockedByWriter(t *testing.T) {
	checkGoroutines(t)
	c, _ := rawPair(t, frame.Server, timeoutOpts())
	stuck := async(t, func() error {
		big := make([]byte, 1<<20)
		for {
			if err := c.Write(context.Background(), Binary, big); err != nil {
				return err
			}
		}
	})
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	err := async(t, func() error { return c.Close(closecode.Normal, "") })()
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Close took %v", d)
	}
	wantCloseError(t, err, closecode.Abnormal, false)
	if err := stuck(); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("stuck Write: %v", err)
	}
}
