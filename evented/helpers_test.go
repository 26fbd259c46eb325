package evented_test

import (
	"context"
	"crypto/x509"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/evented"
)

// echoServer starts s (with echo callbacks unless set) on a loopback
// listener and returns its ws:// URL; the server is shut down at the end
// of the test.
func startServer(t *testing.T, s *evented.Server) string {
	t.Helper()
	if s.OnMessage == nil {
		s.OnMessage = func(c *evented.Conn, typ evented.MessageType, data []byte) {
			c.Write(typ, data)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != evented.ErrServerClosed {
			t.Errorf("Serve: %v, want ErrServerClosed", err)
		}
	})
	return "ws://" + ln.Addr().String()
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, ctx context.Context, url string, opts *conn.DialOptions) *conn.Conn {
	t.Helper()
	c, err := conn.Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// closes collects the OnClose reports.
type closes struct {
	mu  sync.Mutex
	got []*evented.CloseError
	ch  chan *evented.CloseError
}

func newCloses() *closes { return &closes{ch: make(chan *evented.CloseError, 100000)} }

func (c *closes) on(_ *evented.Conn, err *evented.CloseError) { c.ch <- err }

func (c *closes) next(t *testing.T) *evented.CloseError {
	t.Helper()
	select {
	case e := <-c.ch:
		return e
	case <-time.After(15 * time.Second):
		t.Fatal("no OnClose within 15 s")
		return nil
	}
}

// waitGoroutines waits until at most n goroutines run.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type x509CertPool = x509.CertPool

func newCertPool() *x509.CertPool { return x509.NewCertPool() }
