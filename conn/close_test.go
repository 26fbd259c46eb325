//go:build !js

package conn

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
)

func TestCloseRaces(t *testing.T) {
	checkGoroutines(t)
	for i := 0; i < 50; i++ {
		srv, cli := pair(t, shortOpts(), shortOpts())
		readers := make([]func() readRes, 0, 2)
		for _, c := range []*Conn{srv, cli} {
			readers = append(readers, readAsync(t, c))
		}
		var wg sync.WaitGroup
		for g := 0; g < 6; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := []*Conn{srv, cli}[g%2]
				switch (g + i) % 3 {
				case 0:
					c.CloseNow()
				default:
					err := c.Close(closecode.Normal, "race")
					var ce *CloseError
					if err != nil && !errors.As(err, &ce) {
						t.Errorf("Close: %v (%T)", err, err)
					}
				}
			}()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Close/CloseNow did not return")
		}
		for _, r := range readers {
			var ce *CloseError
			if err := r().err; !errors.As(err, &ce) {
				t.Fatalf("reader: %v", err)
			}
		}
		for _, c := range []*Conn{srv, cli} {
			select {
			case <-c.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("connection not torn down")
			}
			if c.State() != Closed {
				t.Fatalf("state %v", c.State())
			}
		}
	}
}

func TestCloseWithoutReader(t *testing.T) {
	for _, initiator := range []string{"client", "server"} {
		t.Run(initiator, func(t *testing.T) {
			checkGoroutines(t)
			srv, cli := pair(t, shortOpts(), shortOpts())
			closer, other := cli, srv
			if initiator == "server" {
				closer, other = srv, cli
			}
			// Only the other side reads; the closer's own Close reads the
			// reply, skipping a message sent before it.
			if err := other.Write(context.Background(), Text, []byte("unread")); err != nil {
				t.Fatal(err)
			}
			res := readAsync(t, other)
			// nil: the handshake completed, without waiting for a timeout.
			if err := closer.Close(closecode.GoingAway, "done"); err != nil {
				t.Fatalf("Close: %v", err)
			}
			ce := wantCloseError(t, res().err, closecode.GoingAway, true)
			if ce.Reason != "done" {
				t.Fatalf("reason %q", ce.Reason)
			}
			_, _, err := closer.Read(context.Background(), nil)
			wantCloseError(t, err, closecode.GoingAway, true)
		})
	}
}

func TestCloseUnresponsivePeer(t *testing.T) {
	for _, reading := range []bool{false, true} {
		checkGoroutines(t)
		c, p := rawPair(t, frame.Server, timeoutOpts())
		var res func() readRes
		if reading {
			res = readAsync(t, c)
		}
		start := time.Now()
		err := c.Close(closecode.Normal, "")
		d := time.Since(start)
		p.expectClose(closecode.Normal)
		ce := wantCloseError(t, err, closecode.Abnormal, false)
		if !errors.Is(err, ErrCloseTimeout) {
			t.Fatalf("cause %v", ce.Err)
		}
		if d < 250*time.Millisecond || d > 3*time.Second {
			t.Fatalf("Close took %v with a 300ms CloseTimeout", d)
		}
		if reading {
			if !errors.Is(res().err, ErrCloseTimeout) {
				t.Fatal("reader did not see the timeout")
			}
		}
		// Later Closes report the same.
		if err := c.Close(closecode.Normal, ""); !errors.Is(err, ErrCloseTimeout) {
			t.Fatalf("second Close: %v", err)
		}
	}
}

// TestClientWaitsForServerTCPClose checks RFC 6455 §7.1.1: a client that
// answered the server's close waits for the server to close TCP, bounded by
// CloseTimeout.
func TestClientWaitsForServerTCPClose(t *testing.T) {
	for _, serverCloses := range []bool{true, false} {
		checkGoroutines(t)
		o := timeoutOpts()
		if serverCloses {
			o.CloseTimeout = 3 * time.Second // far from the 100ms wait
		}
		c, p := rawPair(t, frame.Client, o)
		res := readAsync(t, c)
		payload, _ := closecode.Append(nil, closecode.Normal, "bye")
		p.send(true, 0, frame.OpClose, payload)
		p.expectClose(closecode.Normal)
		start := time.Now()
		if serverCloses {
			time.Sleep(100 * time.Millisecond)
			p.nc.Close()
		}
		r := res()
		d := time.Since(start)
		wantCloseError(t, r.err, closecode.Normal, true)
		if serverCloses && (d < 80*time.Millisecond || d > 2*time.Second) {
			t.Errorf("client ended %v after the echo, server closed after 100ms", d)
		}
		if !serverCloses && (d < 250*time.Millisecond || d > 3*time.Second) {
			t.Errorf("client ended %v after the echo, want about CloseTimeout", d)
		}
	}
}

