package protocol_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

func TestKeepalive(t *testing.T) {
	const interval, timeout = 10 * time.Second, 3 * time.Second
	p := newProto(t, protocol.Config{Role: frame.Client, PingInterval: interval, PongTimeout: timeout})
	if dl := p.Deadline(); !dl.Equal(t0.Add(interval)) {
		t.Fatalf("first deadline %v", dl)
	}
	// Traffic does not move the ping: pings go out every interval.
	p.Alive(t0.Add(time.Second))
	p.Tick(t0.Add(interval - 1))
	if p.HasPending() {
		t.Fatal("ping before it is due")
	}
	due := t0.Add(interval)
	p.Tick(due)
	if !p.HasPending() {
		t.Fatal("no ping when due")
	}
	// Until it is written the ping is bounded from the moment it was due.
	if dl := p.Deadline(); !dl.Equal(due.Add(timeout)) {
		t.Fatalf("deadline while queued %v", dl)
	}
	fs := frames(t, p.AppendPending(nil), frame.Client)
	if len(fs) != 1 || fs[0].h.Opcode != frame.OpPing || string(fs[0].payload) != "hybi keepalive" {
		t.Fatalf("ping %+v", fs)
	}
	written := due.Add(2 * time.Second)
	p.PendingWritten(written)
	if dl := p.Deadline(); !dl.Equal(written.Add(timeout)) {
		t.Fatalf("deadline after the write %v", dl)
	}
	// Any byte after it does; the next ping is due an interval later.
	answered := written.Add(time.Second)
	p.Alive(answered)
	if dl := p.Deadline(); !dl.Equal(answered.Add(interval)) {
		t.Fatalf("deadline after the answer %v", dl)
	}
	// The next ping goes unanswered.
	p.Tick(answered.Add(interval))
	p.AppendPending(nil)
	written = answered.Add(interval + time.Millisecond)
	p.PendingWritten(written)
	p.Tick(written.Add(timeout - 1))
	if p.State() != protocol.Open {
		t.Fatal("closed before the pong timeout")
	}
	p.Tick(written.Add(timeout))
	ce := wantClose(t, p, closecode.Abnormal, false)
	if !errors.Is(ce, protocol.ErrKeepaliveTimeout) || ce.Reason != "keepalive timeout" {
		t.Fatalf("result %v", ce)
	}
}

// The answer to a ping can arrive before the driver reports the ping
// written (the writer and the reader are different goroutines): it counts.
func TestKeepaliveAnsweredInFlight(t *testing.T) {
	const interval, timeout = 10 * time.Second, 3 * time.Second
	p := newProto(t, protocol.Config{Role: frame.Server, PingInterval: interval, PongTimeout: timeout})
	due := t0.Add(interval)
	p.Tick(due)
	p.AppendPending(nil)
	answered := due.Add(time.Millisecond)
	p.Alive(answered)
	p.PendingWritten(due.Add(2 * time.Millisecond))
	if dl := p.Deadline(); !dl.Equal(answered.Add(interval)) {
		t.Fatalf("deadline %v, want the next ping an interval after the answer", dl)
	}
	p.Tick(due.Add(timeout + time.Second))
	if p.State() != protocol.Open {
		t.Fatal("torn down although the ping was answered")
	}
}

// Bytes from the peer while the ping waits behind a long write show it
// alive: the ping gets another PongTimeout to go out.
func TestKeepaliveQueuedPeerAlive(t *testing.T) {
	const interval, timeout = 10 * time.Second, 3 * time.Second
	p := newProto(t, protocol.Config{Role: frame.Server, PingInterval: interval, PongTimeout: timeout})
	due := t0.Add(interval)
	p.Tick(due)
	alive := due.Add(timeout - time.Millisecond)
	p.Alive(alive)
	p.Tick(due.Add(timeout))
	if p.State() != protocol.Open || !p.HasPending() {
		t.Fatalf("state %v, ping queued %v", p.State(), p.HasPending())
	}
	if dl := p.Deadline(); !dl.Equal(alive.Add(timeout)) {
		t.Fatalf("deadline %v", dl)
	}
	p.Tick(alive.Add(timeout))
	if ce := wantClose(t, p, closecode.Abnormal, false); !errors.Is(ce, protocol.ErrKeepaliveTimeout) {
		t.Fatalf("result %v", ce)
	}
}

func TestKeepaliveNotWritten(t *testing.T) {
	p := newProto(t, protocol.Config{Role: frame.Server})
	due := t0.Add(protocol.DefaultPingInterval)
	p.Tick(due)
	if !p.HasPending() {
		t.Fatal("no ping")
	}
	// A peer that does not read keeps the ping from being written.
	p.Tick(due.Add(protocol.DefaultPongTimeout))
	if ce := wantClose(t, p, closecode.Abnormal, false); !errors.Is(ce, protocol.ErrKeepaliveTimeout) {
		t.Fatalf("result %v", ce)
	}
}

