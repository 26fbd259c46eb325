//go:build !js

package conn

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/handshake"
	"github.com/hybi/ws/mask"
)

// Benchmarks of the costs a server pays: memory per idle connection,
// throughput with a pipelining client, and the echo round trip next to
// plain TCP.

// BenchmarkIdleMemory opens 2,000 loopback connections (200 with -short)
// whose server ends each have a goroutine blocked in Read, and reports the
// growth of HeapInuse+StackInuse per connection after GC ("B/conn", of
// which "stack-B/conn" is StackInuse). It
// counts both ends of the TCP connection (the client ends are bare
// net.Conns); sub-benchmark tcp, a goroutine blocked in a bare TCP read, is
// the floor to compare with. The server ends come from New without a
// handshake (new), handshake.Upgrader.UpgradeConn and New (raw),
// AcceptConn (acceptconn), Accept with Read in the handler (http) and
// Accept with Read on a goroutine of its own (http-go). The "-echo"
// variants measure the connections after one echo of a 1 KiB message:
// the server reads it, writes it back and waits in Read again; the
// "-read" ones after the server read one such message, without writing.
// Run it with -benchtime=1x.
func BenchmarkIdleMemory(b *testing.B) {
	for _, mode := range []string{"tcp", "new", "raw", "acceptconn", "http", "http-go",
		"new-read", "acceptconn-read", "new-echo", "acceptconn-echo", "http-echo"} {
		b.Run(mode, func(b *testing.B) {
			n := 2000
			if testing.Short() {
				n = 200
			}
			var heap, stack float64
			for b.Loop() {
				heap, stack = idleMemory(b, mode, n)
			}
			b.ReportMetric(heap+stack, "B/conn")
			b.ReportMetric(stack, "stack-B/conn")
		})
	}
}

// TestIdleMemory checks that a connection whose goroutine waits in Read
// holds no read buffer: its cost over a bare TCP connection with a goroutine
// blocked in a read is well under the 4 KiB buffer.
func TestIdleMemory(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("memory figures need the race detector off and a full run")
	}
	const n = 500
	var bare, ws, accepted float64
	for try := 0; try < 3; try++ {
		h, s := idleMemory(t, "tcp", n)
		bare = h + s
		h, s = idleMemory(t, "new", n)
		ws = h + s
		h, s = idleMemory(t, "acceptconn", n)
		accepted = h + s
		t.Logf("per connection: bare TCP %.0f B, New %.0f B, AcceptConn %.0f B", bare, ws, accepted)
		if ws-bare < 2048 && accepted-bare < 2048 {
			return
		}
	}
	t.Fatalf("idle connections cost %.0f B (New) and %.0f B (AcceptConn) over bare TCP, want < 2048", ws-bare, accepted-bare)
}

// handshakeRequest is a minimal opening handshake of a client.
const handshakeRequest = "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// readResponseHead reads a handshake response byte by byte, so that no byte
// past it is consumed.
func readResponseHead(c net.Conn) error {
	var b [1]byte
	var last uint32
	for i := 0; i < 4096; i++ {
		if _, err := c.Read(b[:]); err != nil {
			return err
		}
		last = last<<8 | uint32(b[0])
		if last == 0x0d0a0d0a {
			return nil
		}
	}
	return errors.New("response head too long")
}

// memInUse returns HeapInuse and StackInuse after GC.
func memInUse() (heap, stack uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, ms.StackInuse
}

// idleMemory runs one measurement of BenchmarkIdleMemory.
func idleMemory(b testing.TB, mode string, n int) (heap, stack float64) {
	mode, echoed := strings.CutSuffix(mode, "-echo")
	mode, readOne := strings.CutSuffix(mode, "-read")
	var blocked atomic.Int64
	var wg sync.WaitGroup
	serve := func(nc net.Conn) {
		defer wg.Done()
		var c *Conn
		switch mode {
		case "tcp":
			var buf [1]byte
			blocked.Add(1)
			nc.Read(buf[:])
			nc.Close()
			return
		case "new":
			c = New(nc, nil, frame.Server, nil)
		case "acceptconn":
			var err error
			c, err = AcceptConn(context.Background(), nc, &AcceptOptions{InsecureSkipOriginCheck: true})
			if err != nil {
				b.Error(err)
				return
			}
		case "raw":
			c = upgradeRaw(b, nc)
			if c == nil {
				return
			}
		}
		readLoop(c, &blocked, echoed, readOne)
	}
	var addr string
	if strings.HasPrefix(mode, "http") {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := Accept(w, r, &AcceptOptions{InsecureSkipOriginCheck: true})
			if err != nil {
				b.Error(err)
				return
			}
			wg.Add(1)
			if mode == "http-go" {
				// Read on a goroutine of its own and return, which lets
				// net/http drop its per-connection state.
				go func() {
					defer wg.Done()
					readLoop(c, &blocked, echoed, readOne)
				}()
				return
			}
			defer wg.Done()
			readLoop(c, &blocked, echoed, readOne)
		}))
		defer srv.Close()
		addr = srv.Listener.Addr().String()
	} else {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		addr = ln.Addr().String()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				nc, err := ln.Accept()
				if err != nil {
					return
				}
				wg.Add(1)
				go serve(nc)
			}
		}()
	}
	// Warm up with one connection, so that pools and listener state exist
	// before the measurement.
	clients := make([]net.Conn, 0, n+1)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	dial := func() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		clients = append(clients, c)
		if mode != "tcp" && mode != "new" {
			if _, err := io.WriteString(c, handshakeRequest); err != nil {
				b.Fatal(err)
			}
			if err := readResponseHead(c); err != nil {
				b.Fatal(err)
			}
		}
		if echoed || readOne {
			// A masked 1 KiB binary message (key 0), and its echo.
			if _, err := c.Write(echoFrame); err != nil {
				b.Fatal(err)
			}
		}
		if echoed {
			var got [4 + 1024]byte
			if _, err := io.ReadFull(c, got[:]); err != nil {
				b.Fatal(err)
			}
		}
	}
	waitBlocked := func(want int64) {
		for blocked.Load() < want {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // let the last ones reach the poller
	}
	dial()
	waitBlocked(1)
	heap0, stack0 := memInUse()
	for i := 0; i < n; i++ {
		dial()
	}
	waitBlocked(int64(n + 1))
	heap1, stack1 := memInUse()
	for _, c := range clients {
		c.Close()
	}
	clients = nil
	return float64(int64(heap1)-int64(heap0)) / float64(n), float64(int64(stack1)-int64(stack0)) / float64(n)
}

