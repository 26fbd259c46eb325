//go:build !js

package conn

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/internal/utf8valid"
)

// readers are the two ways of reading a whole message.
var readers = []struct {
	name string
	read func(c *Conn) (MessageType, []byte, error)
}{
	{"Read", func(c *Conn) (MessageType, []byte, error) {
		return c.Read(context.Background(), nil)
	}},
	{"Reader", func(c *Conn) (MessageType, []byte, error) {
		typ, r, err := c.Reader(context.Background())
		if err != nil {
			return 0, nil, err
		}
		var buf bytes.Buffer
		// Small reads, to cross fragment boundaries inside a read call.
		_, err = io.CopyBuffer(struct{ io.Writer }{&buf}, struct{ io.Reader }{r}, make([]byte, 3))
		return typ, buf.Bytes(), err
	}},
}

func TestFragmentedWithPing(t *testing.T) {
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			checkGoroutines(t)
			c, p := rawPair(t, frame.Server, shortOpts())
			res := async(t, func() readRes {
				typ, msg, err := rd.read(c)
				return readRes{typ, msg, err}
			})
			p.send(false, 0, frame.OpText, []byte("Hel"))
			p.send(true, 0, frame.OpPing, []byte("are you there?"))
			_, pong := p.expectFrame(frame.OpPong)
			if string(pong) != "are you there?" {
				t.Fatalf("pong payload %q", pong)
			}
			p.send(false, 0, frame.OpContinuation, []byte("lo, "))
			p.send(false, 0, frame.OpContinuation, nil)
			p.send(true, 0, frame.OpPong, []byte("unsolicited"))
			p.send(true, 0, frame.OpContinuation, []byte("wörld"))
			r := res()
			if r.err != nil || r.typ != Text || string(r.msg) != "Hello, wörld" {
				t.Fatalf("got %v %q %v", r.typ, r.msg, r.err)
			}
			// The next message reads as well.
			res = async(t, func() readRes {
				typ, msg, err := rd.read(c)
				return readRes{typ, msg, err}
			})
			p.send(true, 0, frame.OpBinary, []byte{1, 2, 3})
			if r := res(); r.err != nil || r.typ != Binary || !bytes.Equal(r.msg, []byte{1, 2, 3}) {
				t.Fatalf("got %v %q %v", r.typ, r.msg, r.err)
			}
		})
	}
}

func TestCloseInsideFragmentedMessage(t *testing.T) {
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			checkGoroutines(t)
			c, p := rawPair(t, frame.Server, shortOpts())
			res := async(t, func() readRes {
				typ, msg, err := rd.read(c)
				return readRes{typ, msg, err}
			})
			p.send(false, 0, frame.OpBinary, []byte("part"))
			payload, _ := closecode.Append(nil, 4001, "going")
			p.send(true, 0, frame.OpClose, payload)
			p.expectClose(4001)
			r := res()
			ce := wantCloseError(t, r.err, 4001, true)
			if ce.Reason != "going" {
				t.Fatalf("reason %q", ce.Reason)
			}
			if c.State() != Closed {
				t.Fatalf("state %v", c.State())
			}
			// The server closed TCP: the peer sees EOF.
			if _, _, err := p.recv(); err == nil {
				t.Fatal("peer: frame after close")
			}
			// Later reads report the same end.
			_, _, err := c.Read(context.Background(), nil)
			wantCloseError(t, err, 4001, true)
		})
	}
}

// sendMasked sends a frame with explicit masking, whatever the peer's role.
func (p *rawPeer) sendMasked(masked bool, fin bool, rsv byte, op frame.Opcode, payload []byte) {
	saved := p.role
	p.role = frame.Server
	if masked {
		p.role = frame.Client
	}
	b := p.frameBytes(fin, rsv, op, payload)
	p.role = saved
	p.sendBytes(b)
}