func TestKeepaliveOff(t *testing.T) {
	p := newProto(t, protocol.Config{Role: frame.Server, PingInterval: -1})
	if !p.Deadline().IsZero() {
		t.Fatalf("deadline %v", p.Deadline())
	}
	p.Tick(t0.Add(1000 * time.Hour))
	if p.HasPending() || p.State() != protocol.Open {
		t.Fatal("keepalive acted")
	}
}

func TestKeepaliveStopsWhenClosing(t *testing.T) {
	p := newProto(t, protocol.Config{Role: frame.Server, PingInterval: time.Second, CloseTimeout: time.Minute})
	p.Tick(t0.Add(time.Second))
	p.Close(closecode.Normal, "", t0.Add(time.Second))
	// The queued ping is dropped; the close frame goes alone.
	fs := frames(t, p.AppendPending(nil), frame.Server)
	if len(fs) != 1 || fs[0].h.Opcode != frame.OpClose {
		t.Fatalf("frames %+v", fs)
	}
	// The pong timeout no longer applies, the close timeout does.
	if dl := p.Deadline(); !dl.Equal(t0.Add(time.Second + time.Minute)) {
		t.Fatalf("deadline %v", dl)
	}
	p.Tick(t0.Add(time.Minute))
	if p.State() != protocol.Closing {
		t.Fatalf("state %v", p.State())
	}
}

func TestPendingOrder(t *testing.T) {
	// A pong, the keepalive ping and a failure's close frame, in that order.
	p := newProto(t, protocol.Config{Role: frame.Server, PingInterval: time.Second})
	p.Tick(t0.Add(time.Second))
	feed(t, p, toServer(true, frame.OpPing, "x"), 0)
	fs := frames(t, p.AppendPending(nil), frame.Server)
	if len(fs) != 2 || fs[0].h.Opcode != frame.OpPong || fs[1].h.Opcode != frame.OpPing {
		t.Fatalf("frames %+v", fs)
	}
	feed(t, p, toServer(true, frame.OpPing, "y"), 0)
	_, err := feed(t, p, toServer(true, frame.OpText, "\xc0"), 0)
	checkCode(t, err, closecode.InvalidPayload)
	fs = frames(t, p.AppendPending(nil), frame.Server)
	if len(fs) != 2 || fs[0].h.Opcode != frame.OpPong || fs[1].h.Opcode != frame.OpClose {
		t.Fatalf("frames %+v", fs)
	}
	// The ping went out before the failure: its timeout no longer matters.
	p.PendingWritten(t0.Add(2 * time.Second))
	if !p.HalfClose() {
		t.Fatal("no half close")
	}
}

// TestKeepaliveWrittenWhileClosing checks that a keepalive ping written
// after the close handshake started leaves the handshake's deadline alone,
// and that a monotonic clock reading is honoured.
func TestKeepaliveWrittenWhileClosing(t *testing.T) {
	start := time.Now() // with a monotonic reading
	p, err := protocol.New(protocol.Config{Role: frame.Server, PingInterval: time.Second, PongTimeout: time.Minute, CloseTimeout: 2 * time.Second}, start)
	if err != nil {
		t.Fatal(err)
	}
	due := start.Add(time.Second)
	if dl := p.Deadline(); !dl.Equal(due) || time.Until(dl) > time.Second {
		t.Fatalf("first deadline %v", dl)
	}
	p.Tick(due)
	out := p.AppendPending(nil) // the ping, in flight
	closed := due.Add(time.Millisecond)
	if err := p.Close(closecode.Normal, "bye", closed); err != nil {
		t.Fatal(err)
	}
	p.PendingWritten(closed.Add(time.Millisecond))
	if dl := p.Deadline(); !dl.Equal(closed.Add(2 * time.Second)) {
		t.Fatalf("deadline %v, want the close timeout's %v", dl, closed.Add(2*time.Second))
	}
	if fs := frames(t, out, frame.Server); len(fs) != 1 || fs[0].h.Opcode != frame.OpPing {
		t.Fatalf("frames %+v", fs)
	}
	p.Tick(closed.Add(2*time.Second - 1))
	if p.State() != protocol.Closing {
		t.Fatalf("state %v before the close timeout", p.State())
	}
	p.Tick(closed.Add(2 * time.Second))
	if ce := p.Result(); ce == nil || !errors.Is(ce, protocol.ErrCloseTimeout) {
		t.Fatalf("result %v", ce)
	}
}

// TestFarDeadline checks that a timeout too long to add to the clock
// without overflow puts the deadline some 292 years away, not in the past.
func TestFarDeadline(t *testing.T) {
	const forever = time.Duration(math.MaxInt64)
	p := newProto(t, protocol.Config{Role: frame.Server, CloseTimeout: forever, PingInterval: forever})
	now := t0.Add(time.Hour)
	p.Alive(now)
	if err := p.Close(closecode.Normal, "", now); err != nil {
		t.Fatal(err)
	}
	p.Tick(now.Add(1000 * time.Hour))
	if p.State() != protocol.Closing {
		t.Fatalf("state %v", p.State())
	}
	if dl, soon := p.Deadline(), t0.Add(290*365*24*time.Hour); dl.Before(soon) {
		t.Fatalf("deadline %v, before %v", dl, soon)
	}
}
