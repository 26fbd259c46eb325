package chatserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/hybi/ws/broadcast"
	"github.com/hybi/ws/broker"
	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
)

// topic is the broker topic of the chat room.
const topic = "chat"

// hub is the chat room: the room's topic on a broker.Node, whose
// broadcast.Hub gives each client a bounded send queue and a writer of its
// own and closes a client that falls behind with 1008, and the bookkeeping
// of a graceful shutdown. Messages go through the broker, which numbers
// them, so that a client reconnecting with the position of the last message
// it got (the page does) gets what it missed.
type hub struct {
	opts conn.AcceptOptions
	node *broker.Node
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
	Broker   broker.Broker // nil: a broker.Memory of the process
	Logf     func(format string, args ...any)
}

func newHub(cfg hubConfig) *hub {
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 64
	}
	if cfg.Broker == nil {
		cfg.Broker = broker.NewMemory(nil)
	}
	h := &hub{
		opts: conn.AcceptOptions{Options: cfg.Options},
		node: broker.NewNode(cfg.Broker, &broker.NodeOptions{
			Hub:  &broadcast.Options{QueueSize: cfg.QueueLen, Policy: broadcast.Close},
			Logf: cfg.Logf,
		}),
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
// The query parameter since is the position of the last message the client
// got, if any.
func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	since, err := broker.ParsePosition(r.URL.Query().Get("since"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
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
	h.serve(c, r.RemoteAddr, since)
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

// serve runs a client, after enter: it joins the room, recovering from
// since, and publishes the client's messages until the connection ends.
func (h *hub) serve(c *conn.Conn, name string, since broker.Position) {
	defer h.wg.Done()
	defer c.CloseNow()
	defer context.AfterFunc(h.leaving, func() { c.Close(closecode.GoingAway, "going away") })()
	defer context.AfterFunc(h.killing, func() { c.CloseNow() })()
	jctx, cancel := context.WithTimeout(h.leaving, 10*time.Second)
	r, err := h.node.Join(jctx, topic, c, since)
	cancel()
	if err != nil {
		h.logf("%s: could not join: %v", name, err)
		if errors.Is(err, broker.ErrDown) {
			c.Close(closecode.TryAgainLater, "broker unavailable")
		} else {
			c.Close(closecode.InternalError, "could not join")
		}
		return
	}
	defer h.node.Leave(topic, c)
	h.logf("%s: joined (%s)", name, r)
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
		pctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = h.node.Publish(pctx, topic, msg)
		cancel()
		if err != nil {
			// Only this client hears of it: its message reached no one.
			h.logf("%s: publish: %v", name, err)
			e, _ := json.Marshal(struct {
				Type  string `json:"type"`
				Error string `json:"error"`
			}{"error", "not sent: " + err.Error()})
			c.Write(context.Background(), conn.Text, e)
		}
	}
}

// count returns the number of clients in the room.
func (h *hub) count() int { return h.node.Len(topic) }

// status reports whether the broker is reachable: nil, or why not.
func (h *hub) status() error { return h.node.Err() }

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
