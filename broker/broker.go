// Package broker carries broadcasts between the nodes of a service, so that
// a message published on one node reaches the subscribers of its topic on
// every node, and a client that reconnects, to the same node or another one,
// gets what it missed.
//
// A Broker is the shared part: it orders each topic's messages, gives each
// a Position, fans them out to the nodes subscribed to the topic, and keeps
// a bounded history of each topic. Memory is the Broker of a single node,
// with nothing to set up; the module github.com/hybi/ws/redisbroker has one
// on Redis, for several nodes.
//
// A Node is the local part, on top of a Broker and a broadcast.Hub per
// topic: it subscribes to a topic once, however many of its connections
// follow it, and recovers a connection that joins with the position of
// the last message it got.
//
// # Positions and recovery
//
// A Position is an epoch and an offset. Offsets count a topic's messages,
// 1, 2, 3 and so on; the epoch names the history they belong to, and changes
// whenever that history is lost (a Redis restarted without persistence,
// a topic quiet for longer than the history is kept), so that an offset of
// an old epoch is never taken for one of the new.
//
// A connection that joins with a position gets, before anything else, every
// message published after it, in order and once each, then the live ones;
// or, when the broker no longer has all of them (the epoch changed, or the
// history was trimmed), none of them and the news that they are lost: the
// application must then reload its state some other way. Recovery is never
// partial.
package broker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Position is the place of a message in its topic's stream: Offset counts
// the topic's messages from 1 within Epoch. The zero Position is no place:
// a client that has seen nothing.
type Position struct {
	Epoch  string
	Offset uint64
}

// IsZero reports whether p is the zero Position.
func (p Position) IsZero() bool { return p == Position{} }

// String formats p as epoch:offset, which ParsePosition reads back.
func (p Position) String() string {
	if p.IsZero() {
		return ""
	}
	return p.Epoch + ":" + strconv.FormatUint(p.Offset, 10)
}

// ParsePosition parses a Position formatted by String; the empty string is
// the zero Position.
func ParsePosition(s string) (Position, error) {
	if s == "" {
		return Position{}, nil
	}
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return Position{}, fmt.Errorf("%w: %q", ErrPosition, s)
	}
	off, err := strconv.ParseUint(s[i+1:], 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("%w: %q", ErrPosition, s)
	}
	return Position{Epoch: s[:i], Offset: off}, nil
}

// Message is a message of a topic, with its position; Data is not to be
// modified.
type Message struct {
	Topic string
	Pos   Position
	Data  []byte
}

// Delivery is what a Broker hands a subscribed node: a message, or, when
// Resync is set, no message but the news that the subscription was
// re-established after the broker had been unreachable, so that messages
// published meanwhile may not have been delivered.
type Delivery struct {
	Message Message
	Resync  bool
}

var (
	// ErrUnrecoverable is returned by History when the messages after the
	// position asked for are not all in the history any more.
	ErrUnrecoverable = errors.New("broker: messages since that position are lost")
	// ErrDown is wrapped by the errors of a Broker that cannot reach its
	// backend.
	ErrDown = errors.New("broker: down")
	// ErrPosition is returned by ParsePosition for a malformed position.
	ErrPosition = errors.New("broker: malformed position")
	// ErrClosed is returned by the methods of a closed Broker or Node.
	ErrClosed = errors.New("broker: closed")
)

// Broker orders, fans out and keeps the messages of topics, for the nodes
// subscribed to them. Its methods are safe for concurrent use.
type Broker interface {
	// Publish appends data to topic's stream and delivers it to every
	// node subscribed to topic, this one included; it returns the
	// message's position.
	Publish(ctx context.Context, topic string, data []byte) (Position, error)
	// Subscribe makes deliver receive topic's messages, in the order of
	// their positions, until Unsubscribe. deliver is called on one
	// goroutine at a time per topic and must not block. A node subscribes
	// once per topic (Node counts its connections).
	Subscribe(ctx context.Context, topic string, deliver func(Delivery)) error
	// Unsubscribe ends the subscription to topic.
	Unsubscribe(ctx context.Context, topic string) error
	// History returns the messages of topic published after since, in
	// order, and the position of topic's last message (the current epoch
	// with offset 0 if there is none). For a zero since it returns no
	// messages, only that position. If the history no longer holds every
	// message after since, it returns ErrUnrecoverable, with no messages
	// and the last position.
	History(ctx context.Context, topic string, since Position) ([]Message, Position, error)
	// Err is nil while the broker is reachable, and says why not
	// (wrapping ErrDown) otherwise.
	Err() error
}