func TestProtocolViolations(t *testing.T) {
	closeWith := func(code uint16, reason string) []byte {
		return append([]byte{byte(code >> 8), byte(code)}, reason...)
	}
	tests := []struct {
		name string
		role frame.Role // role of the Conn under test
		send func(p *rawPeer)
		want closecode.Code
	}{
		{"continuation without message", frame.Server, func(p *rawPeer) {
			p.send(true, 0, frame.OpContinuation, []byte("x"))
		}, closecode.ProtocolError},
		{"continuation without message after one", frame.Server, func(p *rawPeer) {
			p.send(true, 0, frame.OpText, []byte("x"))
			p.send(true, 0, frame.OpContinuation, []byte("x"))
		}, closecode.ProtocolError},
		{"data frame inside message", frame.Server, func(p *rawPeer) {
			p.send(false, 0, frame.OpText, []byte("x"))
			p.send(true, 0, frame.OpBinary, []byte("y"))
		}, closecode.ProtocolError},
		{"text frame inside message", frame.Client, func(p *rawPeer) {
			p.send(false, 0, frame.OpBinary, []byte("x"))
			p.send(false, 0, frame.OpText, []byte("y"))
		}, closecode.ProtocolError},
		{"RSV1 without extension", frame.Server, func(p *rawPeer) {
			p.send(true, frame.RSV1, frame.OpText, []byte("x"))
		}, closecode.ProtocolError},
		{"RSV2", frame.Server, func(p *rawPeer) {
			p.send(true, frame.RSV2, frame.OpBinary, []byte("x"))
		}, closecode.ProtocolError},
		{"RSV3 on continuation", frame.Client, func(p *rawPeer) {
			p.send(false, 0, frame.OpBinary, []byte("x"))
			p.send(true, frame.RSV3, frame.OpContinuation, []byte("x"))
		}, closecode.ProtocolError},
		{"RSV1 on ping", frame.Server, func(p *rawPeer) {
			p.send(true, frame.RSV1, frame.OpPing, nil)
		}, closecode.ProtocolError},
		{"unmasked frame to server", frame.Server, func(p *rawPeer) {
			p.sendMasked(false, true, 0, frame.OpText, []byte("x"))
		}, closecode.ProtocolError},
		{"unmasked ping to server", frame.Server, func(p *rawPeer) {
			p.sendMasked(false, true, 0, frame.OpPing, []byte("x"))
		}, closecode.ProtocolError},
		{"masked frame to client", frame.Client, func(p *rawPeer) {
			p.sendMasked(true, true, 0, frame.OpBinary, []byte("x"))
		}, closecode.ProtocolError},
		{"fragmented ping", frame.Server, func(p *rawPeer) {
			p.send(false, 0, frame.OpPing, []byte("x"))
		}, closecode.ProtocolError},
		{"fragmented close", frame.Client, func(p *rawPeer) {
			p.send(false, 0, frame.OpClose, closeWith(1000, ""))
		}, closecode.ProtocolError},
		{"126-byte pong", frame.Server, func(p *rawPeer) {
			p.send(true, 0, frame.OpPong, make([]byte, 126))
		}, closecode.ProtocolError},
		{"126-byte ping inside message", frame.Client, func(p *rawPeer) {
			p.send(false, 0, frame.OpText, []byte("x"))
			p.send(true, 0, frame.OpPing, make([]byte, 126))
		}, closecode.ProtocolError},
		{"1-byte close", frame.Server, func(p *rawPeer) {
			p.send(true, 0, frame.OpClose, []byte{3})
		}, closecode.ProtocolError},
		{"close 1005", frame.Server, func(p *rawPeer) {
			p.send(true, 0, frame.OpClose, closeWith(1005, ""))
		}, closecode.ProtocolError},
		{"close 1006", frame.Client, func(p *rawPeer) {
			p.send(true, 0, frame.OpClose, closeWith(1006, ""))
		}, closecode.ProtocolError},
		{"close 1015", frame.Server, func(p *rawPeer) {
			p.send(true, 0, frame.OpClose, closeWith(1015, ""))
		}, closecode.ProtocolError},
		{"close 999", frame.Server, func(p *rawPeer) {
			p.send(true, 0, frame.OpClose, closeWith(999, ""))
		}, closecode.ProtocolError},
		{"close 0", frame.Server, func(p *rawPeer) {
			p.send(true, 0, frame.OpClose, closeWith(0, ""))
		}, closecode.ProtocolError},
		{"close 1016", frame.Server, func(p *rawPeer) {
			p.send(true, 0, frame.OpClose, closeWith(1016, ""))
		}, closecode.ProtocolError},
		{"close 2999", frame.Server, func(p *rawPeer) {
			p.send(true, 0, frame.OpClose, closeWith(2999, ""))
		}, closecode.ProtocolError},
		{"close 5000", frame.Client, func(p *rawPeer) {
			p.send(true, 0, frame.OpClose, closeWith(5000, ""))
		}, closecode.ProtocolError},
		{"close reason not UTF-8", frame.Server, func(p *rawPeer) {
			p.send(true, 0, frame.OpClose, closeWith(1000, "ok\xff"))
		}, closecode.InvalidPayload},
		{"close inside message, reason not UTF-8", frame.Server, func(p *rawPeer) {
			p.send(false, 0, frame.OpText, []byte("x"))
			p.send(true, 0, frame.OpClose, closeWith(1001, "\xc0\x80"))
		}, closecode.InvalidPayload},
		{"text not UTF-8", frame.Client, func(p *rawPeer) {
			p.send(true, 0, frame.OpText, []byte("abc\xffdef"))
		}, closecode.InvalidPayload},
		{"text ends inside a sequence", frame.Server, func(p *rawPeer) {
			p.send(true, 0, frame.OpText, []byte("abc\xe2\x82"))
		}, closecode.InvalidPayload},
		{"non-minimal length", frame.Server, func(p *rawPeer) {
			p.sendBytes([]byte{0x82, 0x80 | 126, 0, 5, 1, 2, 3, 4, 1, 2, 3, 4, 5})
		}, closecode.ProtocolError},
	}
	for op := frame.Opcode(3); op <= 0xF; op++ {
		if op == frame.OpClose || op == frame.OpPing || op == frame.OpPong {
			continue
		}
		tests = append(tests, struct {
			name string
			role frame.Role
			send func(p *rawPeer)
			want closecode.Code
		}{"reserved opcode " + op.String(), frame.Server, func(p *rawPeer) {
			p.send(true, 0, op, []byte("x"))
		}, closecode.ProtocolError})
	}
	for _, tt := range tests {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				checkGoroutines(t)
				c, p := rawPair(t, tt.role, shortOpts())
				res := async(t, func() error {
					for {
						if _, _, err := rd.read(c); err != nil {
							return err
						}
					}
				})
				tt.send(p)
				p.failedWith(tt.want)
				err := res()
				ce := wantCloseError(t, err, tt.want, false)
				var pe *closecode.Error
				if !errors.As(ce, &pe) || pe.Code != tt.want {
					t.Fatalf("cause %v, want a *closecode.Error", ce.Err)
				}
				if c.State() != Closed {
					t.Fatalf("state %v", c.State())
				}
			})
		}
	}
}

