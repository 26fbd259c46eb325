package evented_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/evented"
	"github.com/hybi/ws/frame"
)

// TestIdleCompressedMemory: an idle compressed connection keeps at most
// its windows once keepalive ticked (with context takeover both ways: the
// compressor's 32 KiB copy of what it sent and the decompressor's 40 KiB
// of what it received), not a flate.Writer (over 1 MiB), and nothing
// without context takeover. Each connection echoes one compressed 48 KiB
// message, then stays idle answering pings for over two seconds; the heap the server holds per
// connection is compared with that of uncompressed connections served the
// same way (the clients' own memory is the same in both).
func TestIdleCompressedMemory(t *testing.T) {
	const n = 60
	const interval = 50 * time.Millisecond
	var msg []byte
	for i := 0; len(msg) < 48<<10; i++ {
		msg = fmt.Appendf(msg, "line %d of a message that compresses, %x\n", i, i*i*7919)
	}
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestSpeed)
	fw.Write(msg)
	fw.Flush()
	compressed := bytes.TrimSuffix(z.Bytes(), []byte{0, 0, 0xff, 0xff})

	measure := func(t *testing.T, cfg *deflate.Config) (held, idle float64) {
		s := &evented.Server{PingInterval: interval, PongTimeout: 5 * time.Second, Compression: cfg}
		url := startServer(t, s)
		var clients []net.Conn
		var wg sync.WaitGroup
		defer func() {
			for _, c := range clients {
				c.Close()
			}
			wg.Wait()
		}()
		before := heapInuse()
		for range n {
			c, br := rawDialExt(t, url, cfg != nil)
			clients = append(clients, c)
			if cfg != nil {
				c.Write(compressedFrame(compressed))
			} else {
				c.Write(clientFrame(frame.OpBinary, msg))
			}
			for {
				h, _ := readFrame(t, c, br)
				if h.Opcode == frame.OpPing {
					c.Write(clientFrame(frame.OpPong, nil))
					continue
				}
				if h.Opcode != frame.OpBinary || (h.Rsv&frame.RSV1 != 0) != (cfg != nil) {
					t.Fatalf("echo %+v", h)
				}
				break
			}
			wg.Add(1)
			go func() { defer wg.Done(); answerPings(c, br) }()
		}
		held = float64(heapInuse()-before) / n
		// Keepalive ticks, answered; the compressor is released a second
		// or two after its last use (protocol.Tick).
		time.Sleep(2*time.Second + 5*interval)
		idle = float64(heapInuse()-before) / n
		return held, idle
	}
	var plain, held, takeover, none float64
	// Each in a subtest, whose cleanups shut its server down before the
	// next one measures.
	t.Run("plain", func(t *testing.T) { _, plain = measure(t, nil) })
	t.Run("takeover", func(t *testing.T) { held, takeover = measure(t, &deflate.Config{}) })
	t.Run("none", func(t *testing.T) {
		_, none = measure(t, &deflate.Config{NoContextTakeover: true, PeerNoContextTakeover: true})
	})
	t.Logf("heap per connection: plain %.0f B; compressed with context takeover %.0f B once all echoed (the first ones may be released by then), %.0f B idle; without context takeover %.0f B idle",
		plain, held, takeover, none)
	if extra := takeover - plain; extra > (32+40+8)<<10 {
		t.Errorf("an idle connection with context takeover holds %.0f B more than a plain one, want at most its windows (32 KiB + 40 KiB)", extra)
	}
	if extra := none - plain; extra > 2<<10 {
		t.Errorf("an idle connection without context takeover holds %.0f B more than a plain one, want nothing", extra)
	}
}

func heapInuse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

// rawDialExt is rawDial offering permessage-deflate (no parameters) when
// compress is set.
func rawDialExt(t *testing.T, url string, compress bool) (net.Conn, *bufio.Reader) {
	t.Helper()
	if !compress {
		return rawDial(t, url)
	}
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "ws://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	req := strings.Replace(request, "\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", 1)
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "HTTP/") && !strings.HasPrefix(line, "HTTP/1.1 101") {
			t.Fatalf("status %q", line)
		}
		if line == "\r\n" {
			break
		}
	}
	c.SetReadDeadline(time.Time{})
	return c, br
}

// compressedFrame returns a masked final binary frame with RSV1 set.
func compressedFrame(p []byte) []byte {
	b := clientFrame(frame.OpBinary, p)
	b[0] |= 0x40
	return b
}

// answerPings answers the server's pings until the connection ends.
func answerPings(c net.Conn, br *bufio.Reader) {
	for {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return
		}
		p := make([]byte, h[1]&0x7f) // control frames only
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		if h[0]&0xf == byte(frame.OpPing) {
			c.Write(clientFrame(frame.OpPong, p))
		}
	}
}
