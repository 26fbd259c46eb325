package redisbroker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hybi/ws/broker"
	"github.com/hybi/ws/broker/brokertest"
	"github.com/hybi/ws/redisbroker"
)

func TestConformance(t *testing.T) {
	s := startRedis(t, false)
	prefixOf := map[broker.Broker]string{}
	brokertest.Run(t, func(t *testing.T, size int) broker.Broker {
		p := newPrefix()
		b := newBroker(t, s, redisbroker.Options{Prefix: p, HistorySize: size})
		prefixOf[b] = p
		return b
	}, func(t *testing.T, b broker.Broker) broker.Broker {
		return newBroker(t, s, redisbroker.Options{Prefix: prefixOf[b], HistorySize: 100})
	})
}

// TestHistoryAge: messages older than HistoryTTL are not recovered.
func TestHistoryAge(t *testing.T) {
	s := startRedis(t, false)
	b := newBroker(t, s, redisbroker.Options{Prefix: newPrefix(), HistoryTTL: 300 * time.Millisecond})
	ctx := context.Background()
	must := mustPos(t)
	p1 := must(b.Publish(ctx, "t", []byte("old")))
	time.Sleep(400 * time.Millisecond)
	p2 := must(b.Publish(ctx, "t", []byte("new")))
	if _, _, err := b.History(ctx, "t", broker.Position{Epoch: p1.Epoch, Offset: p1.Offset - 1}); !errors.Is(err, broker.ErrUnrecoverable) {
		t.Fatalf("history including an expired message: %v, want ErrUnrecoverable", err)
	}
	msgs, _, err := b.History(ctx, "t", p1)
	if err != nil || len(msgs) != 1 || msgs[0].Pos != p2 || string(msgs[0].Data) != "new" {
		t.Fatalf("history since the expired message: %v %v", msgs, err)
	}
}

// TestEpochChangesWhenRedisLosesData: a Redis restarted without
// persistence has lost the streams: the epoch changes and old positions
// are not recoverable.
func TestEpochChangesWhenRedisLosesData(t *testing.T) {
	s := startRedis(t, false)
	b := newBroker(t, s, redisbroker.Options{Prefix: newPrefix()})
	ctx := context.Background()
	must := mustPos(t)
	must(b.Publish(ctx, "t", []byte("a")))
	p := must(b.Publish(ctx, "t", []byte("b")))
	s.Stop()
	if _, err := b.Publish(ctx, "t", []byte("c")); !errors.Is(err, broker.ErrDown) {
		t.Fatalf("publish with redis stopped: %v, want ErrDown", err)
	}
	if err := b.Err(); !errors.Is(err, broker.ErrDown) {
		t.Fatalf("Err with redis stopped: %v", err)
	}
	s.Restart()
	waitUntil(t, 10*time.Second, "the broker up again", func() bool { return b.Err() == nil })
	q := must(b.Publish(ctx, "t", []byte("d")))
	if q.Epoch == p.Epoch || q.Offset != 1 {
		t.Fatalf("after losing the data the position is %v (was %v); want a new epoch from 1", q, p)
	}
	if _, _, err := b.History(ctx, "t", p); !errors.Is(err, broker.ErrUnrecoverable) {
		t.Fatalf("history since a position of the lost epoch: %v", err)
	}
}
