package reconnect

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/handshake"
)

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// server is a WebSocket server that the test can stop, restart on the same
// port, and make refuse handshakes with 503. Each accepted connection must
// start with a "subscribe" message, is answered "welcome <n>", and is then
// handed to the test on conns.
// sconn is a server's connection; the server reads it until it ends, and
// sends how on ended.
type sconn struct {
	*conn.Conn
	ended chan error
}

type server struct {
	t     *testing.T
	addr  string
	conns chan *sconn

	mu      sync.Mutex
	srv     *http.Server
	refuse  int // handshakes left to refuse with 503
	refused int
	n       int // connections accepted
	live    map[*conn.Conn]bool
	badSubs int // connections whose first message was not "subscribe"
}

func newServer(t *testing.T) *server {
	s := &server{t: t, conns: make(chan *sconn, 10), live: map[*conn.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(func() { s.stop(false) })
	return s
}

func (s *server) url() string { return "ws://" + s.addr + "/feed" }

func (s *server) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(s.handle), ReadHeaderTimeout: 5 * time.Second}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

func (s *server) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.refuse > 0 {
		s.refuse--
		s.refused++
		s.mu.Unlock()
		http.Error(w, "busy, come back later", http.StatusServiceUnavailable)
		return
	}
	s.mu.Unlock()
	c, err := conn.Accept(w, r, &conn.AcceptOptions{Options: conn.Options{PingInterval: -1}})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, msg, err := c.Read(ctx, nil)
	s.mu.Lock()
	if err != nil || string(msg) != "subscribe" {
		s.badSubs++
		s.mu.Unlock()
		c.CloseNow()
		return
	}
	s.n++
	n := s.n
	s.live[c] = true
	s.mu.Unlock()
	c.Write(ctx, conn.Text, fmt.Appendf(nil, "welcome %d", n))
	sc := &sconn{Conn: c, ended: make(chan error, 1)}
	s.conns <- sc
	for {
		if _, _, err := c.Read(context.Background(), nil); err != nil {
			sc.ended <- err
			return
		}
	}
}

// end returns how the server's connection ended.
func (sc *sconn) end(t *testing.T) error {
	t.Helper()
	select {
	case err := <-sc.ended:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("the server's connection did not end")
		return nil
	}
}

// next returns the next subscribed connection.
func (s *server) next(ctx context.Context) *sconn {
	s.t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-ctx.Done():
		s.t.Fatalf("no connection from the client: %v", ctx.Err())
		return nil
	}
}

// stop closes the listener, and tears every connection down when crash is
// set (else leaves them to the test).
func (s *server) stop(crash bool) {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	live := s.live
	s.live = map[*conn.Conn]bool{}
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
	if crash {
		for c := range live {
			c.CloseNow()
		}
	}
}

// restart listens again on the same address.
func (s *server) restart() {
	s.t.Helper()
	var ln net.Listener
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("listen again on %s: %v", s.addr, err)
		}
	}
	s.serve(ln)
}

func (s *server) refuseNext(n int) {
	s.mu.Lock()
	s.refuse = n
	s.mu.Unlock()
}

// dialCounter wraps net dials, failing the test if a dial starts while an
// earlier connection of the client is still open.
type dialCounter struct {
	t     *testing.T
	open  atomic.Int32
	dials atomic.Int32
	bad   atomic.Int32
}

func (d *dialCounter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.dials.Add(1)
	if n := d.open.Add(1); n != 1 {
		d.bad.Add(1)
	}
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		d.open.Add(-1)
		return nil, err
	}
	return &countedConn{Conn: c, d: d}, nil
}

type countedConn struct {
	net.Conn
	d    *dialCounter
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.d.open.Add(-1) })
	return c.Conn.Close()
}

// newClient returns a client of s with short delays, whose received
// messages go to the returned channel.
func newClient(s *server, d *dialCounter) (*Client, chan string) {
	msgs := make(chan string, 100)
	c := &Client{
		URL: s.url(),
		DialOptions: &conn.DialOptions{
			Options: conn.Options{PingInterval: -1, CloseTimeout: 2 * time.Second},
			NetDial: d.dial,
		},
		OnConnect: func(ctx context.Context, c *conn.Conn) error {
			return c.Write(ctx, conn.Text, []byte("subscribe"))
		},
		OnMessage: func(ctx context.Context, typ conn.MessageType, msg []byte) error {
			msgs <- string(msg)
			return nil
		},
		MinDelay: 10 * time.Millisecond,
		MaxDelay: 80 * time.Millisecond,
	}
	return c, msgs
}

