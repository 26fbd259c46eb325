package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hybi/ws/broadcast"
	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/protocol"
)

// Recovery says how a connection joined a topic.
type Recovery uint8

const (
	// Fresh: the connection asked for nothing; it gets the messages
	// published after it joined.
	Fresh Recovery = iota
	// Recovered: the connection gets every message published after the
	// position it gave, then the live ones.
	Recovered
	// Lost: the messages after the position the connection gave are not
	// all in the history; it gets none of them, only those published after
	// it joined, and must reload its state.
	Lost
)

// String returns "fresh", "recovered" or "lost".
func (r Recovery) String() string {
	switch r {
	case Fresh:
		return "fresh"
	case Recovered:
		return "recovered"
	case Lost:
		return "lost"
	}
	return fmt.Sprintf("Recovery(%d)", uint8(r))
}

// ResyncReason is the reason of the close frame (code 1012, service restart)
// with which a Node closes the connections of a topic whose stream it could
// not follow without a hole; they reconnect with their last position and
// recover, or learn that they must reload.
const ResyncReason = "stream interrupted: reconnect with your position"

// MaxPending bounds the live messages a Node holds for a connection while
// it sends it the history it missed; a connection that falls further behind
// is closed with 1008 and joins again.
const MaxPending = 4096

// NodeOptions configure a Node. The zero value means the defaults.
type NodeOptions struct {
	// Hub configures the broadcast.Hub of each topic.
	Hub *broadcast.Options
	// Prepare makes the message a connection receives for m. The default
	// sends a text message with the JSON object
	// {"type":"message","topic":…,"epoch":…,"offset":…,"data":…}, data as
	// a string: the default is for text.
	Prepare func(m Message) (*protocol.PreparedMessage, error)
	// Joined makes the first message a connection receives when it joins
	// topic, before any other: the position it starts from (its own when
	// recovered, the topic's last otherwise) and how it joined. The default
	// sends {"type":"joined","topic":…,"epoch":…,"offset":…,"recovery":…},
	// recovery being Recovery's String.
	Joined func(topic string, from Position, r Recovery) (*protocol.PreparedMessage, error)
	// Timeout bounds each call the Node makes to the broker on its own
	// (catching up after an outage); 0 means 5 s.
	Timeout time.Duration
	// Logf, if set, logs the Node's dealings with the broker.
	Logf func(format string, args ...any)
}

// Node relays the topics of a Broker to local connections: a broadcast.Hub
// per topic, subscribed to the broker once while at least one connection
// follows the topic. It watches the positions of what it relays, fills any
// hole (after a broker outage) from the history, and closes a topic's
// connections with 1012 and ResyncReason when it cannot. Its methods are
// safe for concurrent use.
type Node struct {
	b    Broker
	opts NodeOptions

	mu     sync.Mutex // held across Subscribe and Unsubscribe calls
	topics map[string]*nodeTopic
	closed bool
}

type nodeTopic struct {
	n    *Node
	name string
	hub  *broadcast.Hub
	refs int // under Node.mu

	mu      sync.Mutex
	last    Position // of the last message relayed; zero when not known
	members map[broadcast.Sender]struct{}
	pending map[broadcast.Sender]*pendingQueue
}

type pendingQueue struct {
	msgs     []pendingMsg
	overflow bool
}

type pendingMsg struct {
	pos Position
	pm  *protocol.PreparedMessage
}

// NewNode returns a Node relaying b's topics, with options opts; nil means
// the defaults.
func NewNode(b Broker, opts *NodeOptions) *Node {
	n := &Node{b: b, topics: make(map[string]*nodeTopic)}
	if opts != nil {
		n.opts = *opts
	}
	if n.opts.Prepare == nil {
		n.opts.Prepare = prepareJSON
	}
	if n.opts.Joined == nil {
		n.opts.Joined = joinedJSON
	}
	if n.opts.Timeout <= 0 {
		n.opts.Timeout = 5 * time.Second
	}
	if n.opts.Logf == nil {
		n.opts.Logf = func(string, ...any) {}
	}
	return n
}

func prepareJSON(m Message) (*protocol.PreparedMessage, error) {
	b, err := json.Marshal(struct {
		Type   string `json:"type"`
		Topic  string `json:"topic"`
		Epoch  string `json:"epoch"`
		Offset uint64 `json:"offset"`
		Data   string `json:"data"`
	}{"message", m.Topic, m.Pos.Epoch, m.Pos.Offset, string(m.Data)})
	if err != nil {
		return nil, err
	}
	return protocol.NewPreparedMessage(protocol.Text, b)
}

