package evented_test

import (
	"bufio"
	"context"
	"crypto/tls"
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

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/evented"
	"github.com/hybi/ws/frame"
)

// churnConns is the number of connections TestChurn opens and closes.
func churnConns() int { return 10000 }

// TestChurn opens, uses and closes many connections, some closed cleanly,
// some dropped, some cut in their handshake; afterwards no goroutine and
// no memory is left behind.
func TestChurn(t *testing.T) {
	var closed, opened atomic.Int64
	s := &evented.Server{
		OnOpen:  func(*evented.Conn) { opened.Add(1) },
		OnClose: func(*evented.Conn, *evented.CloseError) { closed.Add(1) },
	}
	url := startServer(t, s)
	addr := strings.TrimPrefix(url, "ws://")
	ctx := testCtx(t, 3*time.Minute)
	dial(t, ctx, url, nil).CloseNow()
	for closed.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	runtime.GC()
	base := runtime.NumGoroutine()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	n := churnConns()
	const par = 8
	var wg sync.WaitGroup
	var failed atomic.Int64
	hello := clientFrame(frame.OpText, []byte("hello"))
	bye := clientFrame(frame.OpClose, []byte{0x03, 0xe8})
	for w := range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 4096)
			for i := w; i < n; i += par {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					failed.Add(1)
					continue
				}
				c.SetDeadline(time.Now().Add(30 * time.Second))
				switch i % 3 {
				case 0: // a message, then a clean close
					io.WriteString(c, request)
					c.Write(hello)
					c.Write(bye)
					if _, err := io.ReadAll(c); err != nil {
						failed.Add(1)
					}
				case 1: // a message, then dropped
					io.WriteString(c, request)
					c.Write(hello)
					c.Read(buf)
				case 2: // cut inside the handshake
					io.WriteString(c, request[:20])
				}
				c.Close()
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		t.Fatalf("%d of %d connections failed", f, n)
	}
	want := int64(1 + n - n/3) // cases 0 and 1, and the first one
	for deadline := time.Now().Add(30 * time.Second); closed.Load() < want || opened.Load() < want; {
		if time.Now().After(deadline) {
			t.Fatalf("%d opened, %d closed, want %d each", opened.Load(), closed.Load(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitGoroutines(t, base)
	var after runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d connections: heap %d -> %d bytes", n, before.HeapAlloc, after.HeapAlloc)
	// The pools keep some buffers; a connection left behind would keep
	// hundreds of bytes each.
	if grew > 2<<20 {
		t.Errorf("heap grew by %d bytes over %d connections", grew, n)
	}
}

// TestServeHTTP takes over connections that net/http upgraded after routing
// (the request's path), plain and over TLS (served on goroutines), with the
// same callbacks.
func TestServeHTTP(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(map[bool]string{false: "ws", true: "wss"}[secure], func(t *testing.T) {
			cl := newCloses()
			s := &evented.Server{
				OnOpen:    func(c *evented.Conn) { c.Write(evented.Text, []byte("welcome to "+c.RequestURI())) },
				OnMessage: func(c *evented.Conn, typ evented.MessageType, data []byte) { c.Write(typ, data) },
				OnClose:   cl.on,
			}
			mux := http.NewServeMux()
			mux.Handle("/room/", s)
			hs := httptest.NewUnstartedServer(mux)
			opts := &conn.DialOptions{}
			if secure {
				hs.StartTLS()
				opts.TLSConfig = &tls.Config{RootCAs: certPool(hs)}
			} else {
				hs.Start()
			}
			defer hs.Close()
			t.Cleanup(func() { s.Shutdown(context.Background()) })
			url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/room/1"
			ctx := testCtx(t, 10*time.Second)
			c := dial(t, ctx, url, opts)
			if _, m, err := c.Read(ctx, nil); err != nil || string(m) != "welcome to /room/1" {
				t.Fatalf("first message %q %v", m, err)
			}
			c.Write(ctx, conn.Binary, []byte("echo me"))
			if _, m, err := c.Read(ctx, nil); err != nil || string(m) != "echo me" {
				t.Fatalf("echo %q %v", m, err)
			}
			c.Close(closecode.Normal, "")
			if e := cl.next(t); e.Code != closecode.Normal || !e.Clean {
				t.Errorf("OnClose: %v", e)
			}
			if _, err := conn.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http")+"/other", opts); err == nil {
				t.Error("an unrouted path was upgraded")
			}
		})
	}
}

func certPool(s *httptest.Server) *x509CertPool {
	p := newCertPool()
	p.AddCert(s.Certificate())
	return p
}

// TestHandshakeRefused: a bad request gets the HTTP error, and no callback.
func TestHandshakeRefused(t *testing.T) {
	var opened atomic.Int32
	s := &evented.Server{OnOpen: func(*evented.Conn) { opened.Add(1) }}
	url := startServer(t, s)
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "ws://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, strings.Replace(request, "Version: 13", "Version: 8", 1))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Errorf("status %s", resp.Status)
	}
	if _, err := io.ReadAll(resp.Body); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("body: %v", err)
	}
	if opened.Load() != 0 {
		t.Error("OnOpen for a refused request")
	}
}
