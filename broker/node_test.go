package broker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hybi/ws/broker"
	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/protocol"
)

// sender is a broadcast.Sender recording what it is sent, as JSON.
type sender struct {
	delay  time.Duration
	mu     sync.Mutex
	got    []envelope
	closed closecode.Code
}

type envelope struct {
	Type     string `json:"type"`
	Epoch    string `json:"epoch"`
	Offset   uint64 `json:"offset"`
	Data     string `json:"data"`
	Recovery string `json:"recovery"`
}

func (s *sender) WritePrepared(ctx context.Context, msgs ...*protocol.PreparedMessage) error {
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		var e envelope
		if err := json.Unmarshal(m.Data(), &e); err != nil {
			return err
		}
		s.got = append(s.got, e)
	}
	return nil
}

func (s *sender) Close(code closecode.Code, reason string) error {
	s.mu.Lock()
	s.closed = code
	s.mu.Unlock()
	return nil
}

func (s *sender) snapshot() []envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]envelope(nil), s.got...)
}

// waitFor waits until s got n messages or more.
func (s *sender) waitFor(t *testing.T, n int) []envelope {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := s.snapshot()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d messages, want %d: %+v", len(got), n, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkContiguous checks that got is a joined message then messages with
// the offsets following its, up to last.
func checkContiguous(t *testing.T, got []envelope, recovery string, last uint64) {
	t.Helper()
	if len(got) == 0 || got[0].Type != "joined" || got[0].Recovery != recovery {
		t.Fatalf("first message %+v, want joined %s", got, recovery)
	}
	off := got[0].Offset
	for _, e := range got[1:] {
		if e.Type != "message" || e.Epoch != got[0].Epoch || e.Offset != off+1 || e.Data != fmt.Sprint("m", e.Offset) {
			t.Fatalf("after offset %d got %+v", off, e)
		}
		off = e.Offset
	}
	if off != last {
		t.Fatalf("last offset %d, want %d", off, last)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func pub(t *testing.T, n *broker.Node, topic string, count int) broker.Position {
	t.Helper()
	var p broker.Position
	for i := 0; i < count; i++ {
		var err error
		// Data is "m" and the offset the message will get, for the
		// checks; publishes are serialized by the tests that use it.
		p, err = n.Publish(ctx(t), topic, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// offsetBroker wraps Memory so that each message's data is "m<offset>".
type offsetBroker struct {
	*broker.Memory
	mu         sync.Mutex
	subscribes atomic.Int32
	drop       atomic.Bool // lose deliveries, as during an outage
	deliver    func(broker.Delivery)
}

func (b *offsetBroker) Publish(ctx context.Context, topic string, _ []byte) (broker.Position, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, top, err := b.Memory.History(ctx, topic, broker.Position{})
	if err != nil {
		return top, err
	}
	return b.Memory.Publish(ctx, topic, []byte(fmt.Sprint("m", top.Offset+1)))
}

func (b *offsetBroker) Subscribe(ctx context.Context, topic string, deliver func(broker.Delivery)) error {
	b.subscribes.Add(1)
	b.deliver = deliver
	return b.Memory.Subscribe(ctx, topic, func(d broker.Delivery) {
		if !b.drop.Load() {
			deliver(d)
		}
	})
}

func newNode(size int) (*broker.Node, *offsetBroker) {
	b := &offsetBroker{Memory: broker.NewMemory(&broker.MemoryOptions{HistorySize: size})}
	return broker.NewNode(b, nil), b
}

func TestNodeFreshRecoveredLost(t *testing.T) {
	n, _ := newNode(5)
	defer n.Close()
	pub(t, n, "t", 8)
	fresh, rec, lost := &sender{}, &sender{}, &sender{}
	if r, err := n.Join(ctx(t), "t", fresh, broker.Position{}); err != nil || r != broker.Fresh {
		t.Fatalf("fresh join: %v %v", r, err)
	}
	pub(t, n, "t", 1) // offset 9
	got := fresh.waitFor(t, 2)
	checkContiguous(t, got, "fresh", 9)
	epoch := got[0].Epoch

	if r, err := n.Join(ctx(t), "t", rec, broker.Position{Epoch: epoch, Offset: 5}); err != nil || r != broker.Recovered {
		t.Fatalf("recovering join: %v %v", r, err)
	}
	if r, err := n.Join(ctx(t), "t", lost, broker.Position{Epoch: epoch, Offset: 2}); err != nil || r != broker.Lost {
		t.Fatalf("join after a trimmed position: %v %v", r, err)
	}
	pub(t, n, "t", 2) // 10, 11
	checkContiguous(t, rec.waitFor(t, 7), "recovered", 11)
	checkContiguous(t, lost.waitFor(t, 3), "lost", 11)
	checkContiguous(t, fresh.waitFor(t, 4), "fresh", 11)
	if got := n.Len("t"); got != 3 {
		t.Fatalf("Len %d, want 3", got)
	}
}

// TestNodeJoinUnderLoad joins connections with positions while messages
// are published: each gets every message after its position exactly once,
// in order.
func TestNodeJoinUnderLoad(t *testing.T) {
	n, _ := newNode(10000)
	defer n.Close()
	last := pub(t, n, "t", 100)
	stop := make(chan struct{})
	published := make(chan broker.Position, 1)
	go func() {
		var p broker.Position
		for {
			select {
			case <-stop:
				published <- p
				return
			default:
			}
			var err error
			if p, err = n.Publish(context.Background(), "t", nil); err != nil {
				t.Error(err)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	var senders []*sender
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		s := &sender{delay: time.Duration(i%3) * time.Millisecond}
		senders = append(senders, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			since := broker.Position{}
			if i%2 == 0 {
				since = broker.Position{Epoch: last.Epoch, Offset: uint64(1 + i*3)}
			}
			if _, err := n.Join(context.Background(), "t", s, since); err != nil {
				t.Error(err)
			}
		}()
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	time.Sleep(20 * time.Millisecond)
	close(stop)
	end := <-published
	for i, s := range senders {
		want := "fresh"
		if i%2 == 0 {
			want = "recovered"
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := s.snapshot()
			if len(got) > 0 && got[len(got)-1].Offset == end.Offset || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		got := s.snapshot()
		checkContiguous(t, got, want, end.Offset)
		if i%2 == 0 && got[0].Offset != uint64(1+i*3) {
			t.Fatalf("sender %d recovered from %d", i, got[0].Offset)
		}
	}
}

// TestNodeSubscribesOnce: a topic is subscribed once however many follow
// it, and unsubscribed after the last leaves.
func TestNodeSubscribesOnce(t *testing.T) {
	n, b := newNode(10)
	defer n.Close()
	var ss []*sender
	for i := 0; i < 5; i++ {
		s := &sender{}
		ss = append(ss, s)
		if _, err := n.Join(ctx(t), "t", s, broker.Position{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := b.subscribes.Load(); got != 1 {
		t.Fatalf("%d subscriptions for 5 connections, want 1", got)
	}
	for _, s := range ss {
		n.Leave("t", s)
	}
	if got := n.Len("t"); got != 0 {
		t.Fatalf("Len %d after everyone left", got)
	}
	pub(t, n, "t", 1)
	if got := ss[0].snapshot(); len(got) != 1 {
		t.Fatalf("got %+v after leaving", got)
	}
	if _, err := n.Join(ctx(t), "t", &sender{}, broker.Position{}); err != nil {
		t.Fatal(err)
	}
	if got := b.subscribes.Load(); got != 2 {
		t.Fatalf("%d subscriptions after rejoining, want 2", got)
	}
}

// TestNodeFillsHole: messages lost on the way to the node (an outage) are
// taken from the history when the broker says it resubscribed, or when a
// later message shows the hole.
func TestNodeFillsHole(t *testing.T) {
	for _, how := range []string{"resync", "next message"} {
		t.Run(how, func(t *testing.T) {
			n, b := newNode(100)
			defer n.Close()
			s := &sender{}
			if _, err := n.Join(ctx(t), "t", s, broker.Position{}); err != nil {
				t.Fatal(err)
			}
			pub(t, n, "t", 3)
			b.drop.Store(true)
			pub(t, n, "t", 4)
			b.drop.Store(false)
			if how == "resync" {
				b.deliver(broker.Delivery{Resync: true})
				checkContiguous(t, s.waitFor(t, 8), "fresh", 7)
			}
			pub(t, n, "t", 2)
			checkContiguous(t, s.waitFor(t, 10), "fresh", 9)
		})
	}
}

// TestNodeLostStream: when the history cannot fill the hole, the topic's
// connections are closed with 1012 to recover by position.
func TestNodeLostStream(t *testing.T) {
	n, b := newNode(2)
	defer n.Close()
	s := &sender{}
	if _, err := n.Join(ctx(t), "t", s, broker.Position{}); err != nil {
		t.Fatal(err)
	}
	b.drop.Store(true)
	pub(t, n, "t", 5)
	b.drop.Store(false)
	pub(t, n, "t", 1)
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		code := s.closed
		s.mu.Unlock()
		if code == closecode.ServiceRestart {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("closed with %v, want 1012", code)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
