package evented

import (
	"context"
	"errors"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/handshake"
	"github.com/hybi/ws/protocol"
)

// MessageType is the type of a data message: Text or Binary.
type MessageType = protocol.MessageType

// Message types, numbered as their opcodes.
const (
	Text   = protocol.Text
	Binary = protocol.Binary
)

// CloseError reports how a connection ended, as conn reports it: the close
// code and reason, whether the close handshake completed, and the cause of
// an end that was not clean (a *closecode.Error for a fault of the peer,
// an I/O error, ErrKeepaliveTimeout, ErrCloseTimeout or ErrShutdown).
type CloseError = protocol.CloseError

// Defaults for Server fields left zero.
const (
	// DefaultMaxQueuedBytes bounds the bytes queued for a connection's peer.
	DefaultMaxQueuedBytes = 1 << 20
)

var (
	// ErrQueueFull is returned by Conn.Write for a message that does not
	// fit in the connection's output queue (Server.MaxQueuedBytes): the
	// peer reads more slowly than the server writes.
	ErrQueueFull = errors.New("evented: output queue full")
	// ErrServerClosed is returned by Serve and ServeConn once Shutdown or
	// Close was called.
	ErrServerClosed = errors.New("evented: server closed")
	// ErrShutdown is the cause of a connection torn down by Close, or by
	// Shutdown when its context ended before the close handshake did.
	ErrShutdown = errors.New("evented: connection torn down by the server's shutdown")
	// ErrNotOpen is matched (errors.Is) by the error of a write on a
	// connection that is not open; it unwraps to the *CloseError once the
	// connection ended.
	ErrNotOpen = protocol.ErrNotOpen
	// ErrKeepaliveTimeout is the cause of a connection torn down because
	// the peer did not answer a keepalive ping in time.
	ErrKeepaliveTimeout = protocol.ErrKeepaliveTimeout
	// ErrCloseTimeout is the cause of a connection torn down because the
	// close handshake did not complete in time.
	ErrCloseTimeout = protocol.ErrCloseTimeout
)

// Server serves WebSocket connections with callbacks. Set its fields before
// the first call to Serve, ServeConn or ServeHTTP and do not change them
// afterwards; the zero value of every field but the callbacks means a
// default. See the package documentation.
type Server struct {
	// OnOpen is called once the opening handshake completed, before any
	// OnMessage of the connection. Conn.Header is valid only during it.
	OnOpen func(c *Conn)
	// OnMessage is called with each complete message. data is valid only
	// until OnMessage returns.
	OnMessage func(c *Conn, typ MessageType, data []byte)
	// OnClose is called once the connection ended, after its last
	// OnMessage, with how it ended.
	OnClose func(c *Conn, err *CloseError)

	// Subprotocols lists the subprotocols the server speaks, in its order
	// of preference; RequireSubprotocol refuses clients that offer none.
	Subprotocols       []string
	RequireSubprotocol bool
	// OriginPatterns lists extra Origin hosts allowed besides the
	// request's own host; InsecureSkipOriginCheck turns the check off.
	// See handshake.Upgrader.
	OriginPatterns          []string
	InsecureSkipOriginCheck bool
	// Header holds extra response headers for the opening handshake.
	Header http.Header
	// HandshakeTimeout bounds the opening handshake of a connection handed
	// over before it (Serve, ServeConn): 0 means
	// handshake.DefaultHandshakeTimeout. MaxRequestBytes bounds its request
	// head: 0 means handshake.DefaultMaxRequestBytes.
	HandshakeTimeout time.Duration
	MaxRequestBytes  int

	// ReadLimit, MaxFrameSize, PingInterval, PongTimeout, CloseTimeout
	// and Compression mean what they mean in conn.Options, with the same
	// defaults.
	ReadLimit    int64
	MaxFrameSize int
	PingInterval time.Duration
	PongTimeout  time.Duration
	CloseTimeout time.Duration
	Compression  *deflate.Config

	// MaxQueuedBytes bounds each connection's output queue: a message is
	// refused with ErrQueueFull when the bytes queued plus its length would
	// exceed it. 0 means DefaultMaxQueuedBytes. Control frames (pongs,
	// pings, close frames) are never refused.
	MaxQueuedBytes int
	// CloseOnQueueFull makes a refused message also close the connection
	// with 1008 (policy violation), for servers that would rather drop a
	// peer that stopped reading than its messages.
	CloseOnQueueFull bool
	// Workers is the number of goroutines running the callbacks: 0 means
	// 4 × GOMAXPROCS. Loops is the number of event loops: 0 means
	// GOMAXPROCS.
	Workers int
	Loops   int

	initOnce sync.Once
	initErr  error
	loops    []*loop
	next     atomic.Uint32 // round robin over loops
	workers  workers
	cfg      protocol.Config
	upgrader handshake.Upgrader
	maxQueue int

	mu        sync.Mutex
	closing   bool
	listeners map[net.Listener]struct{}
	active    sync.WaitGroup // connections not yet reported closed
	running   sync.WaitGroup // loop goroutines
}

