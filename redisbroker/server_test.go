package redisbroker_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hybi/ws/broker"
	"github.com/hybi/ws/redisbroker"
	"github.com/redis/go-redis/v9"
)

// redisServer is a redis-server process started by a test on a free
// loopback port, with a temporary directory.
type redisServer struct {
	t       *testing.T
	bin     string
	addr    string
	dir     string
	persist bool
	cmd     *exec.Cmd
	exited  chan struct{}
}

// startRedis starts redis-server, or skips the test when it is not
// installed (fails under HYBI_INTEROP_REQUIRE=1). With persist, it keeps an
// append-only file synced at every write, so that a restart keeps the
// streams.
func startRedis(t *testing.T, persist bool) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("HYBI_INTEROP_REQUIRE") == "1" {
			t.Fatalf("redis-server is required (HYBI_INTEROP_REQUIRE=1): %v", err)
		}
		t.Skipf("redis-server not installed: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &redisServer{t: t, bin: bin, addr: addr, dir: t.TempDir(), persist: persist}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *redisServer) start() {
	t := s.t
	t.Helper()
	_, port, _ := net.SplitHostPort(s.addr)
	args := []string{"--port", port, "--bind", "127.0.0.1", "--dir", s.dir, "--save", "", "--daemonize", "no", "--logfile", ""}
	if s.persist {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	s.cmd = exec.Command(s.bin, args...)
	s.exited = make(chan struct{})
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	c := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c.Ping(context.Background()).Err() == nil {
			return
		}
		select {
		case <-s.exited:
			t.Fatalf("redis-server exited")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server not answering on %s", s.addr)
		}
	}
}

// stop kills the server, as a crash would.
func (s *redisServer) stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// pid returns the server's process id.
func (s *redisServer) pid() int { return s.cmd.Process.Pid }

var prefixes atomic.Int64

// newPrefix returns a key prefix of its own for a test's broker.
func newPrefix() string { return "t" + strconv.FormatInt(prefixes.Add(1), 10) + ":" }

// newClient returns a client of s that gives up quickly, for tests.
func newClient(t *testing.T, s *redisServer) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.addr, DialTimeout: 500 * time.Millisecond,
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

var _ = fmt.Sprint