func expectMsg(t *testing.T, ctx context.Context, msgs chan string, want string) {
	t.Helper()
	select {
	case m := <-msgs:
		if m != want {
			t.Fatalf("message %q, want %q", m, want)
		}
	case <-ctx.Done():
		t.Fatalf("waiting for %q: %v", want, ctx.Err())
	}
}

func runAsync(ctx context.Context, c *Client) chan error {
	ch := make(chan error, 1)
	go func() { ch <- c.Run(ctx) }()
	return ch
}

func waitRun(t *testing.T, ch chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

// TestRestartsRefusalsAndPolicy runs a client against a server that goes
// away with 1001, crashes and comes back, refuses with 503 for a while, and
// finally closes with 1008, which the client's policy treats as final.
// Every connection resubscribes; no two dials overlap.
func TestRestartsRefusalsAndPolicy(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	s := newServer(t)
	d := &dialCounter{t: t}
	c, msgs := newClient(s, d)
	c.Stop = func(e End) bool { return DefaultStop(e) || (!e.Local && e.Code == closecode.PolicyViolation) }
	done := runAsync(ctx, c)

	sc := s.next(ctx)
	expectMsg(t, ctx, msgs, "welcome 1")
	if st := c.Stats(); st.State != Connected || st.Connects != 1 || st.ConnectedSince.IsZero() {
		t.Errorf("stats after the first connect: %+v", st)
	}

	// 1. The server restarts cleanly: 1001, then it is back at once.
	s.stop(false)
	if err := sc.Close(closecode.GoingAway, "restarting"); err != nil {
		t.Fatalf("server close: %v", err)
	}
	s.restart()
	sc = s.next(ctx)
	expectMsg(t, ctx, msgs, "welcome 2")
	// The last error is the 1001, or a refused dial when the client came
	// back before the server did.
	if st := c.Stats(); st.Connects != 2 || st.LastError == nil {
		t.Errorf("stats after the 1001: %+v", st)
	}

	// 2. The server crashes (1006) and stays down for a while: dials are
	// refused, then succeed once it is back.
	before := d.dials.Load()
	s.stop(true)
	var st Stats
	for wait := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if st = c.Stats(); st.Failures >= 2 || time.Now().After(wait) {
			break
		}
	}
	if st.Failures < 2 || st.State == Connected || !st.ConnectedSince.IsZero() {
		t.Errorf("stats while the server is down: %+v, want at least 2 failures in a row", st)
	}
	s.restart()
	sc = s.next(ctx)
	expectMsg(t, ctx, msgs, "welcome 3")
	if n := d.dials.Load() - before; n < 3 {
		t.Errorf("%d dials while the server was down and back, want at least 3", n)
	}
	if st := c.Stats(); st.Failures != 0 || st.Connects != 3 {
		t.Errorf("stats after the crash: %+v", st)
	}

	// 3. The server refuses 5 handshakes with 503, then accepts again.
	s.refuseNext(5)
	if err := sc.Close(closecode.TryAgainLater, "overloaded"); err != nil {
		t.Fatalf("server close: %v", err)
	}
	sc = s.next(ctx)
	expectMsg(t, ctx, msgs, "welcome 4")
	s.mu.Lock()
	refused := s.refused
	s.mu.Unlock()
	if refused != 5 {
		t.Errorf("%d handshakes refused, want 5", refused)
	}

	// 4. The server closes with 1008: the policy ends the loop.
	if err := sc.Close(closecode.PolicyViolation, "banned"); err != nil {
		t.Fatalf("server close: %v", err)
	}
	err := waitRun(t, done)
	var ce *conn.CloseError
	if !errors.As(err, &ce) || ce.Code != closecode.PolicyViolation || ce.Reason != "banned" {
		t.Fatalf("Run: %v, want the 1008 close", err)
	}
	st = c.Stats()
	if st.State != Idle || st.Connects != 4 || st.Attempts != int(d.dials.Load()) {
		t.Errorf("final stats %+v (%d dials)", st, d.dials.Load())
	}
	if n := d.bad.Load(); n != 0 {
		t.Errorf("%d dials started while another connection was open", n)
	}
	if s.badSubs != 0 {
		t.Errorf("%d connections did not subscribe first", s.badSubs)
	}
	t.Logf("%d dials in all, final stats %+v", d.dials.Load(), st)
}