func joinedJSON(topic string, from Position, r Recovery) (*protocol.PreparedMessage, error) {
	b, err := json.Marshal(struct {
		Type     string `json:"type"`
		Topic    string `json:"topic"`
		Epoch    string `json:"epoch"`
		Offset   uint64 `json:"offset"`
		Recovery string `json:"recovery"`
	}{"joined", topic, from.Epoch, from.Offset, r.String()})
	if err != nil {
		return nil, err
	}
	return protocol.NewPreparedMessage(protocol.Text, b)
}

// Publish publishes data to topic through the broker, and returns its
// position.
func (n *Node) Publish(ctx context.Context, topic string, data []byte) (Position, error) {
	return n.b.Publish(ctx, topic, data)
}

// Err is the broker's Err: nil while it is reachable.
func (n *Node) Err() error { return n.b.Err() }

// Len returns the number of connections following topic on this node.
func (n *Node) Len(topic string) int {
	n.mu.Lock()
	t := n.topics[topic]
	n.mu.Unlock()
	if t == nil {
		return 0
	}
	return t.hub.Len()
}

// Join makes s follow topic, sending it first the Joined message, then,
// if since is not zero, every message after since (or nothing, when they
// are lost), then the live messages, with no hole and no repeat between
// them. It returns how s joined. It fails, with s not joined, when the
// broker cannot be reached or s cannot be written to; the caller then
// closes s (with 1013, try again later, for the former). Call Leave when s
// ends.
func (n *Node) Join(ctx context.Context, topic string, s broadcast.Sender, since Position) (Recovery, error) {
	t, err := n.acquire(ctx, topic)
	if err != nil {
		return Fresh, err
	}
	r, err := t.join(ctx, s, since)
	if err != nil {
		t.mu.Lock()
		delete(t.pending, s)
		t.mu.Unlock()
		n.release(topic)
	}
	return r, err
}

// Leave ends s's following of topic, after Join succeeded.
func (n *Node) Leave(topic string, s broadcast.Sender) {
	n.mu.Lock()
	t := n.topics[topic]
	n.mu.Unlock()
	if t == nil {
		return
	}
	t.mu.Lock()
	_, ok := t.members[s]
	delete(t.members, s)
	t.mu.Unlock()
	if ok {
		t.hub.Remove(s)
		n.release(topic)
	}
}

// Close ends every topic's subscription and hub; it closes no connection.
func (n *Node) Close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closed = true
	for name, t := range n.topics {
		ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
		n.b.Unsubscribe(ctx, name)
		cancel()
		t.hub.Close()
		delete(n.topics, name)
	}
}

// acquire counts one more follower of topic, subscribing at the first.
func (n *Node) acquire(ctx context.Context, topic string) (*nodeTopic, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, ErrClosed
	}
	if t := n.topics[topic]; t != nil {
		t.refs++
		return t, nil
	}
	t := &nodeTopic{n: n, name: topic, hub: broadcast.New(n.opts.Hub), refs: 1,
		members: make(map[broadcast.Sender]struct{}), pending: make(map[broadcast.Sender]*pendingQueue)}
	// Deliveries wait until the topic's last position is known.
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := n.b.Subscribe(ctx, topic, t.deliver); err != nil {
		return nil, err
	}
	if _, top, err := n.b.History(ctx, topic, Position{}); err == nil {
		t.last = top
	}
	n.topics[topic] = t
	return t, nil
}

// release counts one follower less, unsubscribing after the last.
func (n *Node) release(topic string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	t := n.topics[topic]
	if t == nil {
		return
	}
	if t.refs--; t.refs > 0 {
		return
	}
	delete(n.topics, topic)
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
	defer cancel()
	if err := n.b.Unsubscribe(ctx, topic); err != nil {
		n.opts.Logf("broker: unsubscribe %q: %v", topic, err)
	}
	t.hub.Close()
}

// deliver relays a delivery of the broker, in order.
func (t *nodeTopic) deliver(d Delivery) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if d.Resync {
		t.catchUp(nil)
		return
	}
	m := d.Message
	switch {
	case m.Pos.IsZero() || t.last.IsZero():
		// No positions (a broker without them), or none known yet (the
		// topic has no follower whose stream could have a hole).
	case m.Pos.Epoch == t.last.Epoch && m.Pos.Offset <= t.last.Offset:
		return // relayed already, from the history
	case m.Pos.Epoch == t.last.Epoch && m.Pos.Offset == t.last.Offset+1:
	default:
		t.catchUp(&m)
		return
	}
	t.relay(m)
}