// echoFrame is a client's masked 1 KiB binary message, with the masking
// key 0.
var echoFrame = append([]byte{0x82, 0x80 | 126, 1024 >> 8, 1024 & 0xff, 0, 0, 0, 0}, make([]byte, 1024)...)

// upgradeRaw is the raw server path: handshake.UpgradeConn and New. It is
// a function of its own so that its frame is not on the reading stack.
//
//go:noinline
func upgradeRaw(b testing.TB, nc net.Conn) *Conn {
	u := handshake.Upgrader{InsecureSkipOriginCheck: true}
	res, err := u.UpgradeConn(context.Background(), nc)
	if err != nil {
		b.Error(err)
		return nil
	}
	return New(res.Conn, res.Buffered, frame.Server, nil)
}

// readLoop reads messages until an error, counting itself as blocked first;
// with echo, it first echoes one message, with one, it first reads one.
func readLoop(c *Conn, blocked *atomic.Int64, echo, one bool) {
	defer c.CloseNow()
	var buf []byte
	if echo || one {
		typ, b, err := c.Read(context.Background(), buf)
		if err != nil || echo && c.Write(context.Background(), typ, b) != nil {
			return
		}
		buf = b
	}
	blocked.Add(1)
	for {
		_, b, err := c.Read(context.Background(), buf)
		if err != nil {
			return
		}
		buf = b
	}
}

// BenchmarkPipelined1K has a raw client send 1 KiB messages in batches of
// 64, without waiting for echoes, to a server echoing with Read and Write;
// it reports the messages per second and the CPU time of the process (both
// ends) per message.
func BenchmarkPipelined1K(b *testing.B) {
	s, cl := tcpPair(b)
	srv := New(s, nil, frame.Server, &Options{PingInterval: -1})
	done := serveEcho(srv)
	defer func() {
		cl.Close()
		<-done
		srv.CloseNow()
	}()
	const size, batch = 1024, 64
	var payload [size]byte
	h := frame.Header{Fin: true, Opcode: frame.OpBinary, Masked: true, Key: [4]byte{1, 2, 3, 4}, Length: size}
	var one []byte
	one = frame.AppendHeader(one, h)
	start := len(one)
	one = append(one, payload[:]...)
	mask.Apply(h.Key, 0, one[start:])
	frames := make([]byte, 0, batch*len(one))
	for i := 0; i < batch; i++ {
		frames = append(frames, one...)
	}
	echoLen := frame.Header{Fin: true, Opcode: frame.OpBinary, Length: size}.Size() + size
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	t0 := time.Now()
	cpu0 := cpuTime()
	werr := make(chan error, 1)
	go func() {
		left := b.N
		for left > 0 {
			k := min(left, batch)
			if _, err := cl.Write(frames[:k*len(one)]); err != nil {
				werr <- err
				return
			}
			left -= k
		}
		werr <- nil
	}()
	br := bufio.NewReaderSize(cl, 64<<10)
	if _, err := br.Discard(b.N * echoLen); err != nil {
		b.Fatal(err)
	}
	if err := <-werr; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "msg/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/msg")
}

// reportCPU reports the process's CPU time per iteration since cpu0.
func reportCPU(b *testing.B, cpu0 int64) {
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

func BenchmarkEcho16(b *testing.B) {
	cli, stop := echoPair(b)
	defer stop()
	msg := make([]byte, 16)
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

// BenchmarkTCPEcho is the floor of BenchmarkEcho1K and BenchmarkEcho16: the
// same round trip over plain TCP.
func BenchmarkTCPEcho(b *testing.B) {
	for _, size := range []int{16, 1024} {
		name := "16"
		if size == 1024 {
			name = "1K"
		}
		b.Run(name, func(b *testing.B) {
			s, c := tcpPair(b)
			done := make(chan struct{})
			go func() {
				defer close(done)
				buf := make([]byte, size)
				for {
					if _, err := io.ReadFull(s, buf); err != nil {
						return
					}
					if _, err := s.Write(buf); err != nil {
						return
					}
				}
			}()
			defer func() { c.Close(); <-done; s.Close() }()
			msg := make([]byte, size)
			buf := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0)
		})
	}
}
