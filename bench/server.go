package bench

import (
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// Server is a running echo server of one library. Every connection it
// upgrades echoes each message back with the same type until the peer goes
// away.
type Server struct {
	// Addr is the host:port the server listens on.
	Addr string

	ln       net.Listener
	shutdown func() // stops accepting, beyond closing ln

	mu      sync.Mutex
	closed  bool
	closers map[any]func()
	wg      sync.WaitGroup
	open    atomic.Int64
}

// Open returns the number of upgraded connections that have not ended yet.
func (s *Server) Open() int64 { return s.open.Load() }

// track registers an upgraded connection under key, with the function that
// tears it down. It reports false when the server is closing; the caller
// must then drop the connection.
func (s *Server) track(key any, closeFn func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.closers == nil {
		s.closers = make(map[any]func())
	}
	s.closers[key] = closeFn
	s.wg.Add(1)
	s.open.Add(1)
	return true
}

// untrack ends what track began.
func (s *Server) untrack(key any) {
	s.mu.Lock()
	delete(s.closers, key)
	s.mu.Unlock()
	s.open.Add(-1)
	s.wg.Done()
}

// Close stops the server, tears its connections down and waits for their
// goroutines to end.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	fns := make([]func(), 0, len(s.closers))
	for _, f := range s.closers {
		fns = append(fns, f)
	}
	s.mu.Unlock()
	s.ln.Close()
	if s.shutdown != nil {
		s.shutdown()
	}
	for _, f := range fns {
		f()
	}
	s.wg.Wait()
}

// listen opens a loopback listener.
func listen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// quietLog discards net/http's server log.
var quietLog = log.New(io.Discard, "", 0)

// startHTTP serves h with net/http, the way gorilla, coder and hybi expect
// to be used. h runs the connection's echo loop in the handler goroutine.
func startHTTP(h func(s *Server, w http.ResponseWriter, r *http.Request)) (*Server, error) {
	ln, err := listen()
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln}
	hs := &http.Server{
		Handler:  http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(s, w, r) }),
		ErrorLog: quietLog,
	}
	s.shutdown = func() { hs.Close() }
	go hs.Serve(ln)
	return s, nil
}

// startRaw accepts TCP connections itself and runs handle for each in its
// own goroutine, the way gobwas/ws is used for its zero-copy upgrade. handle
// owns nc and must call s.track itself once the connection is upgraded.
func startRaw(handle func(s *Server, nc net.Conn)) (*Server, error) {
	ln, err := listen()
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln}
	var accepting sync.WaitGroup
	accepting.Add(1)
	s.shutdown = accepting.Wait
	go func() {
		defer accepting.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(s, nc)
		}
	}()
	return s, nil
}