func TestServerClosesTCPAfterClose(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Server, shortOpts())
	res := async(t, func() error { return c.Close(closecode.Normal, "") })
	p.expectClose(closecode.Normal)
	p.send(true, 0, frame.OpClose, []byte{0x03, 0xe8})
	if err := res(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, _, err := p.recv(); err == nil {
		t.Fatal("frame after close")
	}
}

func TestCloseCodesNeverSent(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Server, shortOpts())
	for _, code := range []closecode.Code{closecode.Abnormal, closecode.TLSHandshake, 999, 1016, 5000, 0} {
		if err := c.Close(code, ""); !errors.Is(err, closecode.ErrInvalidCode) {
			t.Errorf("Close(%d): %v", code, err)
		}
	}
	if err := c.Close(closecode.NoStatus, "reason"); !errors.Is(err, closecode.ErrInvalidCode) {
		t.Errorf("Close(1005, reason): %v", err)
	}
	if err := c.Close(closecode.Normal, string(make([]byte, 124))); !errors.Is(err, closecode.ErrReasonTooLong) {
		t.Errorf("long reason: %v", err)
	}
	if err := c.Close(closecode.Normal, "\xff"); !errors.Is(err, closecode.ErrReasonNotUTF8) {
		t.Errorf("bad reason: %v", err)
	}
	if c.State() != Open {
		t.Fatalf("refused Close changed the state to %v", c.State())
	}
	// NoStatus without a reason is a close frame without a payload.
	res := async(t, func() error { return c.Close(closecode.NoStatus, "") })
	_, payload := p.expectFrame(frame.OpClose)
	if len(payload) != 0 {
		t.Fatalf("close payload %x", payload)
	}
	p.send(true, 0, frame.OpClose, nil)
	if err := res(); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.Read(context.Background(), nil)
	wantCloseError(t, err, closecode.NoStatus, true)
}

func TestPeerCloseWithoutStatus(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Server, shortOpts())
	res := readAsync(t, c)
	p.send(true, 0, frame.OpClose, nil)
	_, payload := p.expectFrame(frame.OpClose)
	if len(payload) != 0 {
		t.Fatalf("echo of an empty close has payload %x", payload)
	}
	wantCloseError(t, res().err, closecode.NoStatus, true)
}

func TestStateTransitions(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Server, shortOpts())
	if c.State() != Open {
		t.Fatalf("new: %v", c.State())
	}
	res := async(t, func() error { return c.Close(closecode.Normal, "") })
	p.expectClose(closecode.Normal)
	if c.State() != Closing {
		t.Fatalf("after close sent: %v", c.State())
	}
	select {
	case <-c.Done():
		t.Fatal("Done closed while closing")
	default:
	}
	p.send(true, 0, frame.OpClose, []byte{0x03, 0xe8})
	if err := res(); err != nil {
		t.Fatal(err)
	}
	if c.State() != Closed {
		t.Fatalf("after handshake: %v", c.State())
	}
	<-c.Done()
	for _, s := range []State{Connecting, Open, Closing, Closed} {
		if s.String() == "" {
			t.Fatal("no name")
		}
	}
}

func TestNotOpenErrors(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Server, shortOpts())
	ctx := context.Background()
	w, err := c.Writer(ctx, Binary) // a message in flight when closing starts
	if err != nil {
		t.Fatal(err)
	}
	closed := async(t, func() error { return c.Close(closecode.Normal, "") })
	p.expectClose(closecode.Normal)
	check := func(state State) {
		t.Helper()
		if c.State() != state {
			t.Fatalf("state %v, want %v", c.State(), state)
		}
		if err := c.Write(ctx, Text, []byte("x")); !errors.Is(err, ErrNotOpen) {
			t.Errorf("%v: Write: %v", state, err)
		}
		if err := c.Ping(ctx); !errors.Is(err, ErrNotOpen) {
			t.Errorf("%v: Ping: %v", state, err)
		}
	}
	if _, err := w.Write(make([]byte, 10000)); !errors.Is(err, ErrNotOpen) {
		t.Errorf("Writer.Write while closing: %v", err)
	}
	if err := w.Close(); !errors.Is(err, ErrNotOpen) {
		t.Errorf("Writer.Close while closing: %v", err)
	}
	if err := w.Close(); err != ErrWriterClosed {
		t.Errorf("second Writer.Close: %v", err)
	}
	check(Closing)
	if _, err := c.Writer(ctx, Text); !errors.Is(err, ErrNotOpen) {
		t.Errorf("Writer while closing: %v", err)
	}
	// The aborted message did not break the close handshake.
	p.send(true, 0, frame.OpClose, []byte{0x03, 0xe8})
	if err := closed(); err != nil {
		t.Fatal(err)
	}
	check(Closed)
	if _, err := c.Writer(ctx, Text); !errors.Is(err, ErrNotOpen) {
		t.Errorf("Writer when closed: %v", err)
	}
	err = c.Write(ctx, Text, nil)
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != closecode.Normal {
		t.Errorf("error does not carry the close: %v", err)
	}
}
