package bench

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkIdleMemory holds -conns connections (10,000; 500 with -short)
// open after the handshake against each library's echo server, which runs
// in a child process, and reports what the server holds per connection:
// runtime HeapInuse+StackInuse after GC ("B/conn") and VmRSS ("rss-B/conn"),
// as deltas from the idle server. Run it with -benchtime=1x.
func BenchmarkIdleMemory(b *testing.B) {
	for _, lib := range plainLibs() {
		b.Run("lib="+lib.Name, func(b *testing.B) { idleMemory(b, lib, false) })
	}
}

// BenchmarkIdleMemoryDeflate is BenchmarkIdleMemory with permessage-deflate
// negotiated, after one compressed 1 KiB message echoed on every
// connection, so that context takeover leaves its state behind. It holds a
// tenth of -conns connections.
func BenchmarkIdleMemoryDeflate(b *testing.B) {
	for _, lib := range deflateLibs() {
		b.Run("lib="+lib.Name, func(b *testing.B) { idleMemory(b, lib, true) })
	}
}

// memStats are a child server's figures.
type memStats struct{ open, heap, stack, rss int64 }

func idleMemory(b *testing.B, lib Lib, deflate bool) {
	n := *conns
	if testing.Short() && n > 500 {
		n = 500
	}
	if deflate {
		// With context takeover a compressor can hold over 1 MiB per
		// connection: a tenth of the connections tells as much.
		n = max(n/10, 50)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), memServerEnv+"="+lib.Name)
	if deflate {
		cmd.Env = append(cmd.Env, memDeflateEnv+"=1")
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	out := bufio.NewScanner(stdout)
	if !out.Scan() {
		b.Fatal("memory server did not start")
	}
	addr, ok := strings.CutPrefix(out.Text(), "addr ")
	if !ok {
		b.Fatalf("memory server said %q", out.Text())
	}
	stats := func() memStats {
		if _, err := io.WriteString(stdin, "stats\n"); err != nil {
			b.Fatal(err)
		}
		if !out.Scan() {
			b.Fatal("memory server died")
		}
		var m memStats
		if _, err := fmt.Sscanf(out.Text(), "stats %d %d %d %d", &m.open, &m.heap, &m.stack, &m.rss); err != nil {
			b.Fatal(err)
		}
		return m
	}
	base := stats()

	msg := text(1 << 10)
	clients := make([]io.Closer, n)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Close()
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	const workers = 8
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				c, err := dialIdle(lib, addr, sourceAddr(i), deflate, msg)
				if err != nil {
					select {
					case errs <- fmt.Errorf("connection %d: %w", i, err):
					default:
					}
					return
				}
				clients[i] = c
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	var after memStats
	for deadline := time.Now().Add(30 * time.Second); ; {
		after = stats()
		if after.open >= int64(n) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("server sees %d connections, want %d", after.open, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // let every connection settle in its idle read
	after = stats()
	b.ReportMetric(float64(after.heap+after.stack-base.heap-base.stack)/float64(n), "B/conn")
	b.ReportMetric(float64(after.heap-base.heap)/float64(n), "heap-B/conn")
	b.ReportMetric(float64(after.stack-base.stack)/float64(n), "stack-B/conn")
	b.ReportMetric(float64(after.rss-base.rss)/float64(n), "rss-B/conn")
}

// sourceAddr spreads connections over 127.0.0.x source addresses, 20,000
// per address, so that ephemeral ports do not run out.
func sourceAddr(i int) net.Addr {
	if i < 20000 {
		return nil
	}
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i/20000))}
}

// dialIdle opens one idle connection: a WebSocket handshake by the raw
// client (and one compressed echo when deflate is set), or for the TCP
// floor a plain connection that has echoed one byte.
func dialIdle(lib Lib, addr string, local net.Addr, deflate bool, msg []byte) (io.Closer, error) {
	if lib.Name != "tcp" {
		c, err := DialRaw(addr, local, deflate)
		if err != nil {
			return nil, err
		}
		if deflate {
			if err := c.ExchangeCompressed(msg); err != nil {
				c.Close()
				return nil, err
			}
		}
		return c, nil
	}
	d := net.Dialer{LocalAddr: local, Timeout: dialTimeout}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	nc.(*net.TCPConn).SetLinger(0)
	var one [1]byte
	if _, err := nc.Write(one[:]); err != nil {
		nc.Close()
		return nil, err
	}
	if _, err := io.ReadFull(nc, one[:]); err != nil {
		nc.Close()
		return nil, err
	}
	return nc, nil
}