func (s *Server) init() error {
	s.initOnce.Do(func() {
		s.cfg = protocol.Config{
			Role:         serverRole,
			ReadLimit:    s.ReadLimit,
			MaxFrameSize: s.MaxFrameSize,
			Compression:  s.Compression,
			PingInterval: s.PingInterval,
			PongTimeout:  s.PongTimeout,
			CloseTimeout: s.CloseTimeout,
		}
		if s.cfg.MaxFrameSize < 0 {
			s.cfg.MaxFrameSize = 0
		}
		if s.cfg.PongTimeout < 0 {
			s.cfg.PongTimeout = 0
		}
		if s.cfg.CloseTimeout < 0 {
			s.cfg.CloseTimeout = 0
		}
		if _, err := protocol.New(s.cfg, time.Now()); err != nil {
			s.initErr = err
			return
		}
		s.upgrader = handshake.Upgrader{
			Subprotocols:            s.Subprotocols,
			RequireSubprotocol:      s.RequireSubprotocol,
			OriginPatterns:          s.OriginPatterns,
			InsecureSkipOriginCheck: s.InsecureSkipOriginCheck,
			Header:                  s.Header,
			HandshakeTimeout:        s.HandshakeTimeout,
			MaxRequestBytes:         s.MaxRequestBytes,
		}
		s.maxQueue = s.MaxQueuedBytes
		if s.maxQueue <= 0 {
			s.maxQueue = DefaultMaxQueuedBytes
		}
		nl := s.Loops
		if nl <= 0 {
			nl = runtime.GOMAXPROCS(0)
		}
		for range nl {
			l, err := newLoop(s)
			if err != nil {
				for _, l := range s.loops {
					l.poll.close()
				}
				s.loops = nil
				s.initErr = err
				return
			}
			s.loops = append(s.loops, l)
		}
		nw := s.Workers
		if nw <= 0 {
			nw = 4 * runtime.GOMAXPROCS(0)
		}
		s.workers.start(nw)
		for _, l := range s.loops {
			s.running.Add(1)
			go l.run()
		}
	})
	return s.initErr
}

func (s *Server) handshakeTimeout() time.Duration {
	if s.HandshakeTimeout > 0 {
		return s.HandshakeTimeout
	}
	return handshake.DefaultHandshakeTimeout
}

// upgraderFor returns a copy of the server's upgrader whose negotiation of
// compression stores the parameters in *params.
func (s *Server) upgraderFor(params **deflate.Params) *handshake.Upgrader {
	u := s.upgrader
	if cfg := s.Compression; cfg != nil {
		u.Negotiate = func(offers []handshake.Extension) ([]handshake.Extension, error) {
			resp, p, ok := cfg.Negotiate(offers)
			if !ok {
				return nil, nil
			}
			*params = &p
			return []handshake.Extension{resp}, nil
		}
	}
	return &u
}

