// Package redisbroker is a broker.Broker on Redis, for a service of several
// nodes: Redis pub/sub carries each message to the nodes subscribed to its
// topic, and a Redis Stream per topic, bounded in length and age, keeps the
// history from which connections recover.
//
// It lives in a module of its own, so that the main module of hybi does not
// depend on a Redis client; it uses github.com/redis/go-redis/v9.
//
// # Keys
//
// For a topic T and the prefix P (Options.Prefix), the broker keeps:
//
//   - P{T}:meta, a hash: the epoch (e) and the last offset (o);
//   - P{T}:stream, the stream of the last messages (fields o and d);
//   - P{T}:ch, the pub/sub channel.
//
// A Lua script publishes a message in one step: it increments the offset,
// appends to the stream, trims it (MAXLEN, then MINID by age) and publishes
// epoch:offset:data on the channel, so that the order of the stream is the
// order of the channel. Both keys expire when the topic is quiet for longer
// than the history's age (the hash after a day, or twice that age if
// longer); the epoch, a random string set when the hash is made, then
// changes, as it does when Redis loses its data (a restart
// without persistence, a flush, a failover to a replica that lacked them).
//
// # Outages
//
// When Redis cannot be reached, Publish and History fail with errors
// wrapping broker.ErrDown, Err says so, and the subscriptions are
// re-established when Redis is back, each followed by a broker.Delivery
// with Resync set, from which a broker.Node catches up on what it missed.
package redisbroker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hybi/ws/broker"
	"github.com/redis/go-redis/v9"
)

// Options configure a Broker. The zero value means the defaults.
type Options struct {
	// Prefix is prepended to every key and channel name; "hybi:" if empty.
	Prefix string
	// HistorySize is the length of each topic's stream; 0 means
	// broker.DefaultHistorySize, and a negative value keeps no history
	// (positions are still given, but no position can be recovered).
	HistorySize int
	// HistoryTTL is how long a message is kept, and how long a quiet
	// topic's stream and epoch live; 0 means broker.DefaultHistoryTTL.
	HistoryTTL time.Duration
	// OnState, if set, is called when the broker goes down (err not nil,
	// wrapping broker.ErrDown) and when it is back (nil).
	OnState func(err error)
}

// Broker is a broker.Broker on a Redis server. Make it with New.
type Broker struct {
	c    *redis.Client
	ps   *redis.PubSub
	opts Options
	done chan struct{}
	stop context.CancelFunc

	mu     sync.Mutex
	subs   map[string]func(broker.Delivery) // by channel
	topics map[string]string                // topic by channel
	err    error
}

// New returns a Broker on the Redis server of client, and starts reading
// its subscriptions. Close ends it; it does not close client.
func New(client *redis.Client, opts *Options) *Broker {
	b := &Broker{c: client, done: make(chan struct{}), subs: make(map[string]func(broker.Delivery)), topics: make(map[string]string)}
	if opts != nil {
		b.opts = *opts
	}
	if b.opts.Prefix == "" {
		b.opts.Prefix = "hybi:"
	}
	if b.opts.HistorySize == 0 {
		b.opts.HistorySize = broker.DefaultHistorySize
	}
	if b.opts.HistorySize < 0 {
		b.opts.HistorySize = 0
	}
	if b.opts.HistoryTTL <= 0 {
		b.opts.HistoryTTL = broker.DefaultHistoryTTL
	}
	ctx, stop := context.WithCancel(context.Background())
	b.stop = stop
	b.ps = client.Subscribe(ctx)
	go b.read(ctx)
	return b
}

// Close ends the subscriptions.
func (b *Broker) Close() error {
	b.stop()
	err := b.ps.Close()
	<-b.done
	return err
}

// metaTTL is how long a quiet topic keeps its epoch and offset: longer than
// its messages, so that a position whose messages expired is known to be
// lost rather than taken for one of a new epoch (both are unrecoverable).
func (b *Broker) metaTTL() time.Duration { return max(24*time.Hour, 2*b.opts.HistoryTTL) }

func (b *Broker) key(topic, what string) string {
	return b.opts.Prefix + "{" + topic + "}:" + what
}

