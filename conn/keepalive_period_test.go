//go:build !js

package conn

import (
	"testing"
	"time"

	"github.com/hybi/ws/frame"
)

// TestKeepalivePeriodBelowPongTimeout: with PingInterval shorter than
// PongTimeout, a ping answered at once is followed by the next one a
// PingInterval later, not a PongTimeout later. (The answer moves the
// deadline earlier, from the end of the wait for the pong to the next ping,
// and the timer must follow; nginx's proxy_read_timeout cut such
// connections before the fix.)
func TestKeepalivePeriodBelowPongTimeout(t *testing.T) {
	checkGoroutines(t)
	const interval, timeout = 20 * time.Millisecond, 3 * time.Second
	c, p := rawPair(t, frame.Client, keepaliveOpts(interval, timeout))
	res := readAsync(t, c)
	start := time.Now()
	for i := 0; i < 5; i++ {
		_, payload := p.expectFrame(frame.OpPing)
		p.send(true, 0, frame.OpPong, payload)
	}
	if d := time.Since(start); d >= timeout {
		t.Fatalf("5 pings answered at once took %v: the pings come a PongTimeout (%v) apart, not a PingInterval (%v)", d, timeout, interval)
	}
	p.send(true, 0, frame.OpText, []byte("alive"))
	if r := res(); r.err != nil || string(r.msg) != "alive" {
		t.Fatalf("%q %v", r.msg, r.err)
	}
}
