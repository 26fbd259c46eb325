//go:build !js

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
// reads the unexported fields of the state machine and its compressor by
// reflection, under the state machine's lock, so that neither API needs an
// accessor for tests.
func compressorHeld(t testing.TB, c *Conn) bool {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	fw := reflect.ValueOf(c.p).Elem().FieldByName("z").Elem().FieldByName("comp").Elem().FieldByName("fw")
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