// catchUp relays what the history has after the last message relayed, up
// to m, if not nil; under t.mu. When the history cannot fill the hole it
// closes the topic's connections, which recover by position.
func (t *nodeTopic) catchUp(m *Message) {
	n := t.n
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
	defer cancel()
	if t.last.IsZero() {
		// Nothing relayed with a position yet: nothing to fill, but no
		// way to tell whether the followers missed anything either.
		if _, top, err := n.b.History(ctx, t.name, Position{}); err == nil {
			t.last = top
		}
		t.interrupt("position unknown")
		return
	}
	msgs, top, err := n.b.History(ctx, t.name, t.last)
	if err != nil {
		if m != nil {
			t.last = m.Pos
		} else {
			t.last = Position{}
		}
		if !top.IsZero() {
			t.last = top
		}
		t.interrupt(err.Error())
		return
	}
	if len(msgs) > 0 {
		n.opts.Logf("broker: %q: caught up %d messages from the history (%v to %v)", t.name, len(msgs), msgs[0].Pos, msgs[len(msgs)-1].Pos)
	}
	for _, h := range msgs {
		t.relay(h)
	}
	t.last = top
}

// interrupt closes the topic's connections, which could not be given a
// stream without a hole; under t.mu.
func (t *nodeTopic) interrupt(why string) {
	if len(t.members)+len(t.pending) == 0 {
		return
	}
	t.n.opts.Logf("broker: %q: stream interrupted (%s): closing %d connections, which recover by position", t.name, why, len(t.members)+len(t.pending))
	for s := range t.members {
		go s.Close(closecode.ServiceRestart, ResyncReason)
	}
	for s := range t.pending {
		go s.Close(closecode.ServiceRestart, ResyncReason)
	}
}

// relay broadcasts m to the members and queues it for the connections
// joining; under t.mu.
func (t *nodeTopic) relay(m Message) {
	if !m.Pos.IsZero() {
		t.last = m.Pos
	}
	pm, err := t.n.opts.Prepare(m)
	if err != nil {
		t.n.opts.Logf("broker: %q: prepare %v: %v", t.name, m.Pos, err)
		return
	}
	t.hub.Broadcast(pm)
	for _, q := range t.pending {
		if len(q.msgs) >= MaxPending {
			q.overflow = true
			continue
		}
		q.msgs = append(q.msgs, pendingMsg{m.Pos, pm})
	}
}

// errSlowJoin ends a join that fell MaxPending messages behind.
var errSlowJoin = errors.New("broker: too slow to catch up")

// join sends s the Joined message and what it missed, then adds it to the
// hub, feeding it meanwhile the live messages queued for it.
func (t *nodeTopic) join(ctx context.Context, s broadcast.Sender, since Position) (Recovery, error) {
	n := t.n
	q := &pendingQueue{}
	t.mu.Lock()
	t.pending[s] = q
	t.mu.Unlock()

	r := Fresh
	msgs, top, err := n.b.History(ctx, t.name, since)
	from := top
	switch {
	case since.IsZero() && err == nil:
	case err == nil:
		r, from = Recovered, since
	case errors.Is(err, ErrUnrecoverable) && !top.IsZero():
		r, msgs = Lost, nil
	default:
		return Fresh, err
	}
	out := make([]*protocol.PreparedMessage, 0, 1+len(msgs))
	pm, err := n.opts.Joined(t.name, from, r)
	if err != nil {
		return r, err
	}
	out = append(out, pm)
	cur := from
	for _, m := range msgs {
		if pm, err = n.opts.Prepare(m); err != nil {
			return r, err
		}
		out = append(out, pm)
		cur = m.Pos
	}
	for {
		if err := s.WritePrepared(ctx, out...); err != nil {
			return r, err
		}
		out = out[:0]
		t.mu.Lock()
		batch, overflow := q.msgs, q.overflow
		q.msgs = nil
		if overflow {
			delete(t.pending, s)
			t.mu.Unlock()
			go s.Close(closecode.PolicyViolation, broadcast.SlowReason)
			return r, errSlowJoin
		}
		if len(batch) == 0 {
			delete(t.pending, s)
			if err := t.hub.Add(s); err != nil {
				t.mu.Unlock()
				return r, err
			}
			t.members[s] = struct{}{}
			t.mu.Unlock()
			return r, nil
		}
		t.mu.Unlock()
		for _, p := range batch {
			switch {
			case p.pos.IsZero():
			case p.pos.Epoch == cur.Epoch && p.pos.Offset <= cur.Offset:
				continue // sent from the history
			case p.pos.Epoch == cur.Epoch && p.pos.Offset == cur.Offset+1:
			default:
				// A hole between what s got and the live stream: it
				// reconnects and recovers by position.
				go s.Close(closecode.ServiceRestart, ResyncReason)
				return r, fmt.Errorf("broker: %q: hole between %v and %v", t.name, cur, p.pos)
			}
			out = append(out, p.pm)
			cur = p.pos
		}
	}
}