// setState records whether Redis is reachable, and reports changes.
func (b *Broker) setState(err error) {
	if err != nil {
		err = fmt.Errorf("%w: %v", broker.ErrDown, err)
	}
	b.mu.Lock()
	changed := (b.err == nil) != (err == nil)
	b.err = err
	b.mu.Unlock()
	if changed && b.opts.OnState != nil {
		b.opts.OnState(err)
	}
}

// Err implements broker.Broker.
func (b *Broker) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// wrap marks the errors of a command that did not reach Redis.
func (b *Broker) wrap(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return err // Redis answered
	}
	b.setState(err)
	return fmt.Errorf("%w: %v", broker.ErrDown, err)
}

// read delivers the subscriptions' messages, and watches the connection:
// go-redis reconnects and resubscribes on the next read after a failure.
func (b *Broker) read(ctx context.Context) {
	defer close(b.done)
	delay := 50 * time.Millisecond
	for {
		msg, err := b.ps.ReceiveTimeout(ctx, 2*time.Second)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				// Quiet: check the connection is alive.
				if err := b.ps.Ping(ctx); err != nil {
					b.setState(err)
				}
				continue
			}
			if errors.Is(err, redis.ErrClosed) {
				return
			}
			b.setState(err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(2*delay, time.Second)
			continue
		}
		delay = 50 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			b.setState(nil)
			if m.Kind == "subscribe" {
				if deliver, topic := b.sub(m.Channel); deliver != nil {
					deliver(broker.Delivery{Resync: true, Message: broker.Message{Topic: topic}})
				}
			}
		case *redis.Pong:
			b.setState(nil)
		case *redis.Message:
			b.setState(nil)
			deliver, topic := b.sub(m.Channel)
			if deliver == nil {
				continue
			}
			pos, data, ok := parsePayload(m.Payload)
			if !ok {
				continue
			}
			deliver(broker.Delivery{Message: broker.Message{Topic: topic, Pos: pos, Data: data}})
		}
	}
}

func (b *Broker) sub(channel string) (func(broker.Delivery), string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.subs[channel], b.topics[channel]
}

// parsePayload parses epoch:offset:data.
func parsePayload(p string) (broker.Position, []byte, bool) {
	i := strings.IndexByte(p, ':')
	if i < 0 {
		return broker.Position{}, nil, false
	}
	j := strings.IndexByte(p[i+1:], ':')
	if j < 0 {
		return broker.Position{}, nil, false
	}
	off, err := strconv.ParseUint(p[i+1:i+1+j], 10, 64)
	if err != nil {
		return broker.Position{}, nil, false
	}
	return broker.Position{Epoch: p[:i], Offset: off}, []byte(p[i+2+j:]), true
}

// publishScript: KEYS meta, stream; ARGV channel, data, new epoch, maxlen,
// ttl of the messages and of the meta hash in ms.
var publishScript = redis.NewScript(`
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[3]
  redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0)
end
local off = redis.call('HINCRBY', KEYS[1], 'o', 1)
local maxlen = tonumber(ARGV[4])
if maxlen > 0 then
  redis.call('XADD', KEYS[2], 'MAXLEN', maxlen, '*', 'o', off, 'd', ARGV[2])
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('XTRIM', KEYS[2], 'MINID', tostring(now - tonumber(ARGV[5])))
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PUBLISH', ARGV[1], epoch .. ':' .. off .. ':' .. ARGV[2])
return {epoch, off}
`)

