// Package redistest runs a real redis-server for tests: on a free loopback
// port, with a temporary directory, stopped by the test's cleanup.
package redistest

import (
	"context"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server process started by a test.
type Server struct {
	Addr    string
	t       testing.TB
	bin     string
	dir     string
	persist bool
	cmd     *exec.Cmd
	exited  chan struct{}
}

// Start starts redis-server, or skips the test when it is not installed
// (fails under HYBI_INTEROP_REQUIRE=1). With persist, it keeps an
// append-only file synced at every write, so that a restart keeps the data.
func Start(t testing.TB, persist bool) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("HYBI_INTEROP_REQUIRE") == "1" {
			t.Fatalf("redis-server is required (HYBI_INTEROP_REQUIRE=1): %v", err)
		}
		t.Skipf("redis-server not installed (apt-get install -y redis-server): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Server{Addr: addr, t: t, bin: bin, dir: t.TempDir(), persist: persist}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// Restart starts the server again after Stop, on the same port and
// directory.
func (s *Server) Restart() {
	t := s.t
	t.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
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
	cmd, exited := s.cmd, s.exited
	go func() { cmd.Wait(); close(exited) }()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c.Ping(context.Background()).Err() == nil {
			return
		}
		select {
		case <-exited:
			t.Fatalf("redis-server exited")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server not answering on %s", s.Addr)
		}
	}
}

// Stop kills the server, as a crash would.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Pid returns the server's process id, 0 when stopped.
func (s *Server) Pid() int {
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}
