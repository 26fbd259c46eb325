package fuzz

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

// protoPeerCheck is the peer of a fuzzed Protocol: a Protocol of the other
// role that parses everything the fuzzed one writes and must never find a
// fault in it.
type protoPeerCheck struct {
	t    *testing.T
	p    *protocol.Protocol
	sent [][]byte // messages written to the peer, not yet received
	msg  []byte
}

func (c *protoPeerCheck) receive(out []byte) {
	in := append([]byte(nil), out...)
	for {
		e, n, err := c.p.Parse(in)
		in = in[n:]
		if err != nil {
			c.t.Fatalf("the peer finds a fault in the output: %v", err)
		}
		switch e.Kind {
		case protocol.EventNone:
			return
		case protocol.EventMessageStart:
			c.msg = c.msg[:0]
		case protocol.EventData:
			c.msg = append(c.msg, e.Data...)
		case protocol.EventMessageEnd:
			if len(c.sent) == 0 || !bytes.Equal(c.msg, c.sent[0]) {
				c.t.Fatalf("the peer received %q, not the message written", c.msg)
			}
			c.sent = c.sent[1:]
		case protocol.EventClose:
			if e.Code != closecode.NoStatus && !e.Code.ValidOnWire() {
				c.t.Fatalf("close frame with code %d", e.Code)
			}
		}
	}
}

