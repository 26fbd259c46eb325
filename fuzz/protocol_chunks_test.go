package fuzz

import (
	"bytes"
	"slices"
	"strconv"
	"testing"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

// protoRun is what a Protocol made of one stream.
type protoRun struct {
	events []string // consecutive data events merged
	tail   []byte   // data after the last other event, when the run failed
	err    string
	code   closecode.Code
	reason string
	out    []protoDecoded
	state  protocol.State
}

// protoParse feeds stream to a new Protocol configured by cfg, in chunks of
// size(i) bytes for the i-th chunk, appending the pending output after
// every call. With collect it goes through Collect, the entry point for
// drivers that collect whole messages, instead of Parse: a message's start
// is then rendered when Collect first reports the message open, before its
// data, so that both yield the same events.
func protoParse(t *testing.T, cfg protocol.Config, stream []byte, size func(i int) int, collect bool) protoRun {
	p := protoNew(t, cfg)
	in := append([]byte(nil), stream...) // Parse unmasks in place
	var r protoRun
	var data, out []byte
	open := false
	parse := func(part []byte) {
		for {
			var e protocol.Event
			var n int
			var err error
			if collect {
				e, n, err = p.Collect(&data, part)
			} else {
				e, n, err = p.Parse(part)
			}
			if n < 0 || n > len(part) {
				t.Fatalf("consumed %d of %d bytes", n, len(part))
			}
			part = part[n:]
			out = p.AppendPending(out)
			if collect && e.Type != 0 && !open {
				r.events = append(r.events, protoEvent(protocol.Event{Kind: protocol.EventMessageStart, Type: e.Type, Compressed: e.Compressed}))
				open = true
			}
			if err != nil {
				if r.err != "" {
					t.Fatalf("second error %v after %v", err, r.err)
				}
				pe := protoCheckErr(t, err)
				r.err, r.code, r.reason = err.Error(), pe.Code, pe.Reason
				continue
			}
			if collect && (e.Kind == protocol.EventMessageStart || e.Kind == protocol.EventData) {
				t.Fatalf("Collect reported %v", e.Kind)
			}
			if e.Kind == protocol.EventNone {
				if len(part) != 0 {
					t.Fatalf("EventNone with %d bytes left", len(part))
				}
				return
			}
			if e.Kind == protocol.EventData {
				data = append(data, e.Data...)
				continue
			}
			if len(data) > 0 {
				r.events = append(r.events, "data("+strconv.Quote(string(data))+")")
				data = data[:0]
			}
			if collect && e.Kind == protocol.EventMessageEnd {
				if !open {
					t.Fatal("EventMessageEnd without the message's type")
				}
				open = false
			}
			r.events = append(r.events, protoEvent(e))
		}
	}
	off := 0
	for i := 0; off < len(in); i++ {
		k := min(size(i), len(in)-off)
		parse(in[off : off+k])
		off += k
	}
	parse(nil)
	if r.err == "" && len(data) > 0 {
		r.events = append(r.events, "data("+strconv.Quote(string(data))+")")
	} else {
		r.tail = data
	}
	r.out = protoDecode(t, out, cfg.Role)
	r.state = p.State()
	if p.HasPending() {
		t.Fatal("pending output after AppendPending")
	}
	return r
}

// FuzzProtocolChunks is a differential target: one byte stream, fed to
// three Protocols configured alike (role, compression and read limit from
// mode) whole, one byte at a time, and in chunks whose sizes come from
// chunks (cycled), with the pending output appended after every Parse call.
// The three must yield the same events (consecutive data events merged),
// the same error, the same state and the same output bytes (frames compared
// without their masking keys, which are random for a client). The one
// difference allowed is in the data delivered before an invalid UTF-8
// error: a text message fails as soon as its bytes cannot be valid, so how
// much of its valid prefix came out depends on the chunking, and is
// longest one byte at a time. The stream also goes through Collect, whole
// and in the same chunks, which must agree with Parse.
func FuzzProtocolChunks(f *testing.F) {
	for _, mode := range []uint8{0, protoClient, protoDeflate, protoDeflate | protoClient | protoNoTake, protoLimit0 | protoLimit1} {
		role := frame.Server
		if mode&protoClient != 0 {
			role = frame.Client
		}
		for i, s := range protoSeeds(role) {
			f.Add(s, mode, []byte{byte(i), 7, 1, 200, 0, 13})
		}
	}
	f.Fuzz(func(t *testing.T, stream []byte, mode uint8, chunks []byte) {
		defer protoWatchdog()()
		cfg := protoConfig(mode)
		whole := protoParse(t, cfg, stream, func(int) int { return len(stream) }, false)
		bytewise := protoParse(t, cfg, stream, func(int) int { return 1 }, false)
		chunkSize := func(i int) int {
			if len(chunks) == 0 {
				return 3
			}
			return int(chunks[i%len(chunks)]) + 1
		}
		chunked := protoParse(t, cfg, stream, chunkSize, false)
		for _, r := range []struct {
			name string
			run  protoRun
		}{
			{"whole", whole},
			{"chunked", chunked},
			{"collected whole", protoParse(t, cfg, stream, func(int) int { return len(stream) }, true)},
			{"collected in chunks", protoParse(t, cfg, stream, chunkSize, true)},
		} {
			if !slices.Equal(r.run.events, bytewise.events) {
				t.Fatalf("%s: events\n%q\nbyte by byte:\n%q", r.name, r.run.events, bytewise.events)
			}
			if r.run.err != bytewise.err {
				t.Fatalf("%s: error %q, byte by byte %q", r.name, r.run.err, bytewise.err)
			}
			utf8Fault := bytewise.code == closecode.InvalidPayload && bytewise.reason == "invalid UTF-8 in text message"
			if utf8Fault && !bytes.HasPrefix(bytewise.tail, r.run.tail) || !utf8Fault && !bytes.Equal(r.run.tail, bytewise.tail) {
				t.Fatalf("%s: data before the error %q, byte by byte %q", r.name, r.run.tail, bytewise.tail)
			}
			if !slices.Equal(r.run.out, bytewise.out) {
				t.Fatalf("%s: output\n%+v\nbyte by byte:\n%+v", r.name, r.run.out, bytewise.out)
			}
			if r.run.state != bytewise.state {
				t.Fatalf("%s: state %v, byte by byte %v", r.name, r.run.state, bytewise.state)
			}
		}
	})
}
