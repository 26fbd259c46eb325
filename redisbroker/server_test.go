package redisbroker_test

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hybi/ws/broker"
	"github.com/hybi/ws/redisbroker"
	"github.com/hybi/ws/redisbroker/internal/redistest"
	"github.com/redis/go-redis/v9"
)

type redisServer = redistest.Server

func startRedis(t *testing.T, persist bool) *redisServer { return redistest.Start(t, persist) }

var prefixes atomic.Int64

// newPrefix returns a key prefix of its own for a test's broker.
func newPrefix() string { return "t" + strconv.FormatInt(prefixes.Add(1), 10) + ":" }

// newClient returns a client of s that gives up quickly, for tests.
func newClient(t *testing.T, s *redisServer) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, DialTimeout: 500 * time.Millisecond,
		ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func newBroker(t *testing.T, s *redisServer, opts redisbroker.Options) *redisbroker.Broker {
	b := redisbroker.New(newClient(t, s), &opts)
	t.Cleanup(func() { b.Close() })
	return b
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// mustPos returns a function that fails t on an error and returns p.
func mustPos(t *testing.T) func(p broker.Position, err error) broker.Position {
	return func(p broker.Position, err error) broker.Position {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
}
