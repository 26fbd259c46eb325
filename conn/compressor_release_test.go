package conn

import (
	"bytes"
	"context"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
)

// compressorHeld reports whether c's compressor holds a flate.Writer. It
// reads the compressor's unexported fw field by reflection, under the
// message lock, so that deflate's API needs no accessor for tests.
func compressorHeld(t testing.TB, c *Conn) bool {
	t.Helper()
	if err := c.lockWrite(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.unlockWrite()
	fw := reflect.ValueOf(c.comp).Elem().FieldByName("fw")
	if !fw.IsValid() {
		t.Fatal("deflate.Compressor has no fw field any more: update compressorHeld")
	}
	return !fw.IsNil()
}

// randomMessage returns n incompressible bytes: they shrink only by
// reference to an earlier copy.
func randomMessage(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestReleaseIdleCompressor drives the hook of the keepalive tick by hand.
func TestReleaseIdleCompressor(t *testing.T) {
	checkGoroutines(t)
	so, co := AcceptOptions{Options: *shortOpts()}, DialOptions{Options: *shortOpts()}
	so.Compression, co.Compression = &deflate.Config{}, &deflate.Config{}
	srv, cli, written := httpPair(t, so, co)
	ctx := context.Background()
	msg := randomMessage(1, 1024)
	send := func() int64 {
		t.Helper()
		res := readAsync(t, srv)
		before := written.Load()
		if err := cli.Write(ctx, Binary, msg); err != nil {
			t.Fatal(err)
		}
		if r := res(); r.err != nil || !bytes.Equal(r.msg, msg) {
			t.Fatalf("read %d bytes, %v", len(r.msg), r.err)
		}
		return written.Load() - before
	}
	first := send()
	if !compressorHeld(t, cli) {
		t.Fatal("no writer held after a message under context takeover")
	}
	cli.releaseIdleCompressor() // a message since the last tick
	if !compressorHeld(t, cli) {
		t.Fatal("writer released after a message since the last tick")
	}
	cli.releaseIdleCompressor() // idle for a tick
	if compressorHeld(t, cli) {
		t.Fatal("writer still held after an idle tick")
	}
	// The next message still refers back to the first.
	second := send()
	t.Logf("1 KiB of random bytes: %d bytes on the wire, %d the second time, after a release", first, second)
	if first < 1024 || second > 100 {
		t.Errorf("wire sizes %d, %d: context lost by the release", first, second)
	}
	// A message in progress holds the message lock: the tick skips it.
	w, err := cli.Writer(ctx, Binary)
	if err != nil {
		t.Fatal(err)
	}
	res := readAsync(t, srv)
	cli.releaseIdleCompressor()
	cli.releaseIdleCompressor()
	if _, err := w.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if r := res(); r.err != nil || !bytes.Equal(r.msg, msg) {
		t.Fatalf("streamed: read %d bytes, %v", len(r.msg), r.err)
	}
	if !compressorHeld(t, cli) {
		t.Fatal("writer released during a message")
	}
}

// TestKeepaliveReleasesCompressor checks that keepalive ticks release the
// compressors of idle connections, on both sides, and that messages still
// round-trip afterwards.
func TestKeepaliveReleasesCompressor(t *testing.T) {
	checkGoroutines(t)
	o := *keepaliveOpts(20*time.Millisecond, 2*time.Second)
	o.Compression = &deflate.Config{}
	srv, cli, _ := httpPair(t, AcceptOptions{Options: o}, DialOptions{Options: o})
	ctx := context.Background()
	// Both sides read, so that pings are answered and pongs seen.
	echo := async(t, func() error {
		var buf []byte
		for {
			typ, msg, err := srv.Read(ctx, buf)
			if err != nil {
				return err
			}
			if err := srv.Write(ctx, typ, msg); err != nil {
				return err
			}
			buf = msg
		}
	})
	got := make(chan []byte, 1)
	reader := async(t, func() error {
		for {
			_, msg, err := cli.Read(ctx, nil)
			if err != nil {
				return err
			}
			got <- msg
		}
	})
	waitReleased := func() {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for compressorHeld(t, srv) || compressorHeld(t, cli) {
			if time.Now().After(deadline) {
				t.Fatalf("writers still held after 3s idle: server %v, client %v",
					compressorHeld(t, srv), compressorHeld(t, cli))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for i := range 3 {
		msg := append(randomMessage(uint64(i%2), 2000), releaseText(uint64(i), 3000)...)
		if err := cli.Write(ctx, Binary, msg); err != nil {
			t.Fatal(err)
		}
		select {
		case echoed := <-got:
			if !bytes.Equal(echoed, msg) {
				t.Fatalf("echo %d: %d bytes, want %d", i, len(echoed), len(msg))
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("echo %d: nothing after 3s", i)
		}
		waitReleased()
	}
	cli.Close(closecode.Normal, "")
	if err := echo(); err == nil {
		t.Error("echo: no error after close")
	}
	reader()
}

// releaseText returns n bytes of compressible text.
func releaseText(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	words := []string{"alpha ", "beta ", "gamma ", "delta ", "{\"id\":", "}\n"}
	b := make([]byte, 0, n+8)
	for len(b) < n {
		b = append(b, words[r.IntN(len(words))]...)
	}
	return b[:n]
}
