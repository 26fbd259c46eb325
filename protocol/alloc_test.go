package protocol_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

// drain parses in whole, failing the test on an error or a close.
func drain(t testing.TB, p *protocol.Protocol, in []byte) {
	for {
		e, n, err := p.Parse(in)
		if err != nil || e.Kind == protocol.EventClose {
			t.Fatalf("Parse: %v %v", e.Kind, err)
		}
		in = in[n:]
		if e.Kind == protocol.EventNone {
			return
		}
	}
}

func allocs(t *testing.T, name string, f func()) {
	t.Helper()
	f() // warm up pools and buffers
	if n := testing.AllocsPerRun(100, f); n != 0 {
		t.Errorf("%s: %v allocations per run", name, n)
	}
}

func TestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	text := bytes.Repeat([]byte("héllo wörld "), 200)
	for _, comp := range []bool{false, true} {
		cfg := protocol.Config{Role: frame.Server}
		if comp {
			cfg.Deflate = &deflateParams{}
		}
		srv := newProto(t, cfg)
		cfg.Role = frame.Client
		cli := newProto(t, cfg)
		buf := make([]byte, 0, 256<<10)
		in := make([]byte, 0, 256<<10)
		name := map[bool]string{false: "plain", true: "compressed"}[comp]
		for _, typ := range []protocol.MessageType{protocol.Text, protocol.Binary} {
			allocs(t, name+" client to server "+typ.String(), func() {
				out, err := cli.AppendMessage(buf[:0], typ, text)
				if err != nil {
					t.Fatal(err)
				}
				drain(t, srv, append(in[:0], out...))
			})
			allocs(t, name+" server to client "+typ.String(), func() {
				out, err := srv.AppendMessage(buf[:0], typ, text)
				if err != nil {
					t.Fatal(err)
				}
				drain(t, cli, append(in[:0], out...))
			})
			allocs(t, name+" streamed "+typ.String(), func() {
				cli.StartMessage(typ, -1)
				out, _, _ := cli.AppendFrame(buf[:0], text[:1000], false)
				out, _ = cli.AppendFlush(out)
				out, _, _ = cli.AppendFrame(out, text[1000:], true)
				drain(t, srv, append(in[:0], out...))
			})
		}
		allocs(t, name+" zero-copy headers", func() {
			srv.StartMessage(protocol.Binary, 10)
			if srv.ZeroCopy() {
				srv.AppendHeader(buf[:0], 10, true)
			} else {
				srv.AppendFrame(buf[:0], text[:10], true)
			}
		})
		allocs(t, name+" ping, pong, keepalive", func() {
			out, _ := cli.AppendPing(buf[:0], []byte("ping"))
			drain(t, srv, append(in[:0], out...))
			out = srv.AppendPending(buf[:0])
			srv.PendingWritten(t0)
			drain(t, cli, append(in[:0], out...))
		})
	}
	// Keepalive: a ping every tick, answered.
	p := newProto(t, protocol.Config{Role: frame.Client, PingInterval: time.Second})
	now := t0
	buf := make([]byte, 0, 64)
	allocs(t, "keepalive", func() {
		now = now.Add(time.Second)
		p.Tick(p.Deadline())
		if !p.HasPending() {
			t.Fatal("no ping")
		}
		p.AppendPending(buf[:0])
		p.PendingWritten(now)
		p.Alive(now)
	})
}