// TestGoingAwayIsRetriedByDefault: with the default policy, a peer's close
// of any code, even 1000, is followed by a reconnect; the client's own 1000
// ends Run with nil.
func TestDefaultPolicy(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	s := newServer(t)
	d := &dialCounter{t: t}
	c, msgs := newClient(s, d)
	done := runAsync(ctx, c)

	for i, code := range []closecode.Code{closecode.GoingAway, closecode.PolicyViolation, closecode.Normal} {
		sc := s.next(ctx)
		expectMsg(t, ctx, msgs, fmt.Sprintf("welcome %d", i+1))
		sc.Close(code, "")
	}
	s.next(ctx)
	expectMsg(t, ctx, msgs, "welcome 4")

	// A local close with another code forces a fresh connection.
	if err := c.Close(4000, "resync"); err != nil {
		t.Fatalf("Close(4000): %v", err)
	}
	s.next(ctx)
	expectMsg(t, ctx, msgs, "welcome 5")

	if err := c.Close(closecode.Normal, "done"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := waitRun(t, done); err != nil {
		t.Fatalf("Run after our own 1000: %v, want nil", err)
	}
	if d.bad.Load() != 0 {
		t.Error("overlapping dials")
	}
	if err := c.Write(ctx, conn.Text, []byte("x")); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Write after Run: %v, want ErrNotConnected", err)
	}
}

// TestCloseWhileWaiting: Close(1000) while the server is down ends Run at
// once instead of after the backoff.
func TestCloseWhileWaiting(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	s := newServer(t)
	s.stop(false)
	c := &Client{URL: s.url(), MinDelay: time.Hour, MaxDelay: time.Hour}
	done := runAsync(ctx, c)
	for c.Stats().State != Waiting {
		time.Sleep(5 * time.Millisecond)
	}
	if err := c.Close(closecode.Normal, ""); err != nil {
		t.Fatal(err)
	}
	if err := waitRun(t, done); err != nil {
		t.Fatalf("Run: %v, want nil", err)
	}
	if err := c.Close(closecode.Abnormal, ""); !errors.Is(err, closecode.ErrInvalidCode) {
		t.Errorf("Close(1006): %v, want ErrInvalidCode", err)
	}
}

