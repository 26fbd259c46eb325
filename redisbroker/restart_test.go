package redisbroker_test

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
	"github.com/hybi/ws/redisbroker"
)

// client is a broadcast.Sender recording the positions and data it gets.
type client struct {
	mu     sync.Mutex
	from   broker.Position // of its joined message
	got    []broker.Message
	closed bool
}

func (c *client) WritePrepared(ctx context.Context, msgs ...*protocol.PreparedMessage) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range msgs {
		var e struct {
			Type, Epoch, Data string
			Offset            uint64
		}
		if err := json.Unmarshal(m.Data(), &e); err != nil {
			return err
		}
		p := broker.Position{Epoch: e.Epoch, Offset: e.Offset}
		if e.Type == "joined" {
			c.from = p
		} else {
			c.got = append(c.got, broker.Message{Pos: p, Data: []byte(e.Data)})
		}
	}
	return nil
}

func (c *client) Close(code closecode.Code, reason string) error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return nil
}

// last returns the position of the last message c got, or where it joined.
func (c *client) last() broker.Position {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.got) > 0 {
		return c.got[len(c.got)-1].Pos
	}
	return c.from
}

// TestRestartUnderLoad restarts redis-server (with an append-only file)
// while two nodes publish: each node reports the outage, and every client,
// rejoining by position when its node closed it, gets every message
// published, once each and in order.
func TestRestartUnderLoad(t *testing.T) {
	s := startRedis(t, true)
	prefix := newPrefix()
	var downs, ups [2]atomic.Int32
	var nodes [2]*broker.Node
	for i := range nodes {
		b := newBroker(t, s, redisbroker.Options{Prefix: prefix, HistorySize: 100000, OnState: func(err error) {
			if err != nil {
				downs[i].Add(1)
			} else {
				ups[i].Add(1)
			}
		}})
		nodes[i] = broker.NewNode(b, &broker.NodeOptions{Logf: t.Logf})
		t.Cleanup(nodes[i].Close)
	}
	ctx := context.Background()
	const perNode = 20
	type follower struct {
		node    int
		history []*client // successive connections, each rejoined from the last's position
	}
	var fs []*follower
	for i := 0; i < 2*perNode; i++ {
		f := &follower{node: i % 2, history: []*client{{}}}
		if _, err := nodes[f.node].Join(ctx, "room", f.history[0], broker.Position{}); err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}

	var pubMu sync.Mutex
	published := map[broker.Position]string{}
	var failed atomic.Int32
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
				data := fmt.Sprintf("n%d-%d", n, i)
				pctx, cancel := context.WithTimeout(ctx, time.Second)
				p, err := nodes[n].Publish(pctx, "room", []byte(data))
				cancel()
				if err != nil {
					failed.Add(1)
					continue
				}
				pubMu.Lock()
				published[p] = data
				pubMu.Unlock()
			}
		}()
	}
	// rejoin reconnects the followers their node closed, from their last
	// position, as the page does.
	rejoin := func() {
		for _, f := range fs {
			c := f.history[len(f.history)-1]
			c.mu.Lock()
			closed := c.closed
			c.mu.Unlock()
			if !closed {
				continue
			}
			nodes[f.node].Leave("room", c)
			nc := &client{}
			if r, err := nodes[f.node].Join(ctx, "room", nc, c.last()); err == nil {
				if r != broker.Recovered {
					t.Errorf("rejoin from %v: %v, want recovered", c.last(), r)
				}
				f.history = append(f.history, nc)
			}
		}
	}
	time.Sleep(300 * time.Millisecond)
	s.Stop()
	waitUntil(t, 5*time.Second, "both nodes to report the broker down", func() bool {
		return nodes[0].Err() != nil && nodes[1].Err() != nil
	})
	time.Sleep(300 * time.Millisecond)
	s.Restart()
	waitUntil(t, 10*time.Second, "both nodes to report the broker up", func() bool {
		return nodes[0].Err() == nil && nodes[1].Err() == nil
	})
	for end := time.Now().Add(500 * time.Millisecond); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		rejoin()
	}
	close(stop)
	wg.Wait()
	var top broker.Position
	for p := range published {
		if p.Offset > top.Offset {
			top = p
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, f := range fs {
		for {
			rejoin()
			if f.history[len(f.history)-1].last() == top || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		// The follower's stream, across its connections, is every offset
		// from where it first joined to top, once each, with the data
		// that was published there.
		want := f.history[0].from.Offset + 1
		for _, c := range f.history {
			c.mu.Lock()
			for _, m := range c.got {
				if m.Pos.Epoch != top.Epoch || m.Pos.Offset != want {
					t.Fatalf("follower on node %d: got %v, want offset %d", f.node, m.Pos, want)
				}
				if d, ok := published[m.Pos]; ok && d != string(m.Data) {
					t.Fatalf("at %v got %q, published %q", m.Pos, m.Data, d)
				}
				want++
			}
			c.mu.Unlock()
		}
		if want != top.Offset+1 {
			t.Fatalf("follower on node %d ends at offset %d, want %d", f.node, want-1, top.Offset)
		}
	}
	rejoins := 0
	for _, f := range fs {
		rejoins += len(f.history) - 1
	}
	t.Logf("%d messages published, %d publishes failed during the outage, %d rejoins by position; downs %d/%d, ups %d/%d",
		len(published), failed.Load(), rejoins, downs[0].Load(), downs[1].Load(), ups[0].Load(), ups[1].Load())
	for i := range nodes {
		if downs[i].Load() == 0 {
			t.Errorf("node %d never reported the broker down", i)
		}
	}
}
