package broadcast_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/broadcast"
	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// tcpPair returns a server Conn and a client Conn over loopback TCP, both
// with the negotiated compression params (nil: none).
func tcpPair(t *testing.T, params *deflate.Params) (srv, cli *conn.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		ch <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-ch
	if s == nil {
		t.Fatal("accept failed")
	}
	opts := &conn.Options{PingInterval: -1, CloseTimeout: 2 * time.Second, Negotiated: conn.Negotiated{Deflate: params}}
	srv = conn.New(s, nil, frame.Server, opts)
	cli = conn.New(c, nil, frame.Client, opts)
	t.Cleanup(func() { srv.CloseNow(); cli.CloseNow() })
	return srv, cli
}

// pipePair is tcpPair over net.Pipe, whose writes block until the other
// end reads: a client that does not read stalls its writer at once.
func pipePair(t *testing.T) (srv, cli *conn.Conn) {
	s, c := net.Pipe()
	opts := &conn.Options{PingInterval: -1, CloseTimeout: 2 * time.Second}
	srv = conn.New(s, nil, frame.Server, opts)
	cli = conn.New(c, nil, frame.Client, opts)
	t.Cleanup(func() { srv.CloseNow(); cli.CloseNow() })
	return srv, cli
}

func prepare(t testing.TB, s string) *conn.PreparedMessage {
	m, err := conn.NewPreparedMessage(conn.Text, []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// reader reads c until it ends, sending each message's text on the
// returned channel, which it closes at the end.
func reader(c *conn.Conn) <-chan string {
	out := make(chan string, 1024)
	go func() {
		defer close(out)
		for {
			_, msg, err := c.Read(context.Background(), nil)
			if err != nil {
				return
			}
			out <- string(msg)
		}
	}()
	return out
}

func expectMessages(t *testing.T, ctx context.Context, name string, in <-chan string, want []string) {
	t.Helper()
	for i, w := range want {
		select {
		case got, ok := <-in:
			if !ok {
				t.Fatalf("%s: connection ended after %d of %d messages", name, i, len(want))
			}
			if got != w {
				t.Fatalf("%s: message %d is %.40q, want %.40q", name, i, got, w)
			}
		case <-ctx.Done():
			t.Fatalf("%s: got %d of %d messages", name, i, len(want))
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestEveryMessageInOrder broadcasts to members that negotiated different
// parameters (none, context takeover, none of it, a small window), each
// also sent ordinary messages of its own in between, and checks that every
// client gets every message in order.
func TestEveryMessageInOrder(t *testing.T) {
	ctx := testContext(t)
	params := []*deflate.Params{nil, {}, {ServerNoContextTakeover: true, ClientNoContextTakeover: true}, {ServerMaxWindowBits: 9, ClientMaxWindowBits: 9}}
	h := broadcast.New(&broadcast.Options{QueueSize: 1000})
	defer h.Close()
	var srvs []*conn.Conn
	var ins []<-chan string
	for i := range 40 {
		srv, cli := tcpPair(t, params[i%len(params)])
		if err := h.Add(srv); err != nil {
			t.Fatal(err)
		}
		srvs = append(srvs, srv)
		ins = append(ins, reader(cli))
	}
	if h.Len() != 40 {
		t.Fatalf("Len %d", h.Len())
	}
	const n = 200
	want := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		want[i] = fmt.Sprintf("message %d: %s", i, strings.Repeat("the same words again ", 1+i%7))
	}
	// Ordinary messages to a few members, interleaved with the broadcast:
	// they must not break the others' stream, nor be broken by it.
	for _, srv := range srvs[:4] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				if err := srv.Write(ctx, conn.Text, fmt.Appendf(nil, "own %d: the same words again", i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for _, w := range want {
		h.Broadcast(prepare(t, w))
	}
	wg.Wait()
	for i, in := range ins {
		if i < 4 {
			in = withoutOwn(in)
		}
		expectMessages(t, ctx, fmt.Sprint("client ", i), in, want)
	}
	waitFor(t, "the counters", func() bool { return h.Stats().Delivered == 40*n })
	if s := h.Stats(); s.Dropped != 0 || s.ClosedSlow != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// withoutOwn passes on the messages of in but the members' own ones,
// checking those are in order too.
func withoutOwn(in <-chan string) <-chan string {
	out := make(chan string, 1024)
	go func() {
		defer close(out)
		next := 0
		for m := range in {
			if strings.HasPrefix(m, "own ") {
				if m != fmt.Sprintf("own %d: the same words again", next) {
					out <- "out of order: " + m
				}
				next++
				continue
			}
			out <- m
		}
	}()
	return out
}

// stalled returns a member whose client never reads, over a pipe: its
// writer blocks on its first write.
func stalled(t *testing.T, h *broadcast.Hub) (srv, cli *conn.Conn) {
	srv, cli = pipePair(t)
	if err := h.Add(srv); err != nil {
		t.Fatal(err)
	}
	return srv, cli
}

// TestSlowConsumerDropped checks the Drop policy: a stalled member loses
// the messages that find its queue full, while every other member gets
// every message, as many as without the stalled one (counted, not timed).
func TestSlowConsumerDropped(t *testing.T) {
	ctx := testContext(t)
	const queue, n, fast = 8, 300, 10
	run := func(withStalled bool) (broadcast.Stats, int) {
		h := broadcast.New(&broadcast.Options{QueueSize: queue, Policy: broadcast.Drop})
		defer h.Close()
		if withStalled {
			stalled(t, h)
		}
		var ins []<-chan string
		for range fast {
			srv, cli := tcpPair(t, &deflate.Params{})
			h.Add(srv)
			ins = append(ins, reader(cli))
		}
		want := make([]string, n)
		for i := range n {
			want[i] = fmt.Sprint("tick ", i)
		}
		// Pace the broadcast by the fast members only: each message is
		// sent once every fast client got the one before. The stalled
		// member must not hold any of them back.
		got := 0
		for i, w := range want {
			h.Broadcast(prepare(t, w))
			for j, in := range ins {
				expectMessages(t, ctx, fmt.Sprint("fast client ", j, " at ", i), in, want[i:i+1])
				got++
			}
		}
		waitFor(t, "the counters", func() bool { return h.Stats().Delivered >= fast*n })
		return h.Stats(), got
	}
	base, baseGot := run(false)
	s, got := run(true)
	t.Logf("without the stalled member: %+v; with it: %+v", base, s)
	if got != baseGot || got != fast*n {
		t.Fatalf("fast clients got %d messages with a stalled member, %d without, want %d", got, baseGot, fast*n)
	}
	// The stalled member took at most one message into its blocked write
	// and queue messages into its queue; it lost the rest.
	if s.Dropped < n-queue-1 || s.ClosedSlow != 0 {
		t.Fatalf("stats %+v: want at least %d dropped, none closed", s, n-queue-1)
	}
	if s.Delivered < uint64(fast*n) {
		t.Fatalf("delivered %d, want at least %d", s.Delivered, fast*n)
	}
}

// TestSlowConsumerClosed checks the Close policy: the stalled member is
// removed and closed with 1008, the others get every message.
func TestSlowConsumerClosed(t *testing.T) {
	ctx := testContext(t)
	const queue, n = 4, 50
	h := broadcast.New(&broadcast.Options{QueueSize: queue, Policy: broadcast.Close})
	defer h.Close()
	_, slowCli := stalled(t, h)
	var ins []<-chan string
	for range 5 {
		srv, cli := tcpPair(t, nil)
		h.Add(srv)
		ins = append(ins, reader(cli))
	}
	// Paced by the fast members, as in TestSlowConsumerDropped: a queue of
	// 4 would not absorb a burst of 50 even for them.
	for i := range n {
		want := fmt.Sprint("tick ", i)
		h.Broadcast(prepare(t, want))
		for j, in := range ins {
			expectMessages(t, ctx, fmt.Sprint("client ", j), in, []string{want})
		}
	}
	waitFor(t, "the counters", func() bool { return h.Stats().Delivered >= 5*n })
	if h.Len() != 5 {
		t.Fatalf("Len %d after the slow member's close, want 5", h.Len())
	}
	// The slow client now reads: what its blocked write held, then the
	// close.
	msgs := 0
	for {
		_, _, err := slowCli.Read(ctx, nil)
		if err == nil {
			msgs++
			continue
		}
		var ce *conn.CloseError
		if !errors.As(err, &ce) || ce.Code != closecode.PolicyViolation || ce.Reason != broadcast.SlowReason {
			t.Fatalf("slow client: %v, want a close 1008 %q", err, broadcast.SlowReason)
		}
		break
	}
	if msgs > queue+1 {
		t.Fatalf("the slow client read %d messages, want at most %d", msgs, queue+1)
	}
	s := h.Stats()
	if s.ClosedSlow != 1 || s.Delivered < 5*n || s.Dropped < 1 {
		t.Fatalf("stats %+v", s)
	}
	t.Logf("slow client read %d messages before its close; stats %+v", msgs, s)
}

// A member whose connection ends is removed by its writer's failure.
func TestFailedMemberRemoved(t *testing.T) {
	h := broadcast.New(nil)
	defer h.Close()
	srv, cli := tcpPair(t, nil)
	h.Add(srv)
	in := reader(cli)
	h.Broadcast(prepare(t, "one"))
	expectMessages(t, testContext(t), "client", in, []string{"one"})
	srv.CloseNow()
	waitFor(t, "the member's removal", func() bool {
		h.Broadcast(prepare(t, "more"))
		return h.Len() == 0
	})
}

func TestAddRemove(t *testing.T) {
	h := broadcast.New(nil)
	srv, _ := tcpPair(t, nil)
	if err := h.Add(srv); err != nil {
		t.Fatal(err)
	}
	if err := h.Add(srv); !errors.Is(err, broadcast.ErrMember) {
		t.Fatalf("second Add: %v, want ErrMember", err)
	}
	h.Remove(srv)
	h.Remove(srv) // no-op
	if h.Len() != 0 {
		t.Fatalf("Len %d", h.Len())
	}
	if err := h.Add(srv); err != nil {
		t.Fatalf("Add after Remove: %v", err)
	}
	h.Close()
	if h.Len() != 0 {
		t.Fatalf("Len %d after Close", h.Len())
	}
	if err := h.Add(srv); !errors.Is(err, broadcast.ErrClosed) {
		t.Fatalf("Add after Close: %v, want ErrClosed", err)
	}
	h.Broadcast(prepare(t, "nobody")) // no-op
}

// TestConcurrent adds, removes and broadcasts from many goroutines at
// once, for the race detector.
func TestConcurrent(t *testing.T) {
	h := broadcast.New(&broadcast.Options{QueueSize: 16})
	defer h.Close()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				srv, cli := tcpPair(t, nil)
				in := reader(cli)
				h.Add(srv)
				for j := range 20 {
					h.Broadcast(prepare(t, fmt.Sprint(g, i, j)))
				}
				h.Stats()
				h.Remove(srv)
				cli.CloseNow()
				for range in {
				}
			}
		}()
	}
	wg.Wait()
}

// TestBroadcastAllocations checks that a broadcast allocates nothing per
// member: the queues, the writers and the sends, once the message is
// prepared (the clients read into reused buffers).
func TestBroadcastAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, params := range []*deflate.Params{nil, {ServerNoContextTakeover: true, ClientNoContextTakeover: true}, {}} {
		h := broadcast.New(nil)
		const members = 20
		for range members {
			srv, cli := tcpPair(t, params)
			h.Add(srv)
			go func() {
				buf := make([]byte, 0, 4096)
				for {
					_, msg, err := cli.Read(context.Background(), buf)
					if err != nil {
						return
					}
					buf = msg[:0]
				}
			}()
		}
		m := prepare(t, strings.Repeat("tick 101.25 ", 21))
		send := func() {
			want := h.Stats().Delivered + members
			h.Broadcast(m)
			for h.Stats().Delivered < want {
				time.Sleep(50 * time.Microsecond)
			}
		}
		for range 20 {
			send()
		}
		allocs := testing.AllocsPerRun(100, send)
		t.Logf("params %+v: %.2f allocations per broadcast to %d members", params, allocs, members)
		if allocs != 0 {
			t.Errorf("params %+v: %.2f allocations per broadcast, want 0", params, allocs)
		}
		h.Close()
	}
}

// TestNoLeak checks that the writers end with the Hub, and with Remove.
func TestNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	h := broadcast.New(nil)
	var cs []*conn.Conn
	for i := range 6 {
		srv, cli := tcpPair(t, nil)
		h.Add(srv)
		reader(cli)
		cs = append(cs, srv, cli)
		if i%2 == 0 {
			h.Remove(srv)
		}
	}
	h.Broadcast(prepare(t, "hello"))
	h.Close()
	for _, c := range cs {
		c.CloseNow()
	}
	waitFor(t, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}