// invalidAt returns the length of the shortest prefix of s that cannot
// begin valid UTF-8, or -1 if s is valid.
func invalidAt(s string) int {
	for i := 1; i <= len(s); i++ {
		var v utf8valid.Validator
		if !v.Write([]byte(s[:i])) {
			return i
		}
	}
	return -1
}

func TestInvalidUTF8FailsFast(t *testing.T) {
	cases := []string{
		"aé€𝄞\xed\xa0\x80zz", // surrogate: invalid at its second byte
		"€\xf4\x90\x80\x80",  // above U+10FFFF
		"ab\xc0\xafcd",       // overlong
		"é\x80abc",           // stray continuation byte
		"\xe2\x82\x41",       // sequence cut by ASCII
		"héllo\xf0\x9f\x98",  // truncated at the end (only the end shows it)
	}
	for _, s := range cases {
		bad := invalidAt(s)
		for split := 0; split <= len(s); split++ {
			checkGoroutines(t)
			c, p := rawPair(t, frame.Server, shortOpts())
			res := async(t, func() error {
				_, _, err := c.Read(context.Background(), nil)
				return err
			})
			p.send(false, 0, frame.OpText, []byte(s[:split]))
			if bad < 0 || split < bad {
				p.send(true, 0, frame.OpContinuation, []byte(s[split:]))
			}
			// When the first fragment already shows the fault, nothing
			// more is sent: the close must come anyway.
			p.failedWith(closecode.InvalidPayload)
			wantCloseError(t, res(), closecode.InvalidPayload, false)
			c.CloseNow()
		}
	}
}

func TestInvalidUTF8ByteFragments(t *testing.T) {
	checkGoroutines(t)
	s := "ok€\xe0\x80\x80 never sent"
	bad := invalidAt(s)
	c, p := rawPair(t, frame.Client, shortOpts())
	res := async(t, func() error {
		_, _, err := c.Read(context.Background(), nil)
		return err
	})
	p.send(false, 0, frame.OpText, nil)
	for i := 0; i < bad; i++ {
		p.send(false, 0, frame.OpContinuation, []byte{s[i]})
	}
	p.failedWith(closecode.InvalidPayload)
	wantCloseError(t, res(), closecode.InvalidPayload, false)
}

