// Package brokertest checks that a broker.Broker keeps the promises of the
// interface: positions, order, fan-out and history. An implementation's
// tests call Run with a way to make a fresh broker.
package brokertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/broker"
)

// NewFunc returns a fresh broker keeping historySize messages per topic, to
// be closed by t's cleanup.
type NewFunc func(t *testing.T, historySize int) broker.Broker

// PeerFunc returns a second node's broker on the same backend as b.
type PeerFunc func(t *testing.T, b broker.Broker) broker.Broker

// Run runs the conformance tests on brokers made by newBroker; with peer
// not nil (a broker of several nodes), it checks the fan-out between two
// nodes too.
func Run(t *testing.T, newBroker NewFunc, peer PeerFunc) {
	t.Run("PublishSubscribe", func(t *testing.T) { testPublishSubscribe(t, newBroker(t, 100)) })
	t.Run("History", func(t *testing.T) { testHistory(t, newBroker(t, 5)) })
	if peer != nil {
		t.Run("TwoNodes", func(t *testing.T) {
			b := newBroker(t, 100)
			testTwoNodes(t, b, peer(t, b))
		})
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Collector gathers the deliveries of a subscription.
type Collector struct {
	mu   sync.Mutex
	msgs []broker.Message
	cond chan struct{}
}

// NewCollector returns an empty Collector.
func NewCollector() *Collector { return &Collector{cond: make(chan struct{}, 1)} }

// Deliver is the deliver function of a subscription.
func (c *Collector) Deliver(d broker.Delivery) {
	if d.Resync {
		return
	}
	c.mu.Lock()
	c.msgs = append(c.msgs, d.Message)
	c.mu.Unlock()
	select {
	case c.cond <- struct{}{}:
	default:
	}
}

// Wait waits until n messages were delivered and returns them.
func (c *Collector) Wait(t *testing.T, n int) []broker.Message {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		if len(c.msgs) >= n {
			m := append([]broker.Message(nil), c.msgs...)
			c.mu.Unlock()
			return m
		}
		got := len(c.msgs)
		c.mu.Unlock()
		select {
		case <-c.cond:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%d messages delivered, want %d", got, n)
		}
	}
}

func publish(t *testing.T, b broker.Broker, topic string, n int, prefix string) []broker.Position {
	t.Helper()
	var ps []broker.Position
	for i := 0; i < n; i++ {
		p, err := b.Publish(ctxFor(t), topic, []byte(fmt.Sprintf("%s%d", prefix, i)))
		if err != nil {
			t.Fatalf("publish: %v", err)
		}
		ps = append(ps, p)
	}
	return ps
}

// checkStream checks that msgs are n messages prefixed prefix with
// contiguous positions after from.
func checkStream(t *testing.T, msgs []broker.Message, from broker.Position, prefix string, first, n int) {
	t.Helper()
	if len(msgs) != n {
		t.Fatalf("%d messages, want %d", len(msgs), n)
	}
	for i, m := range msgs {
		want := broker.Position{Epoch: from.Epoch, Offset: from.Offset + uint64(i) + 1}
		if m.Pos != want || string(m.Data) != fmt.Sprintf("%s%d", prefix, first+i) {
			t.Fatalf("message %d is %v %q, want %v %q", i, m.Pos, m.Data, want, fmt.Sprintf("%s%d", prefix, first+i))
		}
	}
}

func testPublishSubscribe(t *testing.T, b broker.Broker) {
	ctx := ctxFor(t)
	const topic = "pubsub"
	_, top, err := b.History(ctx, topic, broker.Position{})
	if err != nil {
		t.Fatal(err)
	}
	if top.Epoch == "" || top.Offset != 0 {
		t.Fatalf("a new topic is at %v, want an epoch and offset 0", top)
	}
	c := NewCollector()
	if err := b.Subscribe(ctx, topic, c.Deliver); err != nil {
		t.Fatal(err)
	}
	ps := publish(t, b, topic, 50, "m")
	for i, p := range ps {
		if p != (broker.Position{Epoch: top.Epoch, Offset: uint64(i) + 1}) {
			t.Fatalf("publish %d at %v", i, p)
		}
	}
	checkStream(t, c.Wait(t, 50), top, "m", 0, 50)
	if err := b.Unsubscribe(ctx, topic); err != nil {
		t.Fatal(err)
	}
	publish(t, b, topic, 1, "late")
	time.Sleep(50 * time.Millisecond)
	if got := len(c.Wait(t, 50)); got != 50 {
		t.Fatalf("%d messages after Unsubscribe, want 50", got)
	}
	if err := b.Err(); err != nil {
		t.Fatalf("Err: %v", err)
	}
}

func testHistory(t *testing.T, b broker.Broker) {
	ctx := ctxFor(t)
	const topic = "history"
	_, start, err := b.History(ctx, topic, broker.Position{})
	if err != nil {
		t.Fatal(err)
	}
	ps := publish(t, b, topic, 8, "h") // the history keeps the last 5
	msgs, top, err := b.History(ctx, topic, ps[4])
	if err != nil || top != ps[7] {
		t.Fatalf("History since %v: top %v, %v", ps[4], top, err)
	}
	checkStream(t, msgs, ps[4], "h", 5, 3)
	msgs, _, err = b.History(ctx, topic, ps[2]) // 5 missed: all there
	if err != nil {
		t.Fatal(err)
	}
	checkStream(t, msgs, ps[2], "h", 3, 5)
	if msgs, _, err := b.History(ctx, topic, ps[7]); err != nil || len(msgs) != 0 {
		t.Fatalf("History since the top: %d messages, %v", len(msgs), err)
	}
	for _, since := range []broker.Position{
		ps[1],                           // 6 missed, 5 kept
		start,                           // all 8 missed
		{Epoch: "other", Offset: 3},     // another epoch
		{Epoch: top.Epoch, Offset: 100}, // ahead of the stream
	} {
		msgs, top, err := b.History(ctx, topic, since)
		if !errors.Is(err, broker.ErrUnrecoverable) || len(msgs) != 0 || top != ps[7] {
			t.Errorf("History since %v: %d messages, top %v, %v; want ErrUnrecoverable, none, %v", since, len(msgs), top, err, ps[7])
		}
	}
}

func testTwoNodes(t *testing.T, a, b broker.Broker) {
	ctx := ctxFor(t)
	const topic = "nodes"
	ca, cb := NewCollector(), NewCollector()
	if err := a.Subscribe(ctx, topic, ca.Deliver); err != nil {
		t.Fatal(err)
	}
	if err := b.Subscribe(ctx, topic, cb.Deliver); err != nil {
		t.Fatal(err)
	}
	_, top, err := a.History(ctx, topic, broker.Position{})
	if err != nil {
		t.Fatal(err)
	}
	// Subscriptions may take effect asynchronously: wait for one message
	// to cross both ways before counting.
	for _, p := range []broker.Broker{a, b} {
		deadline := time.Now().Add(5 * time.Second)
		for {
			publish(t, p, topic, 1, "probe")
			ca.mu.Lock()
			na := len(ca.msgs)
			ca.mu.Unlock()
			cb.mu.Lock()
			nb := len(cb.msgs)
			cb.mu.Unlock()
			if na > 0 && nb > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no message crossed between the nodes")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	_, top, err = a.History(ctx, topic, broker.Position{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, p := range []broker.Broker{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if _, err := p.Publish(ctx, topic, []byte("x")); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// Both nodes see the same 40 positions after top, in order.
	for name, c := range map[string]*Collector{"a": ca, "b": cb} {
		all := c.Wait(t, 0)
		var after []broker.Message
		for _, m := range all {
			if m.Pos.Epoch == top.Epoch && m.Pos.Offset > top.Offset {
				after = append(after, m)
			}
		}
		for len(after) < 40 {
			time.Sleep(20 * time.Millisecond)
			after = after[:0]
			for _, m := range c.Wait(t, 0) {
				if m.Pos.Epoch == top.Epoch && m.Pos.Offset > top.Offset {
					after = append(after, m)
				}
			}
			if ctx.Err() != nil {
				t.Fatalf("node %s: %d messages, want 40", name, len(after))
			}
		}
		for i, m := range after {
			if m.Pos.Offset != top.Offset+uint64(i)+1 {
				t.Fatalf("node %s: message %d at %v, want offset %d", name, i, m.Pos, top.Offset+uint64(i)+1)
			}
		}
	}
}
