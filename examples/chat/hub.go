package main

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
)

// hub is the chat room: it tracks the connected clients and broadcasts
// messages to them.
type hub struct {
	opts         conn.AcceptOptions
	queueLen     int           // per-client send queue bound
	writeTimeout time.Duration // bound on each write to a client
	logf         func(format string, args ...any)

	mu      sync.Mutex
	clients map[*client]struct{}
	closing bool
	wg      sync.WaitGroup // one per connection being served
}

// hubConfig holds the hub's tunables; zero fields take defaults.
type hubConfig struct {
	QueueLen     int
	WriteTimeout time.Duration
	Options      conn.Options
	Logf         func(format string, args ...any)
}

func newHub(cfg hubConfig) *hub {
	h := &hub{
		opts:         conn.AcceptOptions{Options: cfg.Options},
		queueLen:     cfg.QueueLen,
		writeTimeout: cfg.WriteTimeout,
		logf:         cfg.Logf,
		clients:      make(map[*client]struct{}),
	}
	if h.queueLen <= 0 {
		h.queueLen = 64
	}
	if h.writeTimeout <= 0 {
		h.writeTimeout = 10 * time.Second
	}
	if h.opts.ReadLimit == 0 {
		h.opts.ReadLimit = 64 << 10 // chat lines, not files
	}
	if h.logf == nil {
		h.logf = func(string, ...any) {}
	}
	return h
}

// client is one connected browser.
type client struct {
	c    *conn.Conn
	send chan []byte // bounded: a full queue means the client is too slow

	once   sync.Once
	quit   chan struct{} // closed to stop the writer
	code   closecode.Code
	reason string // with code, the close to send; code 0 means none
}

// stop makes the client's writer close the connection with code and reason
// (code 0: the connection has already ended). Only the first call counts.
func (cl *client) stop(code closecode.Code, reason string) {
	cl.once.Do(func() {
		cl.code, cl.reason = code, reason
		close(cl.quit)
	})
}

// ServeHTTP upgrades the request and serves the client until it leaves.
func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.enter() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	c, err := conn.Accept(w, r, &h.opts)
	if err != nil {
		h.wg.Done()
		h.logf("%s: upgrade refused: %v", r.RemoteAddr, err)
		return
	}
	h.serve(c, r.RemoteAddr)
}

// enter counts a connection about to be served, unless the hub is shutting
// down; serve uncounts it.
func (h *hub) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.wg.Add(1)
	return true
}

// serve runs a client, after enter: a goroutine reads and broadcasts its
// messages while this one writes the messages queued for it.
func (h *hub) serve(c *conn.Conn, name string) {
	defer h.wg.Done()
	defer c.CloseNow()
	cl := &client{c: c, send: make(chan []byte, h.queueLen), quit: make(chan struct{})}
	if !h.join(cl) {
		c.Close(closecode.GoingAway, "going away")
		return
	}
	h.logf("%s: joined", name)
	readDone := make(chan error, 1)
	go func() { readDone <- h.readLoop(cl) }()
	h.writeLoop(cl)
	err := <-readDone
	h.leave(cl)
	h.logf("%s: left: %v", name, err)
}

// readLoop broadcasts the client's messages until the connection ends, and
// returns how it ended (a *conn.CloseError).
func (h *hub) readLoop(cl *client) error {
	ctx := context.Background()
	for {
		typ, msg, err := cl.c.Read(ctx, nil)
		if err != nil {
			cl.stop(0, "")
			return err
		}
		select {
		case <-cl.quit:
			continue // leaving: read on until the close handshake ends
		default:
		}
		if typ != conn.Text {
			cl.stop(closecode.UnsupportedData, "text messages only")
			continue
		}
		h.broadcast(msg)
	}
}

// writeLoop sends the queued messages until the client is stopped, then
// closes the connection as asked. The close frame goes out after the message
// being written, never in its middle.
func (h *hub) writeLoop(cl *client) {
	for {
		select {
		case <-cl.quit:
			if cl.code != 0 {
				cl.c.Close(cl.code, cl.reason)
			}
			return
		default:
		}
		select {
		case <-cl.quit:
			// Handled at the top of the loop.
		case msg := <-cl.send:
			ctx, cancel := context.WithTimeout(context.Background(), h.writeTimeout)
			err := cl.c.Write(ctx, conn.Text, msg)
			cancel()
			if err != nil {
				if !errors.Is(err, conn.ErrNotOpen) {
					// Stuck: give up on the client. (Not open means a
					// close is under way, which the read loop completes.)
					cl.c.CloseNow()
				}
				cl.stop(0, "")
				return
			}
		}
	}
}

// broadcast queues msg for every client, evicting those whose queue is full.
func (h *hub) broadcast(msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for cl := range h.clients {
		select {
		case cl.send <- msg:
		default:
			delete(h.clients, cl)
			cl.stop(closecode.PolicyViolation, "too slow: send queue full")
		}
	}
}

func (h *hub) join(cl *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.clients[cl] = struct{}{}
	return true
}

func (h *hub) leave(cl *client) {
	h.mu.Lock()
	delete(h.clients, cl)
	h.mu.Unlock()
}

// count returns the number of clients in the room.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// shutdown closes every client with 1001 "going away" and waits for the
// close handshakes to end, or for ctx; then it tears down what is left.
func (h *hub) shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	all := make([]*client, 0, len(h.clients))
	for cl := range h.clients {
		all = append(all, cl)
	}
	h.mu.Unlock()
	for _, cl := range all {
		cl.stop(closecode.GoingAway, "going away")
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, cl := range all {
			cl.c.CloseNow()
		}
		<-done
		return ctx.Err()
	}
}
