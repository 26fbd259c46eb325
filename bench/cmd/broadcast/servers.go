package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hybi/ws/broadcast"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
	"github.com/lxzan/gws"
)

// server is one library's broadcasting server.
type server interface {
	addr() string
	wait(n int, d time.Duration) error // until n clients are upgraded
	broadcast(p []byte) error          // sends p to every client
	note() string                      // anything to report about the run
	close()
}

var allLibs = []string{"hybi-hub", "hybi-prepared", "hybi-write", "gorilla", "gws"}

var servers = map[string]func(deflate bool) (server, error){
	"hybi-hub":      func(d bool) (server, error) { return startHybi(d, modeHub) },
	"hybi-prepared": func(d bool) (server, error) { return startHybi(d, modePrepared) },
	"hybi-write":    func(d bool) (server, error) { return startHybi(d, modeWrite) },
	"gorilla":       startGorilla,
	"gws":           func(d bool) (server, error) { return startGWS(d, 1) },
	// gws with its default compression threshold (512 bytes), as
	// configured out of the box; not in allLibs.
	"gws-default": func(d bool) (server, error) { return startGWS(d, 0) },
}

// base holds what every server shares: the listener, and the connections
// upgraded so far.
type base struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []any
	cond  *sync.Cond
}

func listen() (*base, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &base{ln: ln}
	b.cond = sync.NewCond(&b.mu)
	return b, nil
}

func (b *base) addr() string { return b.ln.Addr().String() }

func (b *base) add(c any) {
	b.mu.Lock()
	b.conns = append(b.conns, c)
	b.cond.Broadcast()
	b.mu.Unlock()
}

func (b *base) wait(n int, d time.Duration) error {
	deadline := time.Now().Add(d)
	t := time.AfterFunc(d, func() { b.mu.Lock(); b.cond.Broadcast(); b.mu.Unlock() })
	defer t.Stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.conns) < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d clients upgraded", len(b.conns), n)
		}
		b.cond.Wait()
	}
	return nil
}

func (b *base) note() string { return "" }

// snapshot returns the connections.
func (b *base) snapshot() []any {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.conns
}

// ---- hybi -------------------------------------------------------------

type hybiMode int

const (
	modeHub      hybiMode = iota // broadcast.Hub
	modePrepared                 // WritePrepared on each connection in turn
	modeWrite                    // Write on each connection in turn
)

type hybiServer struct {
	*base
	mode  hybiMode
	hub   *broadcast.Hub
	hs    *http.Server
	conns []*conn.Conn
}

func startHybi(compress bool, mode hybiMode) (server, error) {
	b, err := listen()
	if err != nil {
		return nil, err
	}
	s := &hybiServer{base: b, mode: mode, hub: broadcast.New(&broadcast.Options{QueueSize: 512})}
	opts := &conn.AcceptOptions{Options: conn.Options{PingInterval: -1}}
	if compress {
		opts.Compression = &deflate.Config{}
	}
	s.hs = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		if mode == modeHub {
			s.hub.Add(c)
			defer s.hub.Remove(c)
		}
		s.add(c)
		for {
			if _, _, err := c.Read(context.Background(), nil); err != nil {
				return
			}
		}
	})}
	go s.hs.Serve(b.ln)
	return s, nil
}

func (s *hybiServer) broadcast(p []byte) error {
	if s.conns == nil {
		for _, c := range s.snapshot() {
			s.conns = append(s.conns, c.(*conn.Conn))
		}
	}
	ctx := context.Background()
	switch s.mode {
	case modeHub:
		m, err := conn.NewPreparedMessage(conn.Text, p)
		if err != nil {
			return err
		}
		s.hub.Broadcast(m)
	case modePrepared:
		m, err := conn.NewPreparedMessage(conn.Text, p)
		if err != nil {
			return err
		}
		for _, c := range s.conns {
			if err := c.WritePrepared(ctx, m); err != nil {
				return err
			}
		}
	case modeWrite:
		for _, c := range s.conns {
			if err := c.Write(ctx, conn.Text, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *hybiServer) note() string {
	if s.mode != modeHub {
		return ""
	}
	st := s.hub.Stats()
	if st.Dropped != 0 || st.ClosedSlow != 0 {
		return fmt.Sprintf("DROPPED %d CLOSED %d", st.Dropped, st.ClosedSlow)
	}
	return ""
}

func (s *hybiServer) close() {
	s.hub.Close()
	s.hs.Close() // closes the listener
	for _, c := range s.conns {
		c.CloseNow()
	}
}

// ---- gorilla ----------------------------------------------------------

type gorillaServer struct {
	*base
	hs    *http.Server
	conns []*websocket.Conn
}

func startGorilla(compress bool) (server, error) {
	b, err := listen()
	if err != nil {
		return nil, err
	}
	s := &gorillaServer{base: b}
	up := &websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }, EnableCompression: compress}
	s.hs = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		s.add(c)
		for {
			if _, _, err := c.NextReader(); err != nil {
				return
			}
		}
	})}
	go s.hs.Serve(b.ln)
	return s, nil
}

func (s *gorillaServer) broadcast(p []byte) error {
	if s.conns == nil {
		for _, c := range s.snapshot() {
			s.conns = append(s.conns, c.(*websocket.Conn))
		}
	}
	m, err := websocket.NewPreparedMessage(websocket.TextMessage, p)
	if err != nil {
		return err
	}
	for _, c := range s.conns {
		if err := c.WritePreparedMessage(m); err != nil {
			return err
		}
	}
	return nil
}

func (s *gorillaServer) close() {
	s.hs.Close()
	for _, c := range s.conns {
		c.NetConn().Close()
	}
}

// ---- gws --------------------------------------------------------------

type gwsServer struct {
	*base
	done  chan struct{}
	conns []*gws.Conn
}

type gwsHandler struct {
	gws.BuiltinEventHandler
	s *gwsServer
}

func (h *gwsHandler) OnOpen(c *gws.Conn) { h.s.add(c) }

// gwsOption is gws's server option: compression without context takeover,
// of every message (gws's default threshold, 512 bytes, would leave the
// 256-byte messages uncompressed).
func gwsOption(compress bool, threshold int) *gws.ServerOption {
	if !compress {
		return &gws.ServerOption{}
	}
	return &gws.ServerOption{PermessageDeflate: gws.PermessageDeflate{Enabled: true, Threshold: threshold}}
}

func startGWS(compress bool, threshold int) (server, error) {
	b, err := listen()
	if err != nil {
		return nil, err
	}
	s := &gwsServer{base: b, done: make(chan struct{})}
	srv := gws.NewServer(&gwsHandler{s: s}, gwsOption(compress, threshold))
	srv.OnError = func(net.Conn, error) {}
	go srv.RunListener(exitListener{b.ln, s.done})
	return s, nil
}

func (s *gwsServer) broadcast(p []byte) error {
	if s.conns == nil {
		for _, c := range s.snapshot() {
			s.conns = append(s.conns, c.(*gws.Conn))
		}
	}
	b := gws.NewBroadcaster(gws.OpcodeText, p)
	for _, c := range s.conns {
		if err := b.Broadcast(c); err != nil {
			return err
		}
	}
	return b.Close()
}

func (s *gwsServer) close() {
	s.ln.Close()
	<-s.done
	for _, c := range s.conns {
		c.NetConn().Close()
	}
}

// exitListener ends gws.Server.RunListener, which retries failed Accepts
// forever: once the listener is closed, Accept ends the goroutine.
type exitListener struct {
	net.Listener
	done chan struct{}
}

func (l exitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		close(l.done)
		runtime.Goexit()
	}
	return c, err
}
