//go:build !js

package conn

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/hybi/ws/deflate"
)

// TestIdleCompressorReleasedWithoutKeepalive checks that idle compressed
// connections with context takeover give back their compressors within a
// couple of seconds of their last message, with keepalive off: each end
// then holds at most the 64 KiB of the two windows (its compressor's copy
// and its decompressor's) over an uncompressed connection, not the
// flate.Writer of about 1.2 MiB.
func TestIdleCompressorReleasedWithoutKeepalive(t *testing.T) {
	if raceEnabled {
		t.Skip("memory figures need the race detector off")
	}
	const n = 16
	perEnd := func(comp *deflate.Config) float64 {
		o := *shortOpts()
		o.PingInterval = -1
		o.Compression = comp
		ctx := context.Background()
		h0, s0 := memInUse()
		var conns []*Conn
		for i := range n {
			srv, cli, _ := httpPair(t, AcceptOptions{Options: o}, DialOptions{Options: o})
			conns = append(conns, srv, cli)
			msg := append(randomMessage(uint64(i), 2000), releaseText(uint64(i), 6000)...)
			// One message each way, read to its end, so that both ends
			// used their compressors and decompressors.
			if err := cli.Write(ctx, Binary, msg); err != nil {
				t.Fatal(err)
			}
			if _, got, err := srv.Read(ctx, nil); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("server read: %v", err)
			}
			if err := srv.Write(ctx, Binary, msg); err != nil {
				t.Fatal(err)
			}
			if _, got, err := cli.Read(ctx, nil); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("client read: %v", err)
			}
		}
		if comp != nil {
			time.Sleep(2500 * time.Millisecond) // idle, nobody reading
		}
		h1, s1 := memInUse()
		for _, c := range conns {
			if comp != nil {
				if _, ok := c.Compression(); !ok {
					t.Fatal("compression not negotiated")
				}
			}
		}
		per := float64(int64(h1+s1)-int64(h0+s0)) / float64(len(conns))
		for _, c := range conns {
			c.CloseNow()
		}
		return per
	}
	plain := perEnd(nil)
	comp := perEnd(&deflate.Config{})
	t.Logf("per end after 2.5 s idle: uncompressed %.0f B, compressed %.0f B", plain, comp)
	if extra := comp - plain; extra > 64<<10+8<<10 {
		t.Fatalf("an idle compressed end holds %.0f B more than an uncompressed one, want at most 64 KiB (+8 KiB slack)", extra)
	}
}