// enter counts a new connection unless the server is closing.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.active.Add(1)
	return true
}

func (s *Server) pickLoop() *loop {
	return s.loops[int(s.next.Add(1))%len(s.loops)]
}

// Serve accepts connections from ln and serves them, each with its opening
// handshake read on an event loop, until ln fails or the server is shut
// down; it then returns ErrServerClosed, or the error of Accept. It closes
// ln when it returns. Connections that are not plain TCP or Unix sockets
// (a tls.Listener's, for instance) are served on goroutines of their own,
// with the same callbacks.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.init(); err != nil {
		ln.Close()
		return err
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = make(map[net.Listener]struct{})
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		ln.Close()
	}()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		if err := s.ServeConn(nc); err != nil {
			return err
		}
	}
}

// ServeConn takes over nc, a connection accepted elsewhere whose opening
// handshake has not started, and serves it: the handshake is read
// incrementally on an event loop and bounded by HandshakeTimeout. After
// Shutdown it closes nc and returns ErrServerClosed.
func (s *Server) ServeConn(nc net.Conn) error {
	if err := s.init(); err != nil {
		nc.Close()
		return err
	}
	if !s.enter() {
		nc.Close()
		return ErrServerClosed
	}
	c := newConn(s, nc)
	c.hs = new(handshake.RequestReader)
	c.hsDeadline = time.Now().Add(s.handshakeTimeout()).UnixNano()
	c.l.post(task{kind: taskRegister, c: c})
	return nil
}

// ServeHTTP upgrades the request to a WebSocket connection, which the
// server then serves, and returns: the connection holds no goroutine of
// net/http's. So a Server can be routed to by an http.ServeMux (on the
// request's path and headers), and served over TLS by an http.Server,
// whose connections run on goroutines of their own (see the package
// documentation). A refused request has been answered with the HTTP error.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := s.init(); err != nil {
		http.Error(w, "websocket: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if !s.enter() {
		http.Error(w, "websocket: the server is shutting down", http.StatusServiceUnavailable)
		return
	}
	var params *deflate.Params
	res, err := s.upgraderFor(&params).Upgrade(w, r)
	if err != nil {
		s.active.Done()
		return
	}
	c := newConn(s, res.Conn)
	c.open(res, params, time.Now())
	c.l.post(task{kind: taskRegister, c: c, buffered: res.Buffered})
}

// Shutdown stops accepting, closes every connection with 1001 (going
// away) and waits for the close handshakes to end, each bounded by
// CloseTimeout, or for ctx to be done; then it tears down the connections
// left (their OnClose reports ErrShutdown), waits for the callbacks to
// return, stops the event loops and workers, and returns ctx's error if it
// was cut short. Serve then returns ErrServerClosed.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.init(); err != nil {
		return err
	}
	s.mu.Lock()
	already := s.closing
	s.closing = true
	for ln := range s.listeners {
		ln.Close()
	}
	s.mu.Unlock()
	if already {
		s.active.Wait()
		return nil
	}
	for _, l := range s.loops {
		l.post(task{kind: taskShutdown})
	}
	done := make(chan struct{})
	go func() { s.active.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		for _, l := range s.loops {
			l.post(task{kind: taskAbort})
		}
		<-done
	}
	for _, l := range s.loops {
		l.post(task{kind: taskStop})
	}
	s.running.Wait()
	s.workers.stop()
	return err
}

// Close tears every connection down at once, without a close handshake,
// and stops the server as Shutdown does.
func (s *Server) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); err != context.Canceled {
		return err
	}
	return nil
}

// goingAway is the close Shutdown sends.
const goingAway = closecode.GoingAway

func (s *Server) closeTimeout() time.Duration {
	if s.CloseTimeout > 0 {
		return s.CloseTimeout
	}
	return protocol.DefaultCloseTimeout
}
