//go:build !js

package conn

import (
	"context"
	"time"

	"github.com/hybi/ws/protocol"
)

// monoBase is the origin of monotonic.
var monoBase = time.Now()

// monotonic returns the time on the monotonic clock, in nanoseconds since
// the package was initialized: never 0 after it.
func monotonic() int64 { return int64(time.Since(monoBase)) + 1 }

// SetReadLimit changes the largest message Read and Reader accept, as
// Options.ReadLimit sets it at the start: 0 means DefaultReadLimit, a
// negative value no limit. It applies from the next frame header on, so a
// message being read is held to it from its next frame. It is safe to call
// from any goroutine, such as a handler raising the limit once the client
// authenticated.
func (c *Conn) SetReadLimit(n int64) {
	c.mu.Lock()
	c.p.SetReadLimit(n)
	c.mu.Unlock()
}

// Latency returns the round-trip time last measured on the connection:
// from a keepalive ping going out to the read that took in its pong, or the
// time a Ping took. It is 0 until the first measurement (keepalive pings
// every Options.PingInterval, 25 s by default). A reader that lags behind
// the peer's messages adds its lag.
func (c *Conn) Latency() time.Duration { return time.Duration(c.rtt.Load()) }

// pongReceived handles a pong: it ends the keepalive round trip it
// answers, wakes the Ping waiting for it, and calls the OnPong hook.
func (c *Conn) pongReceived(ev protocol.Event) {
	if ev.Keepalive {
		if sent := c.kaSent.Swap(0); sent != 0 {
			c.rtt.Store(max(monotonic()-sent, 1))
		}
	}
	if w := c.pings.Load(); w != nil {
		w.wake(ev.Data)
	}
	if c.hooks != nil && c.hooks.OnPong != nil {
		c.hooks.OnPong(c, ev.Data)
	}
}

// CloseRead is for connections the application only writes to: it starts
// the goroutine that reads c, which answers pings, sees the peer's close
// frame, and keeps keepalive working. The returned context is cancelled
// when the connection ends, with the *CloseError as its cause
// (context.Cause), or when ctx is done, which also stops the reading. A
// data message from the peer closes the connection with
// ClosePolicyViolation (reason "unexpected data message"): the cause is
// then a *CloseError with that code. Nothing else may read c after
// CloseRead.
func (c *Conn) CloseRead(ctx context.Context) context.Context {
	rctx, cancel := context.WithCancelCause(ctx)
	go func() {
		var buf [64]byte
		for {
			_, _, err := c.Read(rctx, buf[:0])
			if err == nil {
				c.Close(ClosePolicyViolation, "unexpected data message")
			}
			if ce := c.closedErr(); ce != nil {
				err = ce
			} else if rctx.Err() != nil {
				err = context.Cause(rctx)
			}
			cancel(err)
			return
		}
	}()
	return rctx
}

// compChoice is a write's choice of compression.
type compChoice int8

const (
	compDefault compChoice = iota // compress when at least the threshold (a Writer: always)
	compOn                        // compress
	compOff                       // do not compress
)

func choice(compress bool) compChoice {
	if compress {
		return compOn
	}
	return compOff
}

// WriteCompressed is Write with the message's compression chosen by the
// caller rather than by the threshold: with compress false the message goes
// out uncompressed, as a message holding secrets next to data an attacker
// chooses should (compression leaks their likeness through the size:
// CRIME, BREACH); with compress true it is compressed however small, when
// permessage-deflate was negotiated (without it, messages are never
// compressed).
func (c *Conn) WriteCompressed(ctx context.Context, typ MessageType, p []byte, compress bool) error {
	_, err := c.write(ctx, typ, p, false, choice(compress))
	return err
}

// WriterCompressed is Writer with the message's compression chosen by the
// caller, as WriteCompressed does: a Writer's message is otherwise always
// compressed when permessage-deflate was negotiated.
func (c *Conn) WriterCompressed(ctx context.Context, typ MessageType, compress bool) (MessageWriter, error) {
	return c.writer(ctx, typ, choice(compress))
}
