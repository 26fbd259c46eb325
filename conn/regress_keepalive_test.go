//go:build !js

package conn

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
)

// Regression tests for keepalive tearing down live peers, and for the
// errors of Ping (issue 12, items 3 and 12a).

// slowConn throttles the reads of a net.Conn to rate bytes per second, like
// a peer on a slow link: reads return at most 16 KiB and sleep until the
// bytes read so far are due. Only one goroutine reads it.
type slowConn struct {
	net.Conn
	rate  int64
	start time.Time
	n     int64
}

func (s *slowConn) Read(p []byte) (int, error) {
	if s.start.IsZero() {
		s.start = time.Now()
	}
	if len(p) > 16<<10 {
		p = p[:16<<10]
	}
	n, err := s.Conn.Read(p)
	s.n += int64(n)
	due := s.start.Add(time.Duration(s.n * int64(time.Second) / s.rate))
	if d := time.Until(due); d > 0 {
		time.Sleep(d)
	}
	return n, err
}

// shrinkBuffers makes the kernel buffers of TCP connections small, so that
// a slow reader slows the writer down soon.
func shrinkBuffers(t testing.TB, conns ...net.Conn) {
	t.Helper()
	for _, c := range conns {
		tc := c.(*net.TCPConn)
		if err := tc.SetReadBuffer(32 << 10); err != nil {
			t.Fatal(err)
		}
		if err := tc.SetWriteBuffer(32 << 10); err != nil {
			t.Fatal(err)
		}
	}
}

// slowPair returns a server and a client over loopback TCP with small
// kernel buffers, the client reading at rate bytes per second.
func slowPair(t testing.TB, srvOpts, cliOpts *Options, rate int64) (srv, cli *Conn) {
	t.Helper()
	s, c := tcpPair(t)
	shrinkBuffers(t, s, c)
	srv = New(s, nil, frame.Server, srvOpts)
	cli = New(&slowConn{Conn: c, rate: rate}, nil, frame.Client, cliOpts)
	t.Cleanup(func() { srv.CloseNow(); cli.CloseNow() })
	return srv, cli
}

// msgReader reads messages from a Conn on a goroutine of its own until the
// connection ends.
type msgReader struct {
	msgs chan []byte
	err  chan error
}

func startReader(c *Conn) *msgReader {
	r := &msgReader{msgs: make(chan []byte, 16), err: make(chan error, 1)}
	go func() {
		for {
			_, msg, err := c.Read(context.Background(), nil)
			if err != nil {
				r.err <- err
				return
			}
			r.msgs <- msg
		}
	}()
	return r
}

// next returns the next message, failing the test if the connection ends
// first or nothing arrives within 10 s.
func (r *msgReader) next(t testing.TB) []byte {
	t.Helper()
	select {
	case m := <-r.msgs:
		return m
	case err := <-r.err:
		t.Fatalf("connection ended before the message: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10s")
	}
	return nil
}

// end returns the error that ended the reads.
func (r *msgReader) end(t testing.TB) error {
	t.Helper()
	select {
	case err := <-r.err:
		return err
	case m := <-r.msgs:
		t.Fatalf("unexpected message of %d bytes", len(m))
	case <-time.After(10 * time.Second):
		t.Fatal("reads did not end within 10s")
	}
	return nil
}

// closeCleanly closes c with 1000 while peer reads, and checks that both
// ends see a clean close.
func closeCleanly(t testing.TB, c *Conn, mine, peer *msgReader) {
	t.Helper()
	if err := c.Close(closecode.Normal, ""); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wantCloseError(t, peer.end(t), closecode.Normal, true)
	if mine != nil {
		wantCloseError(t, mine.end(t), closecode.Normal, true)
	}
}

