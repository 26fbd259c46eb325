package bench

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

// echoSizes are the message sizes of the echo benchmarks.
var echoSizes = []int{16, 1 << 10, 16 << 10, 1 << 20}

// connect starts lib's echo server and dials one client to it; both end
// with the benchmark.
func connect(b *testing.B, lib Lib, compress bool) (*Server, Client) {
	b.Helper()
	s, err := lib.Serve(compress)
	if err != nil {
		b.Fatal(err)
	}
	c, err := lib.Dial(s.Addr, compress)
	if err != nil {
		s.Close()
		b.Fatal(err)
	}
	b.Cleanup(func() {
		c.Close()
		s.Close()
	})
	return s, c
}

// roundTrip sends msg and reads its echo.
func roundTrip(c Client, msg []byte) error {
	if err := c.Send(msg); err != nil {
		return err
	}
	n, err := c.Recv()
	if err != nil {
		return err
	}
	if n != len(msg) {
		return fmt.Errorf("%w: %d bytes, want %d", errShort, n, len(msg))
	}
	return nil
}

// startCPU resets the benchmark timer and returns the process CPU time.
func startCPU(b *testing.B) time.Duration {
	b.ResetTimer()
	return CPUTime()
}

// stopCPU stops the timer and reports the CPU time per operation since t0.
func stopCPU(b *testing.B, t0 time.Duration) {
	b.StopTimer()
	b.ReportMetric(float64(CPUTime()-t0)/float64(b.N), "cpu-ns/op")
}

// plainLibs are the libraries of the uncompressed scenarios.
func plainLibs() []Lib {
	var ls []Lib
	for _, l := range Libs() {
		if l.Name != "hybi-nct" {
			ls = append(ls, l)
		}
	}
	return ls
}

// deflateLibs are the libraries of the compressed scenarios.
func deflateLibs() []Lib {
	var ls []Lib
	for _, l := range Libs() {
		if l.Deflate {
			ls = append(ls, l)
		}
	}
	return ls
}

// BenchmarkEcho is one client and one server over loopback TCP: the client
// writes a binary message (masked), the server reads (unmasks) and writes
// it back, the client reads the echo. One op is one round trip.
func BenchmarkEcho(b *testing.B) {
	for _, n := range echoSizes {
		msg := payload(n)
		for _, lib := range plainLibs() {
			b.Run("size="+sizeNames[n]+"/lib="+lib.Name, func(b *testing.B) {
				echo(b, lib, false, msg)
			})
		}
	}
}

func echo(b *testing.B, lib Lib, compress bool, msg []byte) {
	_, c := connect(b, lib, compress)
	if err := roundTrip(c, msg); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	t0 := startCPU(b)
	for range b.N {
		if err := roundTrip(c, msg); err != nil {
			b.Fatal(err)
		}
	}
	stopCPU(b, t0)
}

// BenchmarkPipelined streams 1 KiB messages through the echo server on one
// connection, a writer goroutine and a reader goroutine on the client. One
// op is one message there and back.
func BenchmarkPipelined(b *testing.B) {
	msg := payload(1 << 10)
	for _, lib := range plainLibs() {
		b.Run("size=1KiB/lib="+lib.Name, func(b *testing.B) {
			_, c := connect(b, lib, false)
			if err := roundTrip(c, msg); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			errc := make(chan error, 1)
			t0 := startCPU(b)
			go func() {
				for range b.N {
					if err := c.Send(msg); err != nil {
						errc <- err
						return
					}
				}
				errc <- nil
			}()
			for range b.N {
				n, err := c.Recv()
				if err != nil {
					b.Fatal(err)
				}
				if n != len(msg) {
					b.Fatal(errShort)
				}
			}
			if err := <-errc; err != nil {
				b.Fatal(err)
			}
			stopCPU(b, t0)
		})
	}
}

// BenchmarkServerCost runs a fixed raw-frame client (pre-masked frames
// written straight to the socket, echoes read raw) against each library's
// echo server, so that differences are the server's. One op is one round
// trip. (Not the TCP floor: it would echo the masked frame.)
func BenchmarkServerCost(b *testing.B) {
	for _, n := range []int{16, 1 << 10} {
		msg := payload(n)
		for _, lib := range plainLibs() {
			if lib.Name == "tcp" {
				continue
			}
			b.Run("size="+sizeNames[n]+"/lib="+lib.Name, func(b *testing.B) {
				s, err := lib.Serve(false)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				c, err := DialRaw(s.Addr, nil, false)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				c.Prepare(msg)
				if err := c.RoundTrip(); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(n))
				b.ReportAllocs()
				t0 := startCPU(b)
				for range b.N {
					if err := c.RoundTrip(); err != nil {
						b.Fatal(err)
					}
				}
				stopCPU(b, t0)
			})
		}
	}
}

// handshakeLibs are the libraries of the handshake benchmark: one row per
// library, as the styles of a library share its handshake.
func handshakeLibs() []Lib {
	var ls []Lib
	for _, l := range Libs() {
		switch l.Name {
		case "hybi", "hybi-raw", "gorilla", "coder", "gobwas-ws", "gws":
			ls = append(ls, l)
		}
	}
	return ls
}

// BenchmarkHandshake dials, upgrades and closes one connection at a time
// with the library's client and server. allocs/op counts both sides.
func BenchmarkHandshake(b *testing.B) {
	for _, lib := range handshakeLibs() {
		name := lib.Name
		if name == "gobwas-ws" {
			name = "gobwas"
		}
		b.Run("lib="+name, func(b *testing.B) {
			s, err := lib.Serve(false)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ReportAllocs()
			t0 := startCPU(b)
			for range b.N {
				c, err := lib.Dial(s.Addr, false)
				if err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
			stopCPU(b, t0)
		})
	}
}

// text returns n bytes of compressible JSON-like text.
func text(n int) []byte {
	b := make([]byte, 0, n+128)
	for i := 0; len(b) < n; i++ {
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, int64(i*7919%100000), 10)
		b = append(b, `,"user":"user-`...)
		b = strconv.AppendInt(b, int64(i%97), 10)
		b = append(b, `","text":"the quick brown fox jumps over the lazy dog","tags":["a","b"]},`...)
	}
	return b[:n]
}

// BenchmarkEchoDeflate is BenchmarkEcho with permessage-deflate on both
// ends and compressible JSON-like messages.
func BenchmarkEchoDeflate(b *testing.B) {
	for _, n := range []int{1 << 10, 16 << 10} {
		msg := text(n)
		for _, lib := range deflateLibs() {
			b.Run("size="+sizeNames[n]+"/lib="+lib.Name, func(b *testing.B) {
				echo(b, lib, true, msg)
			})
		}
	}
}
