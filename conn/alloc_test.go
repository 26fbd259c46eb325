//go:build !js

package conn

import (
	"context"
	"testing"

	"github.com/hybi/ws/closecode"
)

// echoPair returns a connected pair whose server echoes every message,
// reading into a reused buffer.
func echoPair(tb testing.TB) (cli *Conn, stop func()) {
	srv, cli := pair(tb, &Options{PingInterval: -1}, &Options{PingInterval: -1})
	done := serveEcho(srv)
	return cli, func() {
		cli.Close(closecode.Normal, "")
		<-done
	}
}

// serveEcho echoes every message srv receives, reading into a reused
// buffer, until the connection ends; the returned channel is closed then.
func serveEcho(srv *Conn) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx := context.Background()
		buf := make([]byte, 0, 4096)
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
	return done
}

// echoOnce sends msg and reads the echo into buf.
func echoOnce(tb testing.TB, cli *Conn, msg, buf []byte) []byte {
	ctx := context.Background()
	if err := cli.Write(ctx, Binary, msg); err != nil {
		tb.Fatal(err)
	}
	_, got, err := cli.Read(ctx, buf)
	if err != nil {
		tb.Fatal(err)
	}
	if len(got) != len(msg) {
		tb.Fatalf("echo of %d bytes", len(got))
	}
	return got
}

func TestEchoAllocations(t *testing.T) {
	checkGoroutines(t)
	cli, stop := echoPair(t)
	defer stop()
	msg := make([]byte, 1024)
	buf := make([]byte, 0, 4096)
	for i := 0; i < 10; i++ { // warm the pools
		buf = echoOnce(t, cli, msg, buf)
	}
	allocs := testing.AllocsPerRun(200, func() {
		buf = echoOnce(t, cli, msg, buf)
	})
	t.Logf("%.2f allocations per 1 KiB echo (both ends)", allocs)
	if !raceEnabled && allocs != 0 {
		t.Fatalf("%.2f allocations per echo, want 0", allocs)
	}
}

func BenchmarkEcho1K(b *testing.B) {
	cli, stop := echoPair(b)
	defer stop()
	msg := make([]byte, 1024)
	buf := make([]byte, 0, 4096)
	buf = echoOnce(b, cli, msg, buf)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		buf = echoOnce(b, cli, msg, buf)
	}
	reportCPU(b, cpu0)
}