// historyScript: KEYS meta, stream; ARGV since epoch, since offset, new
// epoch, maxlen, ttl of the messages and of the meta hash in ms. It returns {epoch, top, status, data...}, status
// being "top" (no since), "ok" or "lost".
var historyScript = redis.NewScript(`
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[3]
  redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
end
local top = tonumber(redis.call('HGET', KEYS[1], 'o'))
if ARGV[1] == '' then return {epoch, top, 'top'} end
if ARGV[1] ~= epoch then return {epoch, top, 'lost'} end
local since = tonumber(ARGV[2])
if since > top then return {epoch, top, 'lost'} end
if since == top then return {epoch, top, 'ok'} end
local n = top - since
if n > tonumber(ARGV[4]) then return {epoch, top, 'lost'} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('XTRIM', KEYS[2], 'MINID', tostring(now - tonumber(ARGV[5])))
local entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', n)
if #entries < n then return {epoch, top, 'lost'} end
local res = {epoch, top, 'ok'}
for i = #entries, 1, -1 do
  local f = entries[i][2]
  local o, d
  for k = 1, #f, 2 do
    if f[k] == 'o' then o = tonumber(f[k+1]) elseif f[k] == 'd' then d = f[k+1] end
  end
  if o ~= top - i + 1 then return {epoch, top, 'lost'} end
  res[#res + 1] = d
end
return res
`)

// Publish implements broker.Broker.
func (b *Broker) Publish(ctx context.Context, topic string, data []byte) (broker.Position, error) {
	res, err := publishScript.Run(ctx, b.c, []string{b.key(topic, "meta"), b.key(topic, "stream")},
		b.key(topic, "ch"), data, broker.NewEpoch(), b.opts.HistorySize, b.opts.HistoryTTL.Milliseconds(), b.metaTTL().Milliseconds()).Slice()
	if err != nil {
		return broker.Position{}, b.wrap(err)
	}
	if len(res) != 2 {
		return broker.Position{}, fmt.Errorf("redisbroker: publish script returned %v", res)
	}
	epoch, _ := res[0].(string)
	off, _ := res[1].(int64)
	return broker.Position{Epoch: epoch, Offset: uint64(off)}, nil
}

// History implements broker.Broker.
func (b *Broker) History(ctx context.Context, topic string, since broker.Position) ([]broker.Message, broker.Position, error) {
	res, err := historyScript.Run(ctx, b.c, []string{b.key(topic, "meta"), b.key(topic, "stream")},
		since.Epoch, since.Offset, broker.NewEpoch(), b.opts.HistorySize, b.opts.HistoryTTL.Milliseconds(), b.metaTTL().Milliseconds()).Slice()
	if err != nil {
		return nil, broker.Position{}, b.wrap(err)
	}
	if len(res) < 3 {
		return nil, broker.Position{}, fmt.Errorf("redisbroker: history script returned %v", res)
	}
	epoch, _ := res[0].(string)
	top, _ := res[1].(int64)
	status, _ := res[2].(string)
	pos := broker.Position{Epoch: epoch, Offset: uint64(top)}
	switch status {
	case "top":
		return nil, pos, nil
	case "lost":
		return nil, pos, broker.ErrUnrecoverable
	}
	data := res[3:]
	msgs := make([]broker.Message, len(data))
	first := uint64(top) - uint64(len(data)) + 1
	for i, d := range data {
		s, _ := d.(string)
		msgs[i] = broker.Message{Topic: topic, Pos: broker.Position{Epoch: epoch, Offset: first + uint64(i)}, Data: []byte(s)}
	}
	return msgs, pos, nil
}

// Subscribe implements broker.Broker. When Redis is down it records the
// subscription, made when Redis is back, and returns nil.
func (b *Broker) Subscribe(ctx context.Context, topic string, deliver func(broker.Delivery)) error {
	ch := b.key(topic, "ch")
	b.mu.Lock()
	b.subs[ch] = deliver
	b.topics[ch] = topic
	b.mu.Unlock()
	if err := b.ps.Subscribe(ctx, ch); err != nil {
		if errors.Is(err, redis.ErrClosed) {
			return broker.ErrClosed
		}
		b.setState(err)
	}
	return nil
}

// Unsubscribe implements broker.Broker.
func (b *Broker) Unsubscribe(ctx context.Context, topic string) error {
	ch := b.key(topic, "ch")
	b.mu.Lock()
	delete(b.subs, ch)
	delete(b.topics, ch)
	b.mu.Unlock()
	if err := b.ps.Unsubscribe(ctx, ch); err != nil && !errors.Is(err, redis.ErrClosed) {
		b.setState(err)
	}
	return nil
}
