// Command chat is examples/chat on Redis: the same server and page, with
// the flag -redis ADDR, so that several nodes behind a load balancer share
// one room. Every node gets every message; a page that reconnects, to its
// node or another, recovers what it missed from the room's Redis Stream.
//
//	go run ./cmd/chat -addr 127.0.0.1:8080 -redis 127.0.0.1:6379 &
//	go run ./cmd/chat -addr 127.0.0.1:8081 -redis 127.0.0.1:6379 &
//
// Without -redis it runs on the in-memory broker, as examples/chat does.
// GET /status is 503 while Redis cannot be reached; the node then keeps its
// connections, refuses new ones with 1013 (try again later), answers a
// message it cannot publish with an error, and catches up when Redis is
// back.
package main

import (
	"context"
	"flag"
	"log"
	"time"

	"github.com/hybi/ws/broker"
	"github.com/hybi/ws/examples/chat/chatserver"
	"github.com/hybi/ws/redisbroker"
	"github.com/redis/go-redis/v9"
)

func main() {
	addr := flag.String("redis", "", "address (host:port) of the Redis server shared by the nodes; empty: the in-memory broker of this process")
	history := flag.Int("history", broker.DefaultHistorySize, "messages kept for recovery")
	ttl := flag.Duration("history-ttl", broker.DefaultHistoryTTL, "how long a message is kept for recovery")
	chatserver.Main(func() (broker.Broker, string, error) {
		if *addr == "" {
			return nil, "", nil
		}
		c := redis.NewClient(&redis.Options{Addr: *addr, DialTimeout: time.Second, ReadTimeout: 2 * time.Second,
			WriteTimeout: 2 * time.Second, MaxRetries: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Ping(ctx).Err(); err != nil {
			log.Printf("redis %s: %v (the node starts anyway, and reports the broker down until it answers)", *addr, err)
		}
		b := redisbroker.New(c, &redisbroker.Options{HistorySize: *history, HistoryTTL: *ttl, OnState: func(err error) {
			if err != nil {
				log.Printf("broker down: %v", err)
			} else {
				log.Printf("broker up")
			}
		}})
		return b, "Redis broker at " + *addr, nil
	})
}