// FuzzProtocolInput drives one Protocol (role, compression and read limit
// from mode) with arbitrary input bytes, cut into chunks and interleaved
// with the calls of a driver, both taken from ops: Alive and Tick with the
// clock moved on, AppendPending and PendingWritten, a message or a ping
// written, Close; the transport ends after the input. It checks that
// nothing panics or hangs; that every Parse error is a *closecode.Error
// whose code can be sent, after which the Protocol is Closing with a close
// frame of that code to send (unless a close frame was queued already);
// that events are well-formed (data only inside a message and never empty,
// text valid UTF-8, no message over the read limit, nothing after a close);
// that everything the Protocol writes is well-formed frames, masked by
// role, that a peer Protocol accepts without fault and reads back as the
// messages written; that the connection ends Closed with a result that
// matches the fault; and that the memory allocated stays within a bound
// linear in the input (no allocation sized by what a peer announces).
func FuzzProtocolInput(f *testing.F) {
	for _, mode := range []uint8{0, protoClient, protoDeflate, protoDeflate | protoClient, protoDeflate | protoNoTake | protoWindow,
		protoLimit0, protoLimit1 | protoClient, protoLimit0 | protoLimit1 | protoDeflate} {
		role := frame.Server
		if mode&protoClient != 0 {
			role = frame.Client
		}
		for i, s := range protoSeeds(role) {
			f.Add(s, mode, []byte{byte(i) | 0x40, 0x1f, 0x63, 0xa2, 0xc5, 0xe0, 0x85})
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8, ops []byte) {
		defer protoWatchdog()()
		before := protoAllocated()
		cfg := protoConfig(mode)
		cfg.PingInterval, cfg.PongTimeout, cfg.CloseTimeout = 10*time.Second, 3*time.Second, 2*time.Second
		p := protoNew(t, cfg)
		peer := &protoPeerCheck{t: t, p: protoNew(t, protoPeer(cfg))}
		now := protoT0
		in := append([]byte(nil), data...)
		var fault *closecode.Error
		closeQueued := false // a close frame was queued before the fault
		inMsg, text, closed := false, false, false
		var msg []byte
		var out []byte
		flush := func() {
			out = p.AppendPending(out[:0])
			if fault != nil && !closeQueued && len(out) > 0 {
				fs := protoDecode(t, out, cfg.Role)
				last := fs[len(fs)-1]
				code, _, err := closecode.Parse([]byte(last.payload))
				if last.op != frame.OpClose || err != nil || code != fault.Code {
					t.Fatalf("after %v the output ends with %+v", fault, last)
				}
				closeQueued = true
			}
			peer.receive(out)
			p.PendingWritten(now)
		}
		step := func(op byte) {
			switch op >> 5 {
			case 2:
				flush()
			case 3:
				now = now.Add(time.Duration(op&0x1f) * 100 * time.Millisecond)
				p.Alive(now)
				p.Tick(now)
			case 4:
				if dl := p.Deadline(); !dl.IsZero() {
					now = dl
				}
				p.Tick(now)
			case 5:
				m := bytes.Repeat([]byte{'a' + op&0xf}, int(op&0x1f)*37)
				if o, err := p.AppendMessage(out[:0], protocol.Text, m); err == nil {
					peer.sent = append(peer.sent, m)
					peer.receive(o)
				} else if !errors.Is(err, protocol.ErrNotOpen) {
					t.Fatalf("AppendMessage: %v", err)
				}
			case 6:
				if o, err := p.AppendPing(out[:0], []byte{op}); err == nil {
					peer.receive(o)
				} else if !errors.Is(err, protocol.ErrNotOpen) {
					t.Fatalf("AppendPing: %v", err)
				}
			case 7:
				if err := p.Close(closecode.Normal, "fuzz", now); err != nil {
					t.Fatalf("Close: %v", err)
				}
				if fault == nil {
					closeQueued = true
				}
			}
		}
		for i, off := 0, 0; off < len(in) || i == 0; i++ {
			op := byte(0)
			if len(ops) > 0 {
				op = ops[i%len(ops)]
			}
			size := int(op&0x0f) + 1
			if op&0x10 != 0 {
				size *= 97
			}
			part := in[off:min(off+size, len(in))]
			off += len(part)
			for {
				e, n, err := p.Parse(part)
				if n < 0 || n > len(part) {
					t.Fatalf("Parse consumed %d of %d bytes", n, len(part))
				}
				part = part[n:]
				if err != nil {
					if fault != nil {
						t.Fatalf("second fault %v after %v", err, fault)
					}
					fault = protoCheckErr(t, err)
					if s := p.State(); s != protocol.Closing {
						t.Fatalf("state %v after %v", s, err)
					}
					continue
				}
				if e.Kind == protocol.EventNone {
					if len(part) != 0 {
						t.Fatalf("EventNone with %d bytes left", len(part))
					}
					break
				}
				if closed {
					t.Fatalf("event %v after the close", protoEvent(e))
				}
				switch e.Kind {
				case protocol.EventMessageStart:
					if inMsg || (e.Type != protocol.Text && e.Type != protocol.Binary) || e.Compressed && cfg.Deflate == nil {
						t.Fatalf("bad %v", protoEvent(e))
					}
					inMsg, text, msg = true, e.Type == protocol.Text, msg[:0]
				case protocol.EventData:
					if !inMsg || len(e.Data) == 0 {
						t.Fatalf("bad %v", protoEvent(e))
					}
					msg = append(msg, e.Data...)
					if cfg.ReadLimit > 0 && int64(len(msg)) > cfg.ReadLimit {
						t.Fatalf("message of %d bytes over the limit %d", len(msg), cfg.ReadLimit)
					}
				case protocol.EventMessageEnd:
					if !inMsg || text && !utf8.Valid(msg) {
						t.Fatalf("bad message end (text %v, valid %v)", text, utf8.Valid(msg))
					}
					inMsg = false
				case protocol.EventPing, protocol.EventPong:
					if len(e.Data) > frame.MaxControlPayload {
						t.Fatalf("bad %v", protoEvent(e))
					}
				case protocol.EventClose:
					if e.Code != closecode.NoStatus && !e.Code.ValidOnWire() || !utf8.ValidString(e.Reason) {
						t.Fatalf("bad %v", protoEvent(e))
					}
					closed = true
				}
			}
			step(op)
		}
		flush()
		p.TransportClosed(io.EOF)
		if p.State() != protocol.Closed || p.HasPending() || !p.Deadline().IsZero() {
			t.Fatalf("after the transport's end: state %v", p.State())
		}
		ce := p.Result()
		if ce == nil || ce.Code != closecode.NoStatus && ce.Code != closecode.Abnormal && !ce.Code.ValidOnWire() {
			t.Fatalf("result %v", ce)
		}
		if fault != nil && (ce.Code != fault.Code || ce.Err != fault) {
			t.Fatalf("result %v after fault %v", ce, fault)
		}
		if d := protoAllocated() - before; d > 8*uint64(len(data))+16<<20 && !protoRace {
			t.Fatalf("%d bytes allocated for an input of %d", d, len(data))
		}
	})
}
