package protocol_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/mask"
	"github.com/hybi/ws/protocol"
)

// t0 is the start of every test's clock.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func newProto(t testing.TB, cfg protocol.Config) *protocol.Protocol {
	t.Helper()
	p, err := protocol.New(cfg, t0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func server(t testing.TB) *protocol.Protocol {
	return newProto(t, protocol.Config{Role: frame.Server})
}

func client(t testing.TB) *protocol.Protocol {
	return newProto(t, protocol.Config{Role: frame.Client})
}

// testKey masks the frames built by frm.
var testKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// frm encodes a frame, masked when masked is set.
func frm(fin bool, op frame.Opcode, rsv byte, masked bool, payload []byte) []byte {
	h := frame.Header{Fin: fin, Rsv: rsv, Opcode: op, Masked: masked, Key: testKey, Length: int64(len(payload))}
	b := frame.AppendHeader(nil, h)
	start := len(b)
	b = append(b, payload...)
	if masked {
		mask.Apply(testKey, 0, b[start:])
	}
	return b
}

// toServer encodes a frame as a client sends it (masked).
func toServer(fin bool, op frame.Opcode, payload string) []byte {
	return frm(fin, op, 0, true, []byte(payload))
}

// toClient encodes a frame as a server sends it (unmasked).
func toClient(fin bool, op frame.Opcode, payload string) []byte {
	return frm(fin, op, 0, false, []byte(payload))
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// ev is an Event with its data copied, for comparisons.
type ev struct {
	Kind       protocol.EventKind
	Type       protocol.MessageType
	Compressed bool
	Data       string
	Code       closecode.Code
	Reason     string
}

func (e ev) String() string {
	switch e.Kind {
	case protocol.EventMessageStart:
		return fmt.Sprintf("start(%v,%v)", e.Type, e.Compressed)
	case protocol.EventData, protocol.EventPing, protocol.EventPong:
		return fmt.Sprintf("%v(%q)", e.Kind, e.Data)
	case protocol.EventClose:
		return fmt.Sprintf("close(%d,%q)", e.Code, e.Reason)
	}
	return e.Kind.String()
}

func copyEvent(e protocol.Event) ev {
	return ev{Kind: e.Kind, Type: e.Type, Compressed: e.Compressed, Data: string(e.Data), Code: e.Code, Reason: e.Reason}
}

// feed gives in to p in chunks of chunk bytes (all at once if 0), parsing
// until each chunk is used up, and returns the events, consecutive data
// events merged, and the first error. The input is copied first: Parse
// writes into it.
func feed(t testing.TB, p *protocol.Protocol, in []byte, chunk int) ([]ev, error) {
	t.Helper()
	return feedWith(t, p, in, chunk, false)
}

// feedCollect is feed through Collect: the start of a message is rendered
// when Collect first reports the message open, and its end must carry its
// type.
func feedCollect(t testing.TB, p *protocol.Protocol, in []byte, chunk int) ([]ev, error) {
	t.Helper()
	return feedWith(t, p, in, chunk, true)
}

func feedWith(t testing.TB, p *protocol.Protocol, in []byte, chunk int, collect bool) ([]ev, error) {
	t.Helper()
	in = append([]byte(nil), in...)
	var evs []ev
	var firstErr error
	var data []byte // consecutive data events, merged
	var open protocol.MessageType
	flush := func() {
		if len(data) > 0 {
			evs = append(evs, ev{Kind: protocol.EventData, Data: string(data)})
			data = data[:0]
		}
	}
	if chunk <= 0 {
		chunk = len(in) + 1
	}
	for off := 0; ; off += chunk {
		part := in[min(off, len(in)):min(off+chunk, len(in))]
		for guard := 0; ; guard++ {
			if guard > 10*len(in)+100 {
				t.Fatalf("no progress at offset %d", off)
			}
			var e protocol.Event
			var n int
			var err error
			if collect {
				e, n, err = p.Collect(&data, part)
			} else {
				e, n, err = p.Parse(part)
			}
			if n < 0 || n > len(part) {
				t.Fatalf("consumed %d of %d", n, len(part))
			}
			part = part[n:]
			if collect && e.Type != 0 && open == 0 {
				evs = append(evs, ev{Kind: protocol.EventMessageStart, Type: e.Type, Compressed: e.Compressed})
				open = e.Type
			}
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			if collect && (e.Kind == protocol.EventMessageStart || e.Kind == protocol.EventData) {
				t.Fatalf("Collect reported %v", e.Kind)
			}
			if e.Kind == protocol.EventNone {
				if len(part) != 0 {
					t.Fatalf("EventNone with %d bytes left", len(part))
				}
				break
			}
			if e.Kind == protocol.EventData && len(e.Data) == 0 {
				t.Fatal("empty data event")
			}
			if e.Kind == protocol.EventData {
				data = append(data, e.Data...)
				continue
			}
			flush()
			if collect && e.Kind == protocol.EventMessageEnd {
				if e.Type != open {
					t.Fatalf("message end of type %v, want %v", e.Type, open)
				}
				open = 0
			}
			evs = append(evs, copyEvent(e))
		}
		if off >= len(in) {
			flush()
			return evs, firstErr
		}
	}
}

func evsString(evs []ev) string {
	s := make([]string, len(evs))
	for i, e := range evs {
		s[i] = e.String()
	}
	return strings.Join(s, " ")
}

// wantEvents checks that in, fed to a fresh Protocol made by mk in every
// chunking from 1 byte to all of it, yields want (as evsString renders it)
// and an error with code (0: none).
func wantEvents(t *testing.T, mk func() *protocol.Protocol, in []byte, want string, code closecode.Code) {
	t.Helper()
	chunks := []int{0, 1, 2, 3, 5, 7, 13, 64}
	for _, chunk := range chunks {
		p := mk()
		evs, err := feed(t, p, in, chunk)
		if got := evsString(evs); got != want {
			t.Fatalf("chunk %d: events\n  %s\nwant\n  %s", chunk, got, want)
		}
		checkCode(t, err, code)
		// Collect must agree with Parse.
		cevs, cerr := feedCollect(t, mk(), in, chunk)
		if got, want := evsString(cevs), evsString(evs); got != want {
			t.Fatalf("chunk %d: collected\n  %s\nwant\n  %s", chunk, got, want)
		}
		checkCode(t, cerr, code)
	}
}

func checkCode(t testing.TB, err error, code closecode.Code) {
	t.Helper()
	if code == 0 {
		if err != nil {
			t.Fatalf("error %v", err)
		}
		return
	}
	var pe *closecode.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T), want a *closecode.Error with %d", err, err, code)
	}
	if pe.Code != code {
		t.Fatalf("error %v, want code %d", err, code)
	}
}

