// Package broadcast delivers messages to sets of WebSocket connections:
// each message is encoded once (a protocol.PreparedMessage) and every
// connection of a Hub gets it through a bounded send queue and a writer
// of its own, so that no connection waits for another, and a connection
// that cannot keep up is dealt with by a policy of the user's choice
// instead of slowing everyone down.
//
// A *conn.Conn is a Sender as it is:
//
//	h := broadcast.New(nil)
//	h.Add(c)          // when the connection opens
//	defer h.Remove(c) // when its read loop ends
//	...
//	m, _ := conn.NewPreparedMessage(conn.Text, data)
//	h.Broadcast(m)    // to every member, encoded once
//
// # Queues and writers
//
// Broadcast never blocks on a connection: it appends the message to each
// member's queue (Options.QueueSize messages, 256 by default) and wakes its
// writer, a goroutine per member that sends everything queued for it in
// one WritePrepared call, so that a connection receives its messages in
// bursts of as many as accumulated while the previous write went out.
// Each member gets the messages of a Hub in the order Broadcast was called
// (calls from several goroutines are ordered by whichever comes first for
// all members alike).
//
// # Slow consumers
//
// A member whose queue is full when a message comes is a slow consumer:
// its peer does not read as fast as the Hub sends, and its writer is stuck
// behind a full TCP window. Options.Policy says what happens then: Drop
// (the default) drops that message for that member, which gets the later
// ones once its queue drains; Close removes the member and closes its
// connection with 1008 (policy violation) and the reason "too slow: send
// queue full", after the frame being written, if any (see conn.Conn.Close).
// Stats counts both.
//
// # Groups
//
// A Hub is one group: a chat room, a ticker symbol, the viewers of a
// dashboard. An application with many groups keeps a Hub per group, and
// adds a connection to each group it joins:
//
//	var mu sync.Mutex
//	rooms := map[string]*broadcast.Hub{}
//	join := func(room string, c *conn.Conn) {
//		mu.Lock()
//		h := rooms[room]
//		if h == nil {
//			h = broadcast.New(nil)
//			rooms[room] = h
//		}
//		mu.Unlock()
//		h.Add(c) // and h.Remove(c) when it leaves the room or ends
//	}
//
// A connection in several groups has a queue and a writer in each, and
// its messages of different groups may interleave in any order. There are
// no topics inside a Hub: a Hub per topic is the same thing, with counters
// per topic for free, and a message prepared once can go to several Hubs.
//
// # Senders
//
// A Hub needs two things of a connection, which Sender names: to send
// prepared messages, and to close with a code. conn.Conn, the goroutine
// driver, has both; a driver of another kind (an event-driven server) is a
// Sender as soon as it has them.
package broadcast

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/protocol"
)

// Sender is the sending side of a connection, as a Hub needs it.
// *conn.Conn and *evented.Conn implement it.
type Sender interface {
	// WritePrepared sends msgs in order, blocking until they are written
	// or the connection fails.
	WritePrepared(ctx context.Context, msgs ...*protocol.PreparedMessage) error
	// Close closes the connection with code and reason. The Hub calls it
	// on a goroutine of its own and ignores its result.
	Close(code closecode.Code, reason string) error
}

// Policy is what a Hub does with a message for a member whose queue is
// full.
type Policy uint8

const (
	// Drop drops the message for that member only; the member stays and
	// gets the next messages that find room in its queue.
	Drop Policy = iota
	// Close removes the member and closes its connection with 1008 and
	// SlowReason.
	Close
)

// SlowReason is the reason of the close frame with which the Close policy
// closes a slow consumer's connection.
const SlowReason = "too slow: send queue full"

// DefaultQueueSize is the default bound of a member's send queue.
const DefaultQueueSize = 256

// Options configure a Hub. The zero value means the defaults.
type Options struct {
	// QueueSize bounds each member's queue, in messages; 0 means
	// DefaultQueueSize.
	QueueSize int
	// Policy is what happens to a member whose queue is full.
	Policy Policy
}

// ErrClosed is returned by Add on a closed Hub.
var ErrClosed = errors.New("broadcast: hub closed")

// ErrMember is returned by Add for a Sender already in the Hub.
var ErrMember = errors.New("broadcast: already a member")

// Stats are a Hub's counters since it was made, in messages per member
// (a message broadcast to 1,000 members counts up to 1,000).
type Stats struct {
	Delivered  uint64 // written to a member's connection
	Dropped    uint64 // not queued, or discarded from the queue, because the member was slow
	ClosedSlow uint64 // members closed by the Close policy
}

// Hub is a set of connections to which messages are broadcast. Its methods
// are safe for concurrent use.
type Hub struct {
	queueSize int
	policy    Policy

	mu      sync.RWMutex
	members []*member          // in no particular order
	index   map[Sender]*member // the members by sender
	closed  bool

	delivered, dropped, closedSlow atomic.Uint64
}

// New returns an empty Hub with options opts; nil means the defaults.
func New(opts *Options) *Hub {
	h := &Hub{queueSize: DefaultQueueSize, index: make(map[Sender]*member)}
	if opts != nil {
		if opts.QueueSize > 0 {
			h.queueSize = opts.QueueSize
		}
		h.policy = opts.Policy
	}
	return h
}

// member is a Sender in a Hub, with its queue and its writer.
type member struct {
	h   *Hub
	s   Sender
	pos int // index in h.members, under h.mu

	mu      sync.Mutex
	q       []*protocol.PreparedMessage // ring of h.queueSize
	head, n int
	stopped bool // removed: the writer ends, nothing more is queued

	wake  chan struct{} // buffered 1: the queue became non-empty, or stopped
	batch []*protocol.PreparedMessage
}