func TestValidUTF8AnySplit(t *testing.T) {
	checkGoroutines(t)
	s := "aé€𝄞b\u07ff\uffff\U0010ffff"
	c, p := rawPair(t, frame.Server, shortOpts())
	for _, rd := range readers {
		for i := 0; i <= len(s); i++ {
			for j := i; j <= len(s); j += 3 {
				res := async(t, func() readRes {
					typ, msg, err := rd.read(c)
					return readRes{typ, msg, err}
				})
				p.send(false, 0, frame.OpText, []byte(s[:i]))
				p.send(false, 0, frame.OpContinuation, []byte(s[i:j]))
				p.send(true, 0, frame.OpContinuation, []byte(s[j:]))
				r := res()
				if r.err != nil || string(r.msg) != s {
					t.Fatalf("%s split %d,%d: %q %v", rd.name, i, j, r.msg, r.err)
				}
			}
		}
	}
}

func TestReadLimit(t *testing.T) {
	const limit = 1000
	opts := func() *Options { o := shortOpts(); o.ReadLimit = limit; return o }
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			checkGoroutines(t)
			c, p := rawPair(t, frame.Server, opts())
			// Exactly at the limit, in one frame and in several.
			for _, parts := range [][]int{{limit}, {400, 0, 600}, {1, 998, 1}} {
				res := async(t, func() readRes {
					typ, msg, err := rd.read(c)
					return readRes{typ, msg, err}
				})
				want := make([]byte, 0, limit)
				for i, n := range parts {
					op := frame.OpBinary
					if i > 0 {
						op = frame.OpContinuation
					}
					chunk := bytes.Repeat([]byte{byte('a' + i)}, n)
					want = append(want, chunk...)
					p.send(i == len(parts)-1, 0, op, chunk)
				}
				if r := res(); r.err != nil || !bytes.Equal(r.msg, want) {
					t.Fatalf("%v: %d bytes, %v", parts, len(r.msg), r.err)
				}
			}
		})
	}
	over := []struct {
		name string
		send func(p *rawPeer)
	}{
		{"single frame", func(p *rawPeer) { p.send(true, 0, frame.OpBinary, make([]byte, limit+1)) }},
		{"fragmented", func(p *rawPeer) {
			p.send(false, 0, frame.OpText, make([]byte, 500))
			p.send(false, 0, frame.OpContinuation, make([]byte, 500))
			p.send(true, 0, frame.OpContinuation, []byte{0})
		}},
		{"header only", func(p *rawPeer) {
			p.sendBytes(frame.AppendHeader(nil, frame.Header{Fin: true, Opcode: frame.OpBinary, Masked: true, Length: limit + 1}))
		}},
		{"continuation header only", func(p *rawPeer) {
			p.send(false, 0, frame.OpBinary, make([]byte, 999))
			p.sendBytes(frame.AppendHeader(nil, frame.Header{Fin: true, Opcode: frame.OpContinuation, Masked: true, Length: 2}))
		}},
	}
	for _, tt := range over {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				checkGoroutines(t)
				c, p := rawPair(t, frame.Server, opts())
				res := async(t, func() error {
					_, _, err := rd.read(c)
					return err
				})
				tt.send(p)
				p.failedWith(closecode.MessageTooBig)
				wantCloseError(t, res(), closecode.MessageTooBig, false)
			})
		}
	}
}

// allocatedDuring returns the bytes allocated while f runs.
func allocatedDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestHugeHeaderAllocatesNothing(t *testing.T) {
	for _, limit := range []int64{0, -1} { // the default, and no limit
		checkGoroutines(t)
		o := shortOpts()
		o.ReadLimit = limit
		c, p := rawPair(t, frame.Server, o)
		var err error
		n := allocatedDuring(func() {
			res := async(t, func() error {
				_, _, err := c.Read(context.Background(), nil)
				return err
			})
			p.sendBytes(frame.AppendHeader(nil, frame.Header{Fin: true, Opcode: frame.OpBinary, Masked: true, Length: 1 << 30}))
			p.sendBytes(make([]byte, 100))
			if limit == 0 {
				p.failedWith(closecode.MessageTooBig)
			} else {
				p.nc.Close() // the peer vanishes after its claim
			}
			err = res()
		})
		if limit == 0 {
			wantCloseError(t, err, closecode.MessageTooBig, false)
		} else {
			wantCloseError(t, err, closecode.Abnormal, false)
		}
		if n > 4<<20 {
			t.Errorf("limit %d: a 1 GiB claim allocated %d bytes", limit, n)
		}
	}
}

