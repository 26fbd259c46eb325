package fuzz

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/mask"
	"github.com/hybi/ws/protocol"
)

// Helpers of the protocol targets (FuzzProtocolChunks, FuzzProtocolInput,
// FuzzProtocolRoundTrip), which drive a protocol.Protocol directly.

// protoT0 is the start of the targets' clock.
var protoT0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// protoWatchdog panics if the returned stop is not called within 10 s, so
// that the fuzzing engine records a hang as a crasher.
func protoWatchdog() (stop func() bool) {
	return time.AfterFunc(10*time.Second, func() {
		panic("fuzz: watchdog: a protocol input took longer than 10s")
	}).Stop
}

// Bits of the mode argument of the protocol targets.
const (
	protoClient  = 1 << iota // the Protocol is a client (else a server)
	protoDeflate             // permessage-deflate negotiated
	protoNoTake              // with protoDeflate: no context takeover either way
	protoWindow              // with protoDeflate: 9-bit windows
	protoLimit0              // protoLimit0|protoLimit1 pick the read limit
	protoLimit1
)

// protoLimits are the read limits the mode picks from. Without compression
// they include the extremes; with it, limits that bound the inflating work.
var (
	protoLimits        = [4]int64{10, 1000, math.MaxInt64, -1}
	protoDeflateLimits = [4]int64{10, 1000, 64 << 10, 1 << 20}
)

// protoConfig returns the Config mode selects.
func protoConfig(mode uint8) protocol.Config {
	cfg := protocol.Config{Role: frame.Server}
	if mode&protoClient != 0 {
		cfg.Role = frame.Client
	}
	lim := int(mode/protoLimit0) & 3
	cfg.ReadLimit = protoLimits[lim]
	if mode&protoDeflate != 0 {
		cfg.ReadLimit = protoDeflateLimits[lim]
		p := deflate.Params{}
		if mode&protoNoTake != 0 {
			p.ServerNoContextTakeover, p.ClientNoContextTakeover = true, true
		}
		if mode&protoWindow != 0 {
			p.ServerMaxWindowBits, p.ClientMaxWindowBits = 9, 9
		}
		cfg.Deflate = &p
	}
	return cfg
}

// protoPeer returns the config of the peer of a Protocol configured by cfg:
// the other role, the same compression, no read limit.
func protoPeer(cfg protocol.Config) protocol.Config {
	peer := cfg
	peer.Role = frame.Server + frame.Client - cfg.Role
	peer.ReadLimit = -1
	return peer
}

func protoNew(t *testing.T, cfg protocol.Config) *protocol.Protocol {
	p, err := protocol.New(cfg, protoT0)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return p
}

// protoFrame encodes a frame, masked with a fixed key when masked is set.
func protoFrame(fin bool, op frame.Opcode, rsv byte, masked bool, payload []byte) []byte {
	key := [4]byte{0xa1, 0x52, 0x0c, 0xf3}
	b := frame.AppendHeader(nil, frame.Header{Fin: fin, Rsv: rsv, Opcode: op, Masked: masked, Key: key, Length: int64(len(payload))})
	start := len(b)
	b = append(b, payload...)
	if masked {
		mask.Apply(key, 0, b[start:])
	}
	return b
}

// protoCompress compresses msgs as consecutive messages of one compressor
// with context takeover (or not).
func protoCompress(takeover bool, msgs ...string) [][]byte {
	var cfg deflate.Config
	cfg.NoContextTakeover = !takeover
	c := cfg.NewCompressor(deflate.Params{}, true)
	defer c.Close()
	var out [][]byte
	for _, m := range msgs {
		out = append(out, c.Compress(nil, []byte(m)))
	}
	return out
}