// Add adds s to the Hub and starts its writer; from now on s gets every
// message broadcast. It returns ErrMember if s is already a member, and
// ErrClosed once the Hub is closed.
func (h *Hub) Add(s Sender) error {
	m := &member{
		h:     h,
		s:     s,
		q:     make([]*protocol.PreparedMessage, h.queueSize),
		batch: make([]*protocol.PreparedMessage, h.queueSize),
		wake:  make(chan struct{}, 1),
	}
	h.mu.Lock()
	switch {
	case h.closed:
		h.mu.Unlock()
		return ErrClosed
	case h.index[s] != nil:
		h.mu.Unlock()
		return ErrMember
	}
	m.pos = len(h.members)
	h.members = append(h.members, m)
	h.index[s] = m
	h.mu.Unlock()
	go m.run()
	return nil
}

// Remove takes s out of the Hub, if it is a member: it gets no more
// messages, and its writer ends after the write under way, if any,
// discarding what is queued. It does not close the connection. Call it
// when the connection ends (a member whose write fails is removed
// anyway). A writer blocked on a connection whose peer stopped reading
// ends when the connection does: when the Close policy's close handshake
// times out, when keepalive gives up on the peer, or at CloseNow.
func (h *Hub) Remove(s Sender) {
	h.mu.RLock()
	m := h.index[s]
	h.mu.RUnlock()
	if m != nil {
		h.remove(m)
	}
}

// remove takes m out of the Hub and stops it, if it is still a member; it
// reports whether it was, and how many queued messages it discarded.
func (h *Hub) remove(m *member) (bool, int) {
	h.mu.Lock()
	mine := h.index[m.s] == m
	if mine {
		h.unlink(m)
	}
	h.mu.Unlock()
	if !mine {
		return false, 0
	}
	return true, m.stop()
}

// unlink removes m, a member, from the member set; the caller holds h.mu.
func (h *Hub) unlink(m *member) {
	delete(h.index, m.s)
	last := len(h.members) - 1
	h.members[m.pos] = h.members[last]
	h.members[m.pos].pos = m.pos
	h.members[last] = nil
	h.members = h.members[:last]
}

// Len returns the number of members.
func (h *Hub) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.members)
}

// Stats returns the Hub's counters.
func (h *Hub) Stats() Stats {
	return Stats{Delivered: h.delivered.Load(), Dropped: h.dropped.Load(), ClosedSlow: h.closedSlow.Load()}
}

// Broadcast queues msg for every member and returns without waiting for
// any connection; a member whose queue is full is handled by the Hub's
// policy. It allocates nothing.
func (h *Hub) Broadcast(msg *protocol.PreparedMessage) {
	var slow []*member
	h.mu.RLock()
	for _, m := range h.members {
		if !m.push(msg) && h.policy == Close {
			slow = append(slow, m) // rare: allocates only then
		}
	}
	h.mu.RUnlock()
	for _, m := range slow {
		h.closeSlow(m)
	}
}

// closeSlow removes m and closes its connection for being slow.
func (h *Hub) closeSlow(m *member) {
	mine, discarded := h.remove(m)
	if !mine {
		return // removed meanwhile, or already closed by another Broadcast
	}
	h.dropped.Add(uint64(discarded + 1)) // with the message that found the queue full
	h.closedSlow.Add(1)
	go m.s.Close(closecode.PolicyViolation, SlowReason)
}

// Close removes every member, ending their writers after the writes under
// way; it closes no connection. Add fails afterwards.
func (h *Hub) Close() {
	h.mu.Lock()
	all := h.members
	h.members, h.index, h.closed = nil, make(map[Sender]*member), true
	h.mu.Unlock()
	for _, m := range all {
		m.stop()
	}
}

// push queues msg; it reports false, and queues nothing, when the queue
// is full (counted as dropped under the Drop policy).
func (m *member) push(msg *protocol.PreparedMessage) bool {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return true
	}
	if m.n == len(m.q) {
		m.mu.Unlock()
		if m.h.policy == Drop {
			m.h.dropped.Add(1)
		}
		return false
	}
	m.q[(m.head+m.n)%len(m.q)] = msg
	m.n++
	first := m.n == 1
	m.mu.Unlock()
	if first {
		m.signal()
	}
	return true
}

func (m *member) signal() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// stop ends the member's queue and writer; it returns how many queued
// messages it discarded.
func (m *member) stop() int {
	m.mu.Lock()
	n := m.n
	if m.stopped {
		n = 0
	}
	m.stopped = true
	m.clearQueue()
	m.mu.Unlock()
	m.signal()
	return n
}

// clearQueue empties the queue; the caller holds m.mu.
func (m *member) clearQueue() {
	clear(m.q)
	m.head, m.n = 0, 0
}

// take moves the queued messages to m.batch and returns how many, or -1
// once the member is stopped.
func (m *member) take() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return -1
	}
	k := copy(m.batch, m.q[m.head:min(len(m.q), m.head+m.n)])
	k += copy(m.batch[k:m.n], m.q)
	m.clearQueue()
	return k
}

// run is the member's writer.
func (m *member) run() {
	ctx := context.Background()
	for range m.wake {
		for {
			k := m.take()
			if k < 0 {
				return
			}
			if k == 0 {
				break
			}
			err := m.s.WritePrepared(ctx, m.batch[:k]...)
			clear(m.batch[:k])
			if err != nil {
				m.h.remove(m)
				return
			}
			m.h.delivered.Add(uint64(k))
		}
	}
}
