//go:build !js

package conn

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
)

func keepaliveOpts(interval, timeout time.Duration) *Options {
	o := shortOpts()
	o.PingInterval, o.PongTimeout = interval, timeout
	return o
}

func TestKeepaliveTearsDownSilentPeer(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Server, keepaliveOpts(30*time.Millisecond, 60*time.Millisecond))
	start := time.Now()
	res := readAsync(t, c)
	// The peer sees a ping, and does not answer.
	p.expectFrame(frame.OpPing)
	ce := wantCloseError(t, res().err, closecode.Abnormal, false)
	if !errors.Is(ce, ErrKeepaliveTimeout) {
		t.Fatalf("cause %v", ce.Err)
	}
	if d := time.Since(start); d < 80*time.Millisecond || d > 3*time.Second {
		t.Fatalf("torn down after %v, want about 90ms", d)
	}
	if c.State() != Closed {
		t.Fatalf("state %v", c.State())
	}
}

func TestKeepaliveAnswered(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Client, keepaliveOpts(20*time.Millisecond, time.Second))
	res := readAsync(t, c)
	// A raw peer answering three pings, over more than several timeouts.
	for i := 0; i < 3; i++ {
		_, payload := p.expectFrame(frame.OpPing)
		time.Sleep(30 * time.Millisecond)
		p.send(true, 0, frame.OpPong, payload)
	}
	p.send(true, 0, frame.OpText, []byte("alive"))
	if r := res(); r.err != nil || string(r.msg) != "alive" {
		// Pongs 30ms late are fine: the timeout is 1s.
		t.Fatalf("%q %v", r.msg, r.err)
	}
}

func TestKeepaliveLivePeers(t *testing.T) {
	checkGoroutines(t)
	o := keepaliveOpts(15*time.Millisecond, time.Second)
	srv, cli := pair(t, o, o)
	ctx := context.Background()
	echo := async(t, func() error {
		var buf []byte
		for {
			typ, msg, err := srv.Read(ctx, buf)
			if err != nil {
				return err
			}
			if err := srv.Write(ctx, typ, msg); err != nil {
				return err
			}
			buf = msg
		}
	})
	// Idle for many intervals; both sides only read.
	r := readAsync(t, cli)
	time.Sleep(250 * time.Millisecond)
	if err := cli.Write(ctx, Text, []byte("still up")); err != nil {
		t.Fatal(err)
	}
	if res := r(); res.err != nil || string(res.msg) != "still up" {
		t.Fatalf("%q %v", res.msg, res.err)
	}
	if err := cli.Close(closecode.Normal, ""); err != nil {
		t.Fatal(err)
	}
	wantCloseError(t, echo(), closecode.Normal, true)
}

func TestPing(t *testing.T) {
	checkGoroutines(t)
	srv, cli := pair(t, shortOpts(), shortOpts())
	readers := []func() readRes{readAsync(t, srv), readAsync(t, cli)}
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := cli.Ping(ctx); err != nil {
			t.Fatalf("client Ping: %v", err)
		}
		if err := srv.Ping(ctx); err != nil {
			t.Fatalf("server Ping: %v", err)
		}
	}
	srv.CloseNow()
	for _, r := range readers {
		r()
	}
}

func TestPingWaitsForItsPong(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Server, shortOpts())
	res := readAsync(t, c)
	pinged := make(chan error, 1)
	go func() { pinged <- c.Ping(context.Background()) }()
	_, payload := p.expectFrame(frame.OpPing)
	// A pong with another payload does not answer it.
	p.send(true, 0, frame.OpPong, []byte("something else"))
	select {
	case err := <-pinged:
		t.Fatalf("Ping returned %v before its pong", err)
	case <-time.After(30 * time.Millisecond):
	}
	p.send(true, 0, frame.OpPong, payload)
	select {
	case err := <-pinged:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Ping did not return after its pong")
	}
	// A ping nobody answers ends with its context, leaving the connection up.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Ping(ctx); err != context.DeadlineExceeded {
		t.Fatalf("unanswered Ping: %v", err)
	}
	if err := c.Ping(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Ping with an expired context: %v", err)
	}
	if c.State() != Open {
		t.Fatalf("state %v", c.State())
	}
	p.send(true, 0, frame.OpText, []byte("ok"))
	if r := res(); r.err != nil || string(r.msg) != "ok" {
		t.Fatalf("%q %v", r.msg, r.err)
	}
}

func TestPingEndsWithConnection(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Server, shortOpts())
	ping := async(t, func() error { return c.Ping(context.Background()) })
	p.expectFrame(frame.OpPing)
	c.CloseNow()
	if err := ping(); !errors.Is(err, ErrNotOpen) || !errors.Is(err, ErrClosedNow) {
		t.Fatalf("Ping: %v", err)
	}
}