// protoSeeds returns byte streams for the targets' seeds, as a peer of a
// Protocol of the given role sends them: valid and invalid frames,
// fragmentation, control frames between fragments, compressed messages.
func protoSeeds(role frame.Role) [][]byte {
	m := role == frame.Server // the peer is a client: it masks
	fr := func(fin bool, op frame.Opcode, rsv byte, p string) []byte {
		return protoFrame(fin, op, rsv, m, []byte(p))
	}
	z := protoCompress(true, "Hello, Hello, Hello!", "Hello again, Hello!")
	big := strings.Repeat("abcdefghij", 150)
	return [][]byte{
		bytes.Join([][]byte{fr(true, frame.OpText, 0, "Hello"), fr(true, frame.OpPing, 0, "ping"), fr(true, frame.OpClose, 0, "\x03\xe8bye")}, nil),
		bytes.Join([][]byte{fr(false, frame.OpText, 0, "Hel"), fr(true, frame.OpPing, 0, ""), fr(false, frame.OpContinuation, 0, "lo "),
			fr(true, frame.OpPong, 0, "x"), fr(true, frame.OpContinuation, 0, "wörld"), fr(true, frame.OpBinary, 0, big)}, nil),
		bytes.Join([][]byte{fr(true, frame.OpText, frame.RSV1, string(z[0])), fr(false, frame.OpBinary, frame.RSV1, string(z[1][:3])),
			fr(true, frame.OpContinuation, 0, string(z[1][3:])), fr(true, frame.OpClose, 0, "")}, nil),
		bytes.Join([][]byte{fr(true, frame.OpText, 0, "bad \xff utf8")}, nil),
		bytes.Join([][]byte{fr(true, frame.OpContinuation, 0, "x")}, nil),
		bytes.Join([][]byte{fr(true, frame.OpBinary, 0, big), fr(true, frame.OpClose, 0, "\x03")}, nil),
		{0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4},
		{0x02, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8},
	}
}

// protoCheckErr checks an error returned by Parse: a *closecode.Error
// whose code can be sent and whose reason fits a close frame.
func protoCheckErr(t *testing.T, err error) *closecode.Error {
	var pe *closecode.Error
	if !errors.As(err, &pe) {
		t.Fatalf("Parse error %v (%T) is not a *closecode.Error", err, err)
	}
	if !pe.Code.ValidOnWire() || len(pe.Reason) > closecode.MaxReasonLen || !utf8.ValidString(pe.Reason) {
		t.Fatalf("Parse error %v: code or reason cannot be sent", err)
	}
	return pe
}

// protoDecoded is an output frame as its receiver sees it: the masking key
// (random for a client) left out, the payload unmasked.
type protoDecoded struct {
	fin     bool
	rsv     byte
	op      frame.Opcode
	payload string
}

// protoDecode decodes a Protocol's output, failing the test if it is not a
// sequence of well-formed frames masked as from's frames must be.
func protoDecode(t *testing.T, out []byte, from frame.Role) []protoDecoded {
	var fs []protoDecoded
	for len(out) > 0 {
		h, n, err := frame.ParseHeader(out)
		if err != nil {
			t.Fatalf("output is not frames: %v in %q", err, out)
		}
		if h.Masked != (from == frame.Client) {
			t.Fatalf("output frame of a %v masked=%v", from, h.Masked)
		}
		out = out[n:]
		if int64(len(out)) < h.Length {
			t.Fatalf("output frame cut short")
		}
		pl := append([]byte(nil), out[:h.Length]...)
		out = out[h.Length:]
		if h.Masked {
			mask.Apply(h.Key, 0, pl)
		}
		fs = append(fs, protoDecoded{h.Fin, h.Rsv, h.Opcode, string(pl)})
	}
	return fs
}

// protoEvent renders an event, for comparisons.
func protoEvent(e protocol.Event) string {
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

// protoAllocated returns the bytes allocated on the heap so far by the
// process. runtime/metrics reads it without stopping the world, which
// runtime.ReadMemStats would do, at a high cost on a loaded machine.
func protoAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