// TestContextStop: cancelling Run's context closes the connection with
// 1001, and Run returns the context's error; so it does while waiting.
func TestContextStop(t *testing.T) {
	s := newServer(t)
	ctx, cancel := context.WithCancel(testContext(t, 10*time.Second))
	c, msgs := newClient(s, &dialCounter{t: t})
	done := runAsync(ctx, c)
	sc := s.next(ctx)
	expectMsg(t, ctx, msgs, "welcome 1")
	if err := c.Run(ctx); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Run: %v, want ErrRunning", err)
	}
	cancel()
	if err := waitRun(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
	err := sc.end(t)
	var ce *conn.CloseError
	if !errors.As(err, &ce) || ce.Code != closecode.GoingAway || !ce.Clean {
		t.Fatalf("server saw %v, want a clean 1001", err)
	}

	// While waiting between attempts.
	s.stop(false)
	ctx, cancel = context.WithCancel(testContext(t, 10*time.Second))
	c = &Client{URL: s.url(), MinDelay: time.Hour, MaxDelay: time.Hour}
	done = runAsync(ctx, c)
	for c.Stats().State != Waiting {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := waitRun(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run while waiting: %v, want context.Canceled", err)
	}
}

// TestGiveUp: MaxAttempts failed dials in a row end Run with ErrGaveUp
// wrapping the last error, here the server's 503; an OnConnect error counts
// as a failure too.
func TestGiveUp(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	s := newServer(t)
	s.refuseNext(1000)
	c := &Client{URL: s.url(), MinDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, MaxAttempts: 4}
	err := c.Run(ctx)
	var se *handshake.StatusError
	if !errors.Is(err, ErrGaveUp) || !errors.As(err, &se) || se.StatusCode != 503 {
		t.Fatalf("Run: %v, want ErrGaveUp wrapping the 503", err)
	}
	if st := c.Stats(); st.Attempts != 4 || st.Failures != 4 || st.Connects != 0 {
		t.Errorf("stats %+v", st)
	}

	s.refuseNext(0)
	hookErr := errors.New("subscription refused")
	c = &Client{URL: s.url(), MinDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, MaxAttempts: 3,
		OnConnect: func(context.Context, *conn.Conn) error { return hookErr }}
	if err := c.Run(ctx); !errors.Is(err, ErrGaveUp) || !errors.Is(err, hookErr) {
		t.Fatalf("Run with a failing OnConnect: %v", err)
	}
}

// TestOnMessageError ends Run with the callback's error and closes the
// connection with 1011.
func TestOnMessageError(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	s := newServer(t)
	bad := errors.New("cannot decode")
	c, _ := newClient(s, &dialCounter{t: t})
	c.OnMessage = func(context.Context, conn.MessageType, []byte) error { return bad }
	done := runAsync(ctx, c)
	sc := s.next(ctx)
	if err := waitRun(t, done); !errors.Is(err, bad) {
		t.Fatalf("Run: %v", err)
	}
	err := sc.end(t)
	var ce *conn.CloseError
	if !errors.As(err, &ce) || ce.Code != closecode.InternalError {
		t.Fatalf("server saw %v, want 1011", err)
	}
}

// TestBackoffJitter drives the loop with a fake clock against a port that
// refuses every dial, and checks each wait: within [min, min(max, min·2ⁿ)],
// growing ceilings up to the cap, and spread out rather than fixed.
func TestBackoffJitter(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "ws://" + ln.Addr().String() + "/"
	ln.Close() // dials are refused from now on

	const lo, hi = 100 * time.Millisecond, 3 * time.Second
	var waits []time.Duration
	rng := rand.New(rand.NewPCG(1, 2))
	c := &Client{URL: url, MinDelay: lo, MaxDelay: hi, MaxAttempts: 12}
	c.random = rng.Float64
	c.sleep = func(ctx context.Context, d time.Duration, _ <-chan struct{}) error {
		waits = append(waits, d)
		return nil
	}
	if err := c.Run(testContext(t, 10*time.Second)); !errors.Is(err, ErrGaveUp) {
		t.Fatalf("Run: %v, want ErrGaveUp", err)
	}
	if len(waits) != 11 {
		t.Fatalf("%d waits for 12 attempts, want 11", len(waits))
	}
	distinct := map[time.Duration]bool{}
	for i, d := range waits {
		ceil := min(hi, lo<<(i+1))
		if d < lo || d > ceil {
			t.Errorf("wait %d: %v, want within [%v, %v]", i+1, d, lo, ceil)
		}
		distinct[d] = true
	}
	if len(distinct) < 10 {
		t.Errorf("waits %v: not spread out", waits)
	}
	t.Logf("waits %v", waits)

	// The real random source fills the whole range.
	c = &Client{MinDelay: lo, MaxDelay: hi}
	lowest, highest := hi, time.Duration(0)
	for range 1000 {
		d := c.backoff(3) // [100ms, 800ms]
		lowest, highest = min(lowest, d), max(highest, d)
	}
	if lowest < lo || highest > 8*lo || lowest > 2*lo || highest < 7*lo {
		t.Errorf("1000 waits after 3 failures span [%v, %v], want most of [%v, %v]", lowest, highest, lo, 8*lo)
	}
}

// TestAttemptSpread measures real attempt times against a refusing port:
// the gaps are never below the minimum and not all alike.
func TestAttemptSpread(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var times []time.Time
	var mu sync.Mutex
	c := &Client{URL: "ws://" + addr + "/", MinDelay: 5 * time.Millisecond, MaxDelay: 40 * time.Millisecond, MaxAttempts: 15,
		DialOptions: &conn.DialOptions{NetDial: func(ctx context.Context, network, a string) (net.Conn, error) {
			mu.Lock()
			times = append(times, time.Now())
			mu.Unlock()
			return (&net.Dialer{}).DialContext(ctx, network, a)
		}}}
	if err := c.Run(testContext(t, 10*time.Second)); !errors.Is(err, ErrGaveUp) {
		t.Fatalf("Run: %v", err)
	}
	var gaps []time.Duration
	for i := 1; i < len(times); i++ {
		g := times[i].Sub(times[i-1])
		if g < 5*time.Millisecond {
			t.Errorf("gap %d: %v, below the 5ms minimum", i, g)
		}
		gaps = append(gaps, g.Round(100*time.Microsecond))
	}
	lo, hi := gaps[len(gaps)-1], gaps[len(gaps)-1]
	for _, g := range gaps[3:] { // past the ramp-up, each wait is in [5ms, 40ms]
		lo, hi = min(lo, g), max(hi, g)
	}
	if hi-lo < 5*time.Millisecond {
		t.Errorf("gaps %v: no jitter", gaps)
	}
	t.Logf("gaps %v", gaps)
}
