package protocol

import (
	"errors"
	"testing"
	"time"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
)

func TestSetWriteCompressed(t *testing.T) {
	now := time.Now()
	for _, negotiated := range []bool{false, true} {
		cfg := Config{Role: frame.Server}
		if negotiated {
			cfg.Deflate = &deflate.Params{}
			cfg.Compression = &deflate.Config{Threshold: 100}
		}
		p, err := New(cfg, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.SetWriteCompressed(true); !errors.Is(err, ErrNoMessage) {
			t.Errorf("without a message: %v", err)
		}
		for _, on := range []bool{true, false} {
			if err := p.StartMessage(Text, 5); err != nil { // under the threshold
				t.Fatal(err)
			}
			if err := p.SetWriteCompressed(on); err != nil {
				t.Fatal(err)
			}
			if got := p.WriteCompressed(); got != (on && negotiated) {
				t.Errorf("negotiated %v, on %v: WriteCompressed %v", negotiated, on, got)
			}
			out, err := appendRest(t, p, []byte("hello"))
			if err != nil {
				t.Fatal(err)
			}
			if rsv1 := out[0]&0x40 != 0; rsv1 != (on && negotiated) {
				t.Errorf("negotiated %v, on %v: RSV1 %v", negotiated, on, rsv1)
			}
		}
		// Once a frame of the message went out, the choice is made.
		if err := p.StartMessage(Binary, -1); err != nil {
			t.Fatal(err)
		}
		if _, _, err := p.AppendFrame(nil, []byte("part"), false); err != nil {
			t.Fatal(err)
		}
		if p.WriteCompressed() {
			p.AppendFlush(nil)
		}
		if _, _, err := p.AppendFrame(nil, []byte("more"), false); err != nil {
			t.Fatal(err)
		}
		if err := p.SetWriteCompressed(false); negotiated && !errors.Is(err, ErrMessageOpen) {
			t.Errorf("after a frame: %v", err)
		}
	}
}

// appendRest sends data as the rest of the open message, final.
func appendRest(t *testing.T, p *Protocol, data []byte) ([]byte, error) {
	t.Helper()
	var out []byte
	for {
		var n int
		var err error
		out, n, err = p.AppendFrame(out, data, true)
		if err != nil {
			return nil, err
		}
		data = data[n:]
		if len(data) == 0 && !p.wOpen {
			return out, nil
		}
	}
}

func TestSetReadLimitLive(t *testing.T) {
	p, err := New(Config{Role: frame.Client}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	msg := func(n int) []byte {
		b := frame.AppendHeader(nil, frame.Header{Fin: true, Opcode: frame.OpBinary, Length: int64(n)})
		return append(b, make([]byte, n)...)
	}
	p.SetReadLimit(4)
	if _, _, err := p.Parse(msg(4)); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	for ev, _, _ := p.Parse(nil); ev.Kind != EventNone; ev, _, _ = p.Parse(nil) {
	}
	p.SetReadLimit(0) // the default
	if _, _, err := p.Parse(msg(DefaultReadLimit)); err != nil {
		t.Fatalf("default limit: %v", err)
	}
	for ev, _, _ := p.Parse(nil); ev.Kind != EventNone; ev, _, _ = p.Parse(nil) {
	}
	p.SetReadLimit(3)
	if _, _, err := p.Parse(msg(4)); err == nil {
		t.Fatal("over the lowered limit: no error")
	}
}

func TestKeepaliveRoundTrip(t *testing.T) {
	start := time.Now()
	p, err := New(Config{Role: frame.Client, PingInterval: time.Second}, start)
	if err != nil {
		t.Fatal(err)
	}
	if p.KeepaliveInFlight() {
		t.Fatal("in flight at the start")
	}
	p.Tick(start.Add(time.Second))
	out := p.AppendPending(nil)
	if len(out) == 0 || !p.KeepaliveInFlight() {
		t.Fatalf("after AppendPending: %d bytes, in flight %v", len(out), p.KeepaliveInFlight())
	}
	p.PendingWritten(start.Add(time.Second))
	if p.KeepaliveInFlight() {
		t.Fatal("in flight once written")
	}
	pong := func(payload string) []byte {
		b := frame.AppendHeader(nil, frame.Header{Fin: true, Opcode: frame.OpPong, Length: int64(len(payload))})
		return append(b, payload...)
	}
	for _, tc := range []struct {
		payload string
		want    bool
	}{{string(keepalivePayload), true}, {"other", false}, {"", false}} {
		ev, _, err := p.Parse(pong(tc.payload))
		if err != nil || ev.Kind != EventPong || ev.Keepalive != tc.want {
			t.Errorf("pong %q: %v %v keepalive %v", tc.payload, ev.Kind, err, ev.Keepalive)
		}
	}
}
