// Package reconnect keeps a WebSocket client connected: it dials with
// conn.Dial, hands every message to a callback, and when the connection ends
// or a dial fails, waits and dials again, until a policy, an attempt cap or
// its context says to stop.
//
// A Client runs one loop (Run), so there is at most one dial, and at most one
// connection, at a time. Between attempts it backs off exponentially with
// full jitter: after the n-th failure in a row it waits a uniformly random
// time between MinDelay and min(MaxDelay, MinDelay·2ⁿ), so that the clients
// a server deploy disconnected all at once do not come back all at once.
// The first reconnect after a connection that was up waits too (between
// MinDelay and 2·MinDelay), for the same reason.
//
// OnConnect runs after each successful dial, before any message is read:
// the place to subscribe again. The connection ends the loop when Stop says
// so; by default only a normal close (1000) that this side started with
// Client.Close does. Stats reports the state and the counts.
package reconnect

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
)

// Defaults for Client fields left zero.
const (
	DefaultMinDelay = 500 * time.Millisecond
	DefaultMaxDelay = 30 * time.Second
)

var (
	// ErrRunning is returned by Run when the client's loop is already
	// running: a client dials at most once at a time.
	ErrRunning = errors.New("reconnect: client already running")
	// ErrNotConnected is returned by Write while no connection is up.
	ErrNotConnected = errors.New("reconnect: not connected")
	// ErrGaveUp is matched (errors.Is) by Run's error after MaxAttempts
	// dials failed in a row; the error also wraps the last dial's error.
	ErrGaveUp = errors.New("reconnect: gave up")
)

// End describes how one connection ended, for Client.Stop.
type End struct {
	// Local reports a close this side started with Client.Close.
	Local bool
	// Code and Reason are the close code and reason: those given to
	// Client.Close when Local, else the peer's, or 1006 and a description
	// when the connection was lost.
	Code   closecode.Code
	Reason string
	// Err is the error with which the connection's reads ended, a
	// *conn.CloseError.
	Err error
}

// DefaultStop is the policy used when Client.Stop is nil: it ends the loop
// after a normal close (1000) started by this side, and reconnects after any
// other end.
func DefaultStop(e End) bool { return e.Local && e.Code == closecode.Normal }

// State is where a client's loop is.
type State int