// parsed is a frame as the peer sees it.
type parsed struct {
	h       frame.Header
	payload []byte
}

// frames decodes b, frames of a peer with role from, unmasking payloads;
// it fails the test on a malformed stream.
func frames(t testing.TB, b []byte, from frame.Role) []parsed {
	t.Helper()
	var out []parsed
	for len(b) > 0 {
		h, n, err := frame.ParseHeader(b)
		if err != nil {
			t.Fatalf("output: %v in %q", err, b)
		}
		if h.Masked != (from == frame.Client) {
			t.Fatalf("output frame masked=%v from a %v", h.Masked, from)
		}
		b = b[n:]
		if int64(len(b)) < h.Length {
			t.Fatalf("output frame cut: %d < %d", len(b), h.Length)
		}
		pl := append([]byte(nil), b[:h.Length]...)
		b = b[h.Length:]
		if h.Masked {
			mask.Apply(h.Key, 0, pl)
		}
		out = append(out, parsed{h, pl})
	}
	return out
}

// closeFrame returns the code and reason of the single close frame in b.
func closeOf(t testing.TB, b []byte, from frame.Role) (closecode.Code, string) {
	t.Helper()
	fs := frames(t, b, from)
	if len(fs) == 0 || fs[len(fs)-1].h.Opcode != frame.OpClose {
		t.Fatalf("no close frame at the end of %q", b)
	}
	code, reason, err := closecode.Parse(fs[len(fs)-1].payload)
	if err != nil {
		t.Fatalf("close payload %q: %v", fs[len(fs)-1].payload, err)
	}
	return code, reason
}

func wantClose(t testing.TB, p *protocol.Protocol, code closecode.Code, clean bool) *protocol.CloseError {
	t.Helper()
	if p.State() != protocol.Closed {
		t.Fatalf("state %v, want CLOSED", p.State())
	}
	ce := p.Result()
	if ce == nil || ce.Code != code || ce.Clean != clean {
		t.Fatalf("result %v, want code %d clean %v", ce, code, clean)
	}
	return ce
}
