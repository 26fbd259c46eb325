package broker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// MemoryOptions configure a Memory broker. The zero value means the
// defaults.
type MemoryOptions struct {
	// HistorySize is the number of messages kept per topic; 0 means
	// DefaultHistorySize, and a negative value keeps none.
	HistorySize int
	// HistoryTTL is how long a message is kept; 0 means DefaultHistoryTTL.
	HistoryTTL time.Duration
}

// DefaultHistorySize and DefaultHistoryTTL bound a topic's history when the
// options leave it to the broker.
const (
	DefaultHistorySize = 1000
	DefaultHistoryTTL  = 10 * time.Minute
)

// Memory is the Broker of a single process: topics, history and fan-out in
// memory, no setup. Its epochs are random, made once per topic, so that
// the positions of a process that restarted are not trusted by the next
// one. The zero value is not usable; call NewMemory.
type Memory struct {
	size int
	ttl  time.Duration
	now  func() time.Time

	mu     sync.Mutex
	topics map[string]*memTopic
}

type memTopic struct {
	deliverMu sync.Mutex // held across a publish and its deliveries, for their order

	// under Memory.mu
	epoch   string
	top     uint64
	ring    []memEntry // the last messages, oldest first
	deliver func(Delivery)
}

type memEntry struct {
	off  uint64
	at   time.Time
	data []byte
}

// NewMemory returns a Memory broker with options opts; nil means the
// defaults.
func NewMemory(opts *MemoryOptions) *Memory {
	var o MemoryOptions
	if opts != nil {
		o = *opts
	}
	if o.HistorySize == 0 {
		o.HistorySize = DefaultHistorySize
	}
	if o.HistorySize < 0 {
		o.HistorySize = 0
	}
	if o.HistoryTTL <= 0 {
		o.HistoryTTL = DefaultHistoryTTL
	}
	return &Memory{size: o.HistorySize, ttl: o.HistoryTTL, now: time.Now, topics: make(map[string]*memTopic)}
}

// NewEpoch returns a random epoch, for brokers that make their own.
func NewEpoch() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// topic returns topic's state, making it; under m.mu.
func (m *Memory) topic(name string) *memTopic {
	t := m.topics[name]
	if t == nil {
		t = &memTopic{epoch: NewEpoch()}
		m.topics[name] = t
	}
	return t
}

// Publish implements Broker.
func (m *Memory) Publish(ctx context.Context, topic string, data []byte) (Position, error) {
	if err := ctx.Err(); err != nil {
		return Position{}, err
	}
	data = append([]byte(nil), data...)
	m.mu.Lock()
	t := m.topic(topic)
	m.mu.Unlock()
	t.deliverMu.Lock()
	defer t.deliverMu.Unlock()
	m.mu.Lock()
	t.top++
	pos := Position{t.epoch, t.top}
	if m.size > 0 {
		if len(t.ring) == m.size {
			copy(t.ring, t.ring[1:])
			t.ring = t.ring[:len(t.ring)-1]
		}
		t.ring = append(t.ring, memEntry{off: t.top, at: m.now(), data: data})
	}
	deliver := t.deliver
	m.mu.Unlock()
	if deliver != nil {
		deliver(Delivery{Message: Message{Topic: topic, Pos: pos, Data: data}})
	}
	return pos, nil
}

// Subscribe implements Broker.
func (m *Memory) Subscribe(ctx context.Context, topic string, deliver func(Delivery)) error {
	m.mu.Lock()
	m.topic(topic).deliver = deliver
	m.mu.Unlock()
	return nil
}

// Unsubscribe implements Broker.
func (m *Memory) Unsubscribe(ctx context.Context, topic string) error {
	m.mu.Lock()
	if t := m.topics[topic]; t != nil {
		t.deliver = nil
	}
	m.mu.Unlock()
	return nil
}

// History implements Broker.
func (m *Memory) History(ctx context.Context, topic string, since Position) ([]Message, Position, error) {
	if err := ctx.Err(); err != nil {
		return nil, Position{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.topic(topic)
	top := Position{t.epoch, t.top}
	if since.IsZero() || since == top {
		return nil, top, nil
	}
	if since.Epoch != t.epoch || since.Offset > t.top {
		return nil, top, ErrUnrecoverable
	}
	cut := m.now().Add(-m.ttl)
	n := int(t.top - since.Offset) // messages wanted
	if n > len(t.ring) || !t.ring[len(t.ring)-n].at.After(cut) {
		return nil, top, ErrUnrecoverable
	}
	msgs := make([]Message, n)
	for i, e := range t.ring[len(t.ring)-n:] {
		msgs[i] = Message{Topic: topic, Pos: Position{t.epoch, e.off}, Data: e.data}
	}
	return msgs, top, nil
}

// Err implements Broker: a Memory broker is never down.
func (m *Memory) Err() error { return nil }
