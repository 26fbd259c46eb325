package main

import (
	"context"
	"net/http"
	"sync"

	"github.com/hybi/ws/broadcast"
	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
)

// hub is the chat room: a broadcast.Hub of the connected clients, which
// gives each a bounded send queue and a writer of its own and closes a
// client that falls behind with 1008, and the bookkeeping of a graceful
// shutdown.
type hub struct {
	opts conn.AcceptOptions
	room *broadcast.Hub
	logf func(format string, args ...any)

	mu      sync.Mutex
	closing bool
	wg      sync.WaitGroup // one per connection being served

	leaving, killing context.Context    // done at shutdown, and when it gives up waiting
	leave, kill      context.CancelFunc // end them
}

// hubConfig holds the hub's tunables; zero fields take defaults.
type hubConfig struct {
	QueueLen int // per-client send queue bound, in messages (64)
	Options  conn.Options
	Logf     func(format string, args ...any)
}

func newHub(cfg hubConfig) *hub {
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 64
	}
	h := &hub{
		opts: conn.AcceptOptions{Options: cfg.Options},
		room: broadcast.New(&broadcast.Options{QueueSize: cfg.QueueLen, Policy: broadcast.Close}),
		logf: cfg.Logf,
	}
	h.leaving, h.leave = context.WithCancel(context.Background())
	h.killing, h.kill = context.WithCancel(context.Background())
	if h.opts.ReadLimit == 0 {
		h.opts.ReadLimit = 64 << 10 // chat lines, not files
	}
	if h.logf == nil {
		h.logf = func(string, ...any) {}
	}
	return h
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

// serve runs a client, after enter: it joins the room and broadcasts the
// client's messages until the connection ends.
func (h *hub) serve(c *conn.Conn, name string) {
	defer h.wg.Done()
	defer c.CloseNow()
	defer context.AfterFunc(h.leaving, func() { c.Close(closecode.GoingAway, "going away") })()
	defer context.AfterFunc(h.killing, func() { c.CloseNow() })()
	h.room.Add(c)
	defer h.room.Remove(c)
	h.logf("%s: joined", name)
	for {
		typ, msg, err := c.Read(context.Background(), nil)
		if err != nil {
			h.logf("%s: left: %v", name, err)
			return
		}
		if typ != conn.Text {
			c.Close(closecode.UnsupportedData, "text messages only")
			continue // the next Read reports the end
		}
		m, _ := conn.NewPreparedMessage(conn.Text, msg)
		h.room.Broadcast(m)
	}
}

// count returns the number of clients in the room.
func (h *hub) count() int { return h.room.Len() }

// shutdown closes every client with 1001 "going away" and waits for the
// close handshakes to end, or for ctx; then it tears down what is left.
func (h *hub) shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	h.mu.Unlock()
	h.leave()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		h.kill()
		<-done
		return ctx.Err()
	}
}
