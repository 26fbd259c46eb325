package protocol_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

// answerKeepalive writes the queued keepalive ping at now and answers it.
func answerKeepalive(t *testing.T, p *protocol.Protocol, now time.Time) {
	t.Helper()
	p.Tick(now)
	if !p.HasPending() {
		t.Fatalf("no keepalive ping at %v", now)
	}
	p.AppendPending(nil)
	p.PendingWritten(now)
	p.Alive(now)
}

// TestSpareBuffers checks that the buffers for control frames cut short
// and for long pong payloads are held only while a peer needs them: they
// survive a keepalive interval in which they were used or in which they
// hold something, and are dropped after one without use.
func TestSpareBuffers(t *testing.T) {
	const interval = time.Second
	p := newProto(t, protocol.Config{Role: frame.Server, PingInterval: interval})
	if protocol.SpareHeld(p) {
		t.Fatal("spare buffers held from the start")
	}
	// A short ping, whole: its pong is kept inline.
	evs, err := feed(t, p, toServer(true, frame.OpPing, "0123456789abcdefghijklmnopq"), 0)
	if err != nil || evsString(evs) != `ping("0123456789abcdefghijklmnopq")` || protocol.SpareHeld(p) {
		t.Fatalf("short ping: %v %v, spare held %v", evsString(evs), err, protocol.SpareHeld(p))
	}
	fs := frames(t, p.AppendPending(nil), frame.Server)
	if len(fs) != 1 || fs[0].h.Opcode != frame.OpPong || string(fs[0].payload) != "0123456789abcdefghijklmnopq" {
		t.Fatalf("pong %+v", fs)
	}

	// A long ping cut short: both buffers are needed.
	long := strings.Repeat("p", frame.MaxControlPayload)
	evs, err = feed(t, p, toServer(true, frame.OpPing, long), 50)
	if err != nil || evsString(evs) != `ping("`+long+`")` || !protocol.SpareHeld(p) {
		t.Fatalf("long ping: %v %v, spare held %v", evsString(evs), err, protocol.SpareHeld(p))
	}
	// A keepalive tick while the pong waits keeps the buffers.
	now := t0.Add(interval)
	p.Tick(now)
	if !protocol.SpareHeld(p) {
		t.Fatal("spare buffers dropped with a pong queued in them")
	}
	fs = frames(t, p.AppendPending(nil), frame.Server)
	if len(fs) != 2 || fs[0].h.Opcode != frame.OpPong || string(fs[0].payload) != long || fs[1].h.Opcode != frame.OpPing {
		t.Fatalf("long pong and keepalive ping %+v", fs)
	}
	p.PendingWritten(now)
	p.Alive(now)
	// A pong cut short over two ticks: the part received stays.
	in := toServer(true, frame.OpPong, "a pong in two parts")
	if _, err := feed(t, p, in[:10], 0); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		now = now.Add(interval)
		answerKeepalive(t, p, now)
	}
	if evs, err := feed(t, p, in[10:], 0); err != nil || evsString(evs) != `pong("a pong in two parts")` {
		t.Fatalf("split pong: %v %v", evsString(evs), err)
	}
	// Used in this interval: kept at its end; unused in the next: dropped.
	now = now.Add(interval)
	answerKeepalive(t, p, now)
	if !protocol.SpareHeld(p) {
		t.Fatal("spare buffers dropped in the interval they were used in")
	}
	now = now.Add(interval)
	answerKeepalive(t, p, now)
	if protocol.SpareHeld(p) {
		t.Fatal("spare buffers held after an interval without use")
	}
	// The end of the connection drops them too.
	if _, err := feed(t, p, toServer(true, frame.OpPing, long)[:20], 0); err != nil || !protocol.SpareHeld(p) {
		t.Fatalf("%v, spare held %v", err, protocol.SpareHeld(p))
	}
	p.TransportClosed(nil)
	if protocol.SpareHeld(p) {
		t.Fatal("spare buffers held once Closed")
	}
}

// TestZeroAllocsSpare checks that a peer needing the spare buffers all the
// time (long pings, control frames cut short) costs no allocation per
// frame.
func TestZeroAllocsSpare(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	srv := server(t)
	cli := client(t)
	buf := make([]byte, 0, 512)
	in := make([]byte, 0, 512)
	long := bytes.Repeat([]byte("p"), frame.MaxControlPayload)
	allocs(t, "long ping cut short", func() {
		out, _ := cli.AppendPing(buf[:0], long)
		in = append(in[:0], out...)
		drain(t, srv, in[:7])
		drain(t, srv, in[7:])
		out = srv.AppendPending(buf[:0])
		srv.PendingWritten(t0)
		in = append(in[:0], out...)
		drain(t, cli, in[:60])
		drain(t, cli, in[60:])
	})
}
