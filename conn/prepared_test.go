//go:build !js

package conn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
)

func mustPrepare(t testing.TB, typ MessageType, data string) *PreparedMessage {
	t.Helper()
	m, err := NewPreparedMessage(typ, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func deflateOpts(p deflate.Params) *Options {
	return &Options{PingInterval: -1, Negotiated: Negotiated{Deflate: &p}}
}

// TestWritePreparedInterleaved sends prepared and ordinary messages in
// turn, one at a time and in batches, in both directions, with and without
// compression and context takeover, and checks the peer reads them all in
// order.
func TestWritePreparedInterleaved(t *testing.T) {
	checkGoroutines(t)
	cases := map[string]func() *Options{
		"plain":    func() *Options { return &Options{PingInterval: -1} },
		"takeover": func() *Options { return deflateOpts(deflate.Params{}) },
		"noTakeover": func() *Options {
			return deflateOpts(deflate.Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true})
		},
		"smallFrame": func() *Options { o := deflateOpts(deflate.Params{}); o.MaxFrameSize = 50; return o },
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			srv, cli := pair(t, opts(), opts())
			for _, dir := range []struct {
				from, to *Conn
			}{{srv, cli}, {cli, srv}} {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				var want []string
				errc := make(chan error, 1)
				big := strings.Repeat("a long broadcast, 0123456789 ", 2000) // past preparedDirect
				go func() {
					for i := range 30 {
						var err error
						switch i % 5 {
						case 0, 2:
							err = dir.from.Write(ctx, Text, fmt.Appendf(nil, "own %d: quick brown fox quick brown fox", i))
						case 1:
							err = dir.from.WritePrepared(ctx, mustPrepare(t, Text, fmt.Sprint("broadcast ", i, " quick brown fox")))
						case 3:
							err = dir.from.WritePrepared(ctx, mustPrepare(t, Text, fmt.Sprint("batch ", i, " a")),
								mustPrepare(t, Binary, fmt.Sprint("batch ", i, " b")), mustPrepare(t, Text, big))
						case 4:
							err = dir.from.WritePrepared(ctx)
						}
						if err != nil {
							errc <- err
							return
						}
					}
					errc <- nil
				}()
				for i := range 30 {
					switch i % 5 {
					case 0, 2:
						want = append(want, fmt.Sprintf("text:own %d: quick brown fox quick brown fox", i))
					case 1:
						want = append(want, fmt.Sprint("text:broadcast ", i, " quick brown fox"))
					case 3:
						want = append(want, fmt.Sprint("text:batch ", i, " a"), fmt.Sprint("binary:batch ", i, " b"), "text:"+big)
					}
				}
				for i, w := range want {
					typ, msg, err := dir.to.Read(ctx, nil)
					if err != nil {
						t.Fatalf("read %d: %v", i, err)
					}
					if got := typ.String() + ":" + string(msg); got != w {
						t.Fatalf("message %d: %.50q, want %.50q", i, got, w)
					}
				}
				if err := <-errc; err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestWritePreparedNotOpen(t *testing.T) {
	srv, cli := pair(t, &Options{PingInterval: -1}, &Options{PingInterval: -1})
	go func() {
		for {
			if _, _, err := cli.Read(context.Background(), nil); err != nil {
				return
			}
		}
	}()
	if err := srv.Close(closecode.Normal, ""); err != nil {
		t.Fatal(err)
	}
	err := srv.WritePrepared(context.Background(), mustPrepare(t, Text, "late"))
	if !errors.Is(err, ErrNotOpen) {
		t.Fatalf("WritePrepared after Close: %v, want ErrNotOpen", err)
	}
}

// A cancelled context stops WritePrepared before anything is sent and
// leaves the connection usable.
func TestWritePreparedContext(t *testing.T) {
	srv, cli := pair(t, &Options{PingInterval: -1}, &Options{PingInterval: -1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.WritePrepared(ctx, mustPrepare(t, Text, "never")); !errors.Is(err, context.Canceled) {
		t.Fatalf("WritePrepared with a done context: %v", err)
	}
	if err := srv.WritePrepared(context.Background(), mustPrepare(t, Text, "then")); err != nil {
		t.Fatal(err)
	}
	_, msg, err := cli.Read(context.Background(), nil)
	if err != nil || string(msg) != "then" {
		t.Fatalf("read %q, %v", msg, err)
	}
}

// TestWritePreparedAllocations checks that sending a prepared message to a
// connection allocates nothing, plain and compressed, alone and in
// batches.
func TestWritePreparedAllocations(t *testing.T) {
	checkGoroutines(t)
	for _, name := range []string{"plain", "takeover", "noTakeover"} {
		t.Run(name, func(t *testing.T) {
			opts := &Options{PingInterval: -1}
			switch name {
			case "takeover":
				opts = deflateOpts(deflate.Params{})
			case "noTakeover":
				opts = deflateOpts(deflate.Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true})
			}
			srv, cli := pair(t, opts, opts)
			done := make(chan struct{})
			go func() {
				defer close(done)
				buf := make([]byte, 0, 4096)
				for {
					_, msg, err := cli.Read(context.Background(), buf)
					if err != nil {
						return
					}
					buf = msg[:0]
				}
			}()
			ctx := context.Background()
			m := mustPrepare(t, Text, strings.Repeat("tick ", 51))
			batch := []*PreparedMessage{m, m, m, m}
			own := bytes.Repeat([]byte("own "), 64)
			send := func() {
				if err := srv.WritePrepared(ctx, m); err != nil {
					t.Fatal(err)
				}
				if err := srv.WritePrepared(ctx, batch...); err != nil {
					t.Fatal(err)
				}
				if err := srv.Write(ctx, Text, own); err != nil {
					t.Fatal(err)
				}
			}
			for range 10 {
				send()
			}
			allocs := testing.AllocsPerRun(200, send)
			t.Logf("%.2f allocations per round (5 prepared, 1 ordinary)", allocs)
			if !raceEnabled && allocs != 0 {
				t.Fatalf("%.2f allocations per round, want 0", allocs)
			}
			srv.CloseNow()
			<-done
		})
	}
}