// TestKeepaliveHandlerPause: a handler that pauses between Reads for many
// PongTimeouts is not torn down while its peer answers every ping: the
// pongs wait unread in the socket, and they prove the peer alive.
func TestKeepaliveHandlerPause(t *testing.T) {
	checkGoroutines(t)
	srv, cli := pair(t, keepaliveOpts(50*time.Millisecond, 100*time.Millisecond), shortOpts())
	cliR := startReader(cli) // answers the pings
	time.Sleep(time.Second)  // the server handler does not read
	if st := srv.State(); st != Open {
		_, _, err := srv.Read(context.Background(), nil)
		t.Fatalf("state %v after a 1s pause between Reads, with pongs pending: %v", st, err)
	}
	ctx := context.Background()
	if err := srv.Write(ctx, Text, []byte("after the pause")); err != nil {
		t.Fatal(err)
	}
	if got := cliR.next(t); string(got) != "after the pause" {
		t.Fatalf("client got %q", got)
	}
	if err := cli.Write(ctx, Text, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := srv.Read(ctx, nil); err != nil || string(got) != "hello" {
		t.Fatalf("server read %q, %v", got, err)
	}
	closeCleanly(t, srv, nil, cliR)
}

// TestKeepaliveDuringLongWrite: a keepalive ping that must wait behind a
// long message does not count as unanswered before it is sent. 4 MiB to a
// client reading at 2 MiB/s that answers pings, with PingInterval 200ms and
// PongTimeout 1s (half the write's length, and room for a loaded machine
// with the race detector), completes and closes cleanly.
func TestKeepaliveDuringLongWrite(t *testing.T) {
	checkGoroutines(t)
	co := shortOpts()
	co.ReadLimit = -1
	srv, cli := slowPair(t, keepaliveOpts(200*time.Millisecond, time.Second), co, 2<<20)
	srvR, cliR := startReader(srv), startReader(cli)
	msg := randomMessage(3, 4<<20)
	start := time.Now()
	if err := srv.Write(context.Background(), Binary, msg); err != nil {
		t.Fatalf("Write failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
	}
	if got := cliR.next(t); !bytes.Equal(got, msg) {
		t.Fatalf("client got %d bytes, want %d intact", len(got), len(msg))
	}
	t.Logf("4 MiB at 2 MiB/s in %v", time.Since(start).Round(time.Millisecond))
	closeCleanly(t, srv, srvR, cliR)
}

// TestPeerPingsDuringLongWrite: pings from the peer during a long message
// are answered between its frames, and a pong that cannot go out at once
// never tears the connection down. 4 MiB to a client reading at 2 MiB/s
// and pinging every 100ms, with a CloseTimeout of 300ms.
func TestPeerPingsDuringLongWrite(t *testing.T) {
	checkGoroutines(t)
	so, co := shortOpts(), shortOpts()
	so.CloseTimeout = 300 * time.Millisecond
	co.ReadLimit = -1
	srv, cli := slowPair(t, so, co, 2<<20)
	srvR, cliR := startReader(srv), startReader(cli)
	stop := make(chan struct{})
	var pings []time.Duration
	var pingErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			start := time.Now()
			err := cli.Ping(ctx)
			cancel()
			if err != nil {
				pingErr = err
				return
			}
			pings = append(pings, time.Since(start))
		}
	}()
	msg := randomMessage(4, 4<<20)
	start := time.Now()
	err := srv.Write(context.Background(), Binary, msg)
	if err != nil {
		close(stop)
		wg.Wait()
		t.Fatalf("Write failed after %v: %v (client pings: %d answered, then %v)", time.Since(start).Round(time.Millisecond), err, len(pings), pingErr)
	}
	got := cliR.next(t)
	close(stop)
	wg.Wait()
	if !bytes.Equal(got, msg) {
		t.Fatalf("client got %d bytes, want %d intact", len(got), len(msg))
	}
	if pingErr != nil || len(pings) < 5 {
		t.Fatalf("client pings during the write: %d answered, error %v", len(pings), pingErr)
	}
	var worst time.Duration
	for _, d := range pings {
		worst = max(worst, d)
	}
	t.Logf("%d pings answered during the write, slowest in %v", len(pings), worst.Round(time.Millisecond))
	closeCleanly(t, srv, srvR, cliR)
}

// TestPingErrors: Ping waiting behind a data frame that cannot go out
// returns its context's error when the context ends, whether by deadline
// or by cancellation, and the connection stays up.
func TestPingErrors(t *testing.T) {
	checkGoroutines(t)
	s, p := tcpPair(t)
	shrinkBuffers(t, s, p)
	so := shortOpts()
	so.CloseTimeout = 200 * time.Millisecond
	c := New(s, nil, frame.Server, so)
	t.Cleanup(func() { c.CloseNow(); p.Close() })
	// The peer reads nothing: the write fills the buffers and blocks.
	wctx, cancelWrite := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancelWrite()
	stuck := async(t, func() error { return c.Write(wctx, Binary, make([]byte, 8<<20)) })
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	if err := c.Ping(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Ping cancelled after 500ms, CloseTimeout 200ms: %v (%T), want context.Canceled", err, err)
	}
	dctx, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if err := c.Ping(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ping with a 300ms deadline: %v (%T), want context.DeadlineExceeded", err, err)
	}
	if st := c.State(); st != Open {
		t.Fatalf("state %v", st)
	}
	c.CloseNow()
	if err := stuck(); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("stuck Write: %v", err)
	}
}