func TestTruncatedMessageIsNotAMessage(t *testing.T) {
	for _, size := range []int{100, 20000} { // buffered and direct reads
		for _, rd := range readers {
			checkGoroutines(t)
			c, p := rawPair(t, frame.Server, shortOpts())
			res := async(t, func() readRes {
				typ, msg, err := rd.read(c)
				return readRes{typ, msg, err}
			})
			b := p.frameBytes(true, 0, frame.OpBinary, make([]byte, size))
			p.sendBytes(b[:len(b)-size/2])
			p.nc.Close()
			r := res()
			ce := wantCloseError(t, r.err, closecode.Abnormal, false)
			if !errors.Is(ce, io.ErrUnexpectedEOF) {
				t.Errorf("%s %d: cause %v", rd.name, size, ce.Err)
			}
		}
	}
}

func TestReadCancelledBeforeMessage(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Server, shortOpts())
	ctx, cancel := context.WithCancel(context.Background())
	res := async(t, func() error {
		_, _, err := c.Read(ctx, nil)
		return err
	})
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := res(); err != context.Canceled {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	// A deadline, with a partial header and a partial ping buffered when
	// it strikes.
	// The masked ping's header is 6 bytes: cut inside its payload.
	p.sendBytes(p.frameBytes(true, 0, frame.OpPing, []byte("ping!"))[:8])
	ctx, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	_, _, err := c.Read(ctx, nil)
	if err != context.DeadlineExceeded {
		t.Fatalf("err %v, want context.DeadlineExceeded", err)
	}
	// An already cancelled context reads nothing.
	if _, _, err := c.Read(ctx, nil); err != context.DeadlineExceeded {
		t.Fatalf("err %v", err)
	}
	if _, _, err := c.Reader(ctx); err == nil {
		t.Fatal("Reader with a done context")
	}
	if c.State() != Open {
		t.Fatalf("state %v", c.State())
	}
	b := p.frameBytes(true, 0, frame.OpPing, []byte("ping!"))
	p.sendBytes(b[8:])
	p.send(true, 0, frame.OpText, []byte("still here"))
	res2 := readAsync(t, c)
	if _, pong := p.expectFrame(frame.OpPong); string(pong) != "ping!" {
		t.Fatalf("pong %q", pong)
	}
	r := res2()
	if r.err != nil || string(r.msg) != "still here" {
		t.Fatalf("%q %v", r.msg, r.err)
	}
}

func TestReadCancelledMidMessage(t *testing.T) {
	for _, rd := range []string{"Read", "Reader"} {
		checkGoroutines(t)
		c, p := rawPair(t, frame.Server, shortOpts())
		ctx, cancel := context.WithCancel(context.Background())
		res := async(t, func() error {
			if rd == "Read" {
				_, _, err := c.Read(ctx, nil)
				return err
			}
			_, r, err := c.Reader(ctx)
			if err != nil {
				return err
			}
			_, err = io.ReadAll(r)
			return err
		})
		p.send(false, 0, frame.OpText, []byte("half a mess"))
		time.Sleep(20 * time.Millisecond)
		cancel()
		if err := res(); err != context.Canceled {
			t.Fatalf("%s: err %v", rd, err)
		}
		if c.State() != Closed {
			t.Fatalf("%s: state %v", rd, c.State())
		}
		_, _, err := c.Read(context.Background(), nil)
		ce := wantCloseError(t, err, closecode.Abnormal, false)
		if !errors.Is(ce, context.Canceled) {
			t.Fatalf("cause %v", ce.Err)
		}
	}
}

func TestReaderDiscardsUnreadRest(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Server, shortOpts())
	p.send(false, 0, frame.OpText, []byte("first "))
	p.send(true, 0, frame.OpContinuation, []byte(strings.Repeat("x", 5000)))
	p.send(true, 0, frame.OpBinary, []byte("second"))
	_, r, err := c.Reader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var b [3]byte
	if n, err := r.Read(b[:]); n != 3 || err != nil {
		t.Fatalf("%d %v", n, err)
	}
	typ, msg, err := c.Read(context.Background(), nil)
	if err != nil || typ != Binary || string(msg) != "second" {
		t.Fatalf("%v %q %v", typ, msg, err)
	}
}

func TestPeerVanishes(t *testing.T) {
	checkGoroutines(t)
	c, p := rawPair(t, frame.Client, shortOpts())
	res := readAsync(t, c)
	p.nc.Close()
	ce := wantCloseError(t, res().err, closecode.Abnormal, false)
	if ce.Err == nil {
		t.Fatal("no cause")
	}
	if err := c.Write(context.Background(), Text, []byte("x")); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("write after end: %v", err)
	}
}