// The states of a client.
const (
	Idle      State = iota // Run not called yet, or returned
	Dialing                // a dial (and OnConnect) in progress
	Connected              // a connection is up
	Waiting                // backing off before the next dial
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case Idle:
		return "idle"
	case Dialing:
		return "dialing"
	case Connected:
		return "connected"
	case Waiting:
		return "waiting"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Stats is a snapshot of a client's state and counts.
type Stats struct {
	State State
	// Attempts counts the dials started since the client was made.
	Attempts int
	// Failures counts the dials that failed in a row since the last
	// successful one.
	Failures int
	// Connects counts the connections that came up (dial and OnConnect
	// succeeded).
	Connects int
	// LastError is the last dial error or connection end, nil before any.
	LastError error
	// ConnectedSince is when the current connection came up; zero when
	// not connected.
	ConnectedSince time.Time
}

// Client is a WebSocket client that reconnects. Set its fields, then call
// Run; the fields must not change while Run runs. The zero value of each
// optional field means its default.
type Client struct {
	// URL is the ws:// or wss:// URL to dial.
	URL string
	// DialOptions are passed to conn.Dial.
	DialOptions *conn.DialOptions
	// OnConnect, if set, runs after each successful dial, before any
	// message is read: resubscribe here. It may write to c, and read from
	// it (to wait for an acknowledgement); the messages it reads are not
	// passed to OnMessage. An error closes the connection with 1011 and
	// counts as a failed attempt.
	OnConnect func(ctx context.Context, c *conn.Conn) error
	// OnMessage, if set, is called with each message, in order, from Run's
	// goroutine; msg is valid until it returns. An error closes the
	// connection with 1011 and ends Run with that error.
	OnMessage func(ctx context.Context, typ conn.MessageType, msg []byte) error
	// MinDelay and MaxDelay bound the backoff between attempts
	// (DefaultMinDelay, DefaultMaxDelay).
	MinDelay, MaxDelay time.Duration
	// MaxAttempts, if positive, is how many dials may fail in a row
	// before Run gives up with ErrGaveUp.
	MaxAttempts int
	// Stop decides, after a connection ended, whether Run returns instead
	// of reconnecting; nil means DefaultStop.
	Stop func(End) bool

	// Test hooks: the random source in [0,1) and the wait between
	// attempts.
	random func() float64
	sleep  func(ctx context.Context, d time.Duration, wake <-chan struct{}) error

	mu      sync.Mutex
	running bool
	stats   Stats
	cur     *conn.Conn
	local   *End          // a close asked by Close, until the loop takes it
	wake    chan struct{} // signalled by Close while the loop waits
}

// Run dials and keeps the client connected until ctx ends, Stop says to
// stop, or MaxAttempts dials failed in a row. It returns ctx's error when
// ctx ended (the connection, if any, is closed with 1001 first), nil after a
// close that this side started and Stop accepted, the connection's
// *conn.CloseError when Stop ended the loop on another end, an error
// matching ErrGaveUp after MaxAttempts failures, or OnMessage's error. Run
// returns ErrRunning if the client's loop is already running.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return ErrRunning
	}
	c.running = true
	c.local = nil
	c.wake = make(chan struct{}, 1)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.running = false
		c.stats.State = Idle
		c.stats.ConnectedSince = time.Time{}
		c.mu.Unlock()
	}()

	var buf []byte
	delayAfter := 0 // the failure count whose backoff precedes the next dial; 0 for none
	for {
		if delayAfter > 0 {
			c.setState(Waiting)
			if err := c.wait(ctx, c.backoff(delayAfter)); err != nil {
				return err
			}
			if e, ok := c.takeLocal(); ok {
				// Close was called while no connection was up.
				if c.stopper()(e) {
					return nil
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		cc, err := c.connect(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.mu.Lock()
			c.stats.Failures++
			c.stats.LastError = err
			failures := c.stats.Failures
			c.mu.Unlock()
			if c.MaxAttempts > 0 && failures >= c.MaxAttempts {
				return fmt.Errorf("%w after %d attempts: %w", ErrGaveUp, failures, err)
			}
			delayAfter = failures
			continue
		}
		end, err := c.serve(ctx, cc, &buf)
		if err != nil {
			return err
		}
		if c.stopper()(end) {
			if end.Local {
				return nil
			}
			return end.Err
		}
		delayAfter = 1
	}
}

// connect dials once and runs OnConnect; on success the connection is the
// client's current one.
func (c *Client) connect(ctx context.Context) (*conn.Conn, error) {
	c.mu.Lock()
	c.stats.State = Dialing
	c.stats.Attempts++
	c.mu.Unlock()
	cc, err := conn.Dial(ctx, c.URL, c.DialOptions)
	if err != nil {
		return nil, err
	}
	if c.OnConnect != nil {
		if err := c.OnConnect(ctx, cc); err != nil {
			cc.Close(closecode.InternalError, "on-connect failed")
			return nil, fmt.Errorf("reconnect: OnConnect: %w", err)
		}
	}
	c.mu.Lock()
	c.cur = cc
	c.stats.State = Connected
	c.stats.Failures = 0
	c.stats.Connects++
	c.stats.ConnectedSince = time.Now()
	pending := c.local
	c.mu.Unlock()
	if pending != nil {
		// Close was called during the dial: it applies to this connection.
		cc.Close(pending.Code, pending.Reason)
	}
	return cc, nil
}

// serve reads cc until it ends and reports how. A non-nil error ends Run.
func (c *Client) serve(ctx context.Context, cc *conn.Conn, buf *[]byte) (End, error) {
	stop := context.AfterFunc(ctx, func() { cc.Close(closecode.GoingAway, "going away") })
	defer stop()
	var rerr error
	for {
		typ, msg, err := cc.Read(context.Background(), (*buf)[:0])
		if err != nil {
			rerr = err
			break
		}
		*buf = msg
		if c.OnMessage != nil {
			if err := c.OnMessage(ctx, typ, msg); err != nil {
				cc.Close(closecode.InternalError, "")
				c.detach(err)
				return End{}, err
			}
		}
	}
	c.detach(rerr)
	if ctx.Err() != nil {
		cc.Close(closecode.GoingAway, "going away") // waits for the AfterFunc's close
		return End{}, ctx.Err()
	}
	if e, ok := c.takeLocal(); ok {
		e.Err = rerr
		return e, nil
	}
	e := End{Err: rerr, Code: closecode.Abnormal}
	var ce *conn.CloseError
	if errors.As(rerr, &ce) {
		e.Code, e.Reason = ce.Code, ce.Reason
	}
	return e, nil
}

// detach forgets the current connection, which ended with err.
func (c *Client) detach(err error) {
	c.mu.Lock()
	c.cur = nil
	c.stats.LastError = err
	c.stats.ConnectedSince = time.Time{}
	c.mu.Unlock()
}

func (c *Client) takeLocal() (End, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.local == nil {
		return End{}, false
	}
	e := *c.local
	c.local = nil
	select {
	case <-c.wake: // the signal of this close, if the loop did not take it
	default:
	}
	return e, true
}

func (c *Client) setState(s State) {
	c.mu.Lock()
	c.stats.State = s
	c.mu.Unlock()
}

func (c *Client) stopper() func(End) bool {
	if c.Stop != nil {
		return c.Stop
	}
	return DefaultStop
}

// backoff returns the wait after the n-th failure in a row (n ≥ 1):
// uniform in [min, min(max, min·2ⁿ)].
func (c *Client) backoff(n int) time.Duration {
	lo, hi := c.MinDelay, c.MaxDelay
	if lo <= 0 {
		lo = DefaultMinDelay
	}
	if hi <= 0 {
		hi = DefaultMaxDelay
	}
	if hi < lo {
		hi = lo
	}
	ceil := lo
	for i := 0; i < n && ceil < hi; i++ {
		ceil *= 2
	}
	ceil = min(ceil, hi)
	r := rand.Float64
	if c.random != nil {
		r = c.random
	}
	return lo + time.Duration(r()*float64(ceil-lo))
}

// wait sleeps d, ending early with ctx's error, or without error when Close
// is called.
func (c *Client) wait(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	wake := c.wake
	c.mu.Unlock()
	if c.sleep != nil {
		return c.sleep(ctx, d, wake)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close closes the current connection with code and reason and waits for
// its end, as conn.Conn.Close does; Stop then decides whether Run returns
// (with the default policy, it does after 1000) or reconnects (a way to
// force a fresh connection: Close with, say, 4000). Called while no
// connection is up, Close hands the same decision to the waiting loop at
// once and returns nil.
func (c *Client) Close(code closecode.Code, reason string) error {
	if _, err := closecode.Append(nil, code, reason); err != nil {
		return fmt.Errorf("reconnect: %w", err)
	}
	c.mu.Lock()
	c.local = &End{Local: true, Code: code, Reason: reason}
	cur := c.cur
	wake := c.wake
	c.mu.Unlock()
	if cur == nil {
		if wake != nil {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
		return nil
	}
	return cur.Close(code, reason)
}

// Write sends a message on the current connection, or returns
// ErrNotConnected while there is none.
func (c *Client) Write(ctx context.Context, typ conn.MessageType, p []byte) error {
	c.mu.Lock()
	cur := c.cur
	c.mu.Unlock()
	if cur == nil {
		return ErrNotConnected
	}
	return cur.Write(ctx, typ, p)
}

// Stats returns a snapshot of the client's state and counts.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}
