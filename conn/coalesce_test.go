//go:build !js

package conn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
)

// pipelined returns the frames of msgs as a client sends them, in one slice.
func (p *rawPeer) pipelined(msgs [][]byte) []byte {
	var all []byte
	for _, m := range msgs {
		all = append(all, p.frameBytes(true, 0, frame.OpBinary, m)...)
	}
	return all
}

// TestCoalescedWriteNotHeld checks that a write coalesced because more
// input was buffered goes out although the application stops reading.
func TestCoalescedWriteNotHeld(t *testing.T) {
	checkGoroutines(t)
	srv, peer := rawPair(t, frame.Server, shortOpts())
	peer.sendBytes(peer.pipelined([][]byte{[]byte("one"), []byte("two")}))
	ctx := context.Background()
	_, msg, err := srv.Read(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The second frame is buffered: this write may be coalesced, yet
	// nobody reads again.
	start := time.Now()
	if err := srv.Write(ctx, Binary, msg); err != nil {
		t.Fatal(err)
	}
	t.Logf("write pending after Write: %v", srv.w.pending.Load())
	_, got := peer.expectFrame(frame.OpBinary)
	if string(got) != "one" {
		t.Fatalf("echo %q, want %q", got, "one")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("echo took %v", d)
	}
	// The pending bytes go before a control frame.
	if err := srv.Write(ctx, Text, []byte("before close")); err != nil {
		t.Fatal(err)
	}
	closed := async(t, func() error { return srv.Close(closecode.Normal, "") })
	if _, got := peer.expectFrame(frame.OpText); string(got) != "before close" {
		t.Fatalf("got %q", got)
	}
	peer.expectClose(closecode.Normal)
	peer.send(true, 0, frame.OpClose, []byte{0x03, 0xe8})
	if err := closed(); err != nil {
		t.Fatal(err)
	}
}

// TestCoalescedEchoOrder pipelines many messages of varied sizes to an
// echoing server while another goroutine writes and pings too, and checks
// that every message arrives once and in order.
func TestCoalescedEchoOrder(t *testing.T) {
	checkGoroutines(t)
	srv, cli := pair(t, shortOpts(), shortOpts())
	const n = 400
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { // echo
		defer wg.Done()
		var buf []byte
		for {
			typ, msg, err := srv.Read(ctx, buf)
			if err != nil {
				return
			}
			if err := srv.Write(ctx, typ, msg); err != nil {
				return
			}
			buf = msg
		}
	}()
	go func() { // a second server writer, text messages
		defer wg.Done()
		for i := 0; i < n/4; i++ {
			if err := srv.Write(ctx, Text, []byte(fmt.Sprint("side ", i))); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	errc := make(chan error, 1)
	go func() { // the client pipelines without waiting
		defer wg.Done()
		for i := 0; i < n; i++ {
			if err := cli.Write(ctx, Binary, testMessage(0, i)); err != nil {
				errc <- err
				return
			}
			if i%50 == 0 {
				go cli.Ping(ctx) // answered by the server's reader
			}
		}
		errc <- nil
	}()
	echoes, side := 0, 0
	var buf []byte
	for echoes < n || side < n/4 {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		typ, msg, err := cli.Read(rctx, buf)
		cancel()
		if err != nil {
			t.Fatalf("after %d echoes and %d side messages: %v", echoes, side, err)
		}
		switch typ {
		case Binary:
			if want := testMessage(0, echoes); !bytes.Equal(msg, want) {
				t.Fatalf("echo %d: %d bytes, want %d", echoes, len(msg), len(want))
			}
			echoes++
		case Text:
			if want := fmt.Sprint("side ", side); string(msg) != want {
				t.Fatalf("side message %q, want %q", msg, want)
			}
			side++
		}
		buf = msg
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() {
		_, _, err := cli.Read(ctx, nil)
		closed <- err
	}()
	if err := srv.Close(closecode.Normal, ""); err != nil {
		t.Fatal(err)
	}
	var ce *CloseError
	if err := <-closed; !errors.As(err, &ce) {
		t.Fatalf("client read: %v", err)
	}
	wg.Wait()
}

// TestCoalescedWriteThenTeardown tears the connection down while a
// coalesced write is pending: nothing panics, later writes report
// ErrNotOpen, and the flush timer finds nothing to do.
func TestCoalescedWriteThenTeardown(t *testing.T) {
	checkGoroutines(t)
	srv, peer := rawPair(t, frame.Server, shortOpts())
	peer.sendBytes(peer.pipelined([][]byte{[]byte("one"), []byte("two")}))
	ctx := context.Background()
	if _, _, err := srv.Read(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.Write(ctx, Binary, []byte("pending")); err != nil {
		t.Fatal(err)
	}
	srv.CloseNow()
	if err := srv.Write(ctx, Binary, []byte("late")); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("write after CloseNow: %v", err)
	}
	time.Sleep(5 * flushDelay) // let the flush timer run
	_, _, err := srv.Read(ctx, nil)
	wantCloseError(t, err, closecode.Abnormal, false)
}
