package protocol_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

func prepared(t testing.TB, typ protocol.MessageType, data []byte) *protocol.PreparedMessage {
	t.Helper()
	m, err := protocol.NewPreparedMessage(typ, data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// messages parses in at p and returns the messages it holds, as
// "type:data" strings, failing on an error or any other event.
func messages(t testing.TB, p *protocol.Protocol, in []byte) []string {
	t.Helper()
	evs, err := feed(t, p, in, 0)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var out []string
	var cur *strings.Builder
	for _, e := range evs {
		switch e.Kind {
		case protocol.EventMessageStart:
			cur = new(strings.Builder)
			cur.WriteString(e.Type.String() + ":")
		case protocol.EventData:
			cur.WriteString(e.Data)
		case protocol.EventMessageEnd:
			out = append(out, cur.String())
		default:
			t.Fatalf("unexpected event %v", e)
		}
	}
	return out
}

func TestPreparedBadType(t *testing.T) {
	if _, err := protocol.NewPreparedMessage(protocol.MessageType(frame.OpPing), nil); !errors.Is(err, protocol.ErrBadType) {
		t.Fatalf("NewPreparedMessage(ping): %v, want ErrBadType", err)
	}
}

// An uncompressed server's prepared frames are exactly the frames of the
// same message sent as its own, fragmented alike.
func TestPreparedServerFramesMatch(t *testing.T) {
	for _, size := range []int{0, 5, 125, 126, 300, 70000} {
		data := bytes.Repeat([]byte("x"), size)
		m := prepared(t, protocol.Binary, data)
		for _, maxFrame := range []int{0, 100} {
			p := newProto(t, protocol.Config{Role: frame.Server, MaxFrameSize: maxFrame})
			want, err := p.AppendMessage(nil, protocol.Binary, data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.AppendPrepared(nil, m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("size %d maxFrame %d: prepared frames differ from AppendMessage's", size, maxFrame)
			}
			shared, err := p.PreparedFrames(m)
			if err != nil || !bytes.Equal(shared, want) {
				t.Fatalf("PreparedFrames: %v, equal %v", err, bytes.Equal(shared, want))
			}
			if n := p.PreparedSize(m); n != len(want) {
				t.Fatalf("PreparedSize %d, want %d", n, len(want))
			}
		}
	}
}

// takeoverPair returns a server and a client that negotiated
// permessage-deflate with params, the server compressing at level.
func deflatePair(t testing.TB, params deflate.Params, level, maxFrame int) (srv, cli *protocol.Protocol) {
	srv = newProto(t, protocol.Config{Role: frame.Server, Deflate: &params, Compression: &deflate.Config{Level: level}, MaxFrameSize: maxFrame})
	cli = newProto(t, protocol.Config{Role: frame.Client, Deflate: &params, MaxFrameSize: maxFrame})
	return srv, cli
}

// interleave sends, on a connection from "from" to "to", ordinary and
// prepared messages in turn, each ordinary one repeating much of the text
// before it so that a compressor with context refers back into earlier
// messages, and checks that "to" decodes every message.
func interleave(t *testing.T, from, to *protocol.Protocol, send func(p *protocol.Protocol, m *protocol.PreparedMessage) []byte) {
	t.Helper()
	var wire []byte
	var want []string
	for i := range 12 {
		var msg string
		if i%3 == 1 {
			msg = fmt.Sprintf("broadcast %d: %s", i, strings.Repeat("the quick brown fox jumps over the lazy dog ", 1+i))
			wire = append(wire, send(from, prepared(t, protocol.Text, []byte(msg)))...)
		} else {
			msg = fmt.Sprintf("own %d: %s", i, strings.Repeat("lorem ipsum dolor sit amet, quick brown fox ", 2+i%4))
			var err error
			wire, err = from.AppendMessage(wire, protocol.Text, []byte(msg))
			if err != nil {
				t.Fatal(err)
			}
		}
		want = append(want, "text:"+msg)
	}
	got := messages(t, to, wire)
	if len(got) != len(want) {
		t.Fatalf("decoded %d messages, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("message %d decoded as %.60q..., want %.60q...", i, got[i], want[i])
		}
	}
}

func appendPrepared(t *testing.T) func(p *protocol.Protocol, m *protocol.PreparedMessage) []byte {
	return func(p *protocol.Protocol, m *protocol.PreparedMessage) []byte {
		b, err := p.AppendPrepared(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// TestPreparedContextTakeover is the trap: with context takeover the
// receiver adds a prepared message's plaintext to its window, which the
// sender's compressor did not see. Interleaved prepared and ordinary
// messages must all decode, in both directions, at every level and window.
func TestPreparedContextTakeover(t *testing.T) {
	for _, params := range []deflate.Params{
		{},
		{ClientNoContextTakeover: true},
		{ServerNoContextTakeover: true},
		{ServerMaxWindowBits: 10, ClientMaxWindowBits: 10},
	} {
		for _, level := range []int{flate.BestSpeed, flate.DefaultCompression, flate.BestCompression} {
			for _, maxFrame := range []int{0, 64} {
				name := fmt.Sprintf("%+v/level=%d/maxFrame=%d", params, level, maxFrame)
				t.Run(name, func(t *testing.T) {
					srv, cli := deflatePair(t, params, level, maxFrame)
					interleave(t, srv, cli, appendPrepared(t))
					interleave(t, cli, srv, appendPrepared(t))
				})
			}
		}
	}
}

// TestPreparedTrapDetected shows that the interleaving test catches the
// trap: frames compressed elsewhere, spliced into a context-takeover
// stream without the sender's compressor knowing, make the receiver
// decode the next ordinary message wrong.
func TestPreparedTrapDetected(t *testing.T) {
	srv, cli := deflatePair(t, deflate.Params{}, flate.BestSpeed, 0)
	other := newProto(t, protocol.Config{Role: frame.Server, Deflate: &deflate.Params{ServerNoContextTakeover: true}})
	text := strings.Repeat("the quick brown fox jumps over the lazy dog ", 8)
	wire, _ := srv.AppendMessage(nil, protocol.Text, []byte(text))
	spliced, err := other.AppendPrepared(nil, prepared(t, protocol.Text, []byte("broadcast: "+strings.Repeat("zyxwvut", 40))))
	if err != nil {
		t.Fatal(err)
	}
	wire = append(wire, spliced...)
	wire, _ = srv.AppendMessage(wire, protocol.Text, []byte(text))
	evs, err := feed(t, cli, wire, 0)
	var last string
	for _, e := range evs {
		if e.Kind == protocol.EventData {
			last = e.Data
		}
	}
	if err == nil && last == text {
		t.Fatal("the spliced stream decoded correctly: the interleaving test would not see the trap")
	}
}

// TestPreparedParameters sends one prepared message to connections that
// negotiated different parameters, in both roles, and checks each decodes
// it, and that compressed encodings are made once per level.
func TestPreparedParameters(t *testing.T) {
	data := []byte(strings.Repeat("hello, everybody ✓ ", 300))
	m := prepared(t, protocol.Text, data)
	type side struct {
		params    *deflate.Params
		comp      *deflate.Config
		maxFrame  int
		wantRSV1  bool
		wantFrame int
	}
	sides := []side{
		{wantFrame: 1},
		{maxFrame: 1000, wantFrame: 7},
		{params: &deflate.Params{}, wantRSV1: true, wantFrame: 1},
		{params: &deflate.Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true}, wantRSV1: true, wantFrame: 1},
		{params: &deflate.Params{ServerMaxWindowBits: 9, ClientMaxWindowBits: 9}, wantRSV1: true, wantFrame: 1},
		{params: &deflate.Params{}, comp: &deflate.Config{Threshold: len(data) + 1}, wantFrame: 1},
		{params: &deflate.Params{}, comp: &deflate.Config{Level: flate.BestCompression}, wantRSV1: true, wantFrame: 1},
	}
	for _, role := range []frame.Role{frame.Server, frame.Client} {
		for i, s := range sides {
			from := newProto(t, protocol.Config{Role: role, Deflate: s.params, Compression: s.comp, MaxFrameSize: s.maxFrame})
			peer := frame.Client
			if role == frame.Client {
				peer = frame.Server
			}
			to := newProto(t, protocol.Config{Role: peer, Deflate: s.params})
			b, err := from.AppendPrepared(nil, m)
			if err != nil {
				t.Fatal(err)
			}
			fs := frames(t, b, role)
			if len(fs) != s.wantFrame || (fs[0].h.Rsv == frame.RSV1) != s.wantRSV1 {
				t.Errorf("%v side %d: %d frames, RSV1 %v; want %d, %v", role, i, len(fs), fs[0].h.Rsv == frame.RSV1, s.wantFrame, s.wantRSV1)
			}
			if got := messages(t, to, b); len(got) != 1 || got[0] != "text:"+string(data) {
				t.Errorf("%v side %d: decoded %d messages, not the prepared one", role, i, len(got))
			}
			if n := from.PreparedSize(m); n != len(b) {
				t.Errorf("%v side %d: PreparedSize %d, appended %d", role, i, n, len(b))
			}
		}
	}
	// Server: plain x2 frame sizes, compressed at 3 levels (BestSpeed,
	// HuffmanOnly, BestCompression); the same for a client, without frame
	// sizes: plain, and 3 levels.
	if n := protocol.PreparedEncodings(m); n != 5+4 {
		t.Errorf("%d encodings made, want 9", n)
	}
}

// A client's frames are masked with a fresh key each time.
func TestPreparedClientMasks(t *testing.T) {
	m := prepared(t, protocol.Binary, []byte("same payload"))
	p := client(t)
	a, _ := p.AppendPrepared(nil, m)
	b, _ := p.AppendPrepared(nil, m)
	fa, fb := frames(t, a, frame.Client), frames(t, b, frame.Client)
	if !fa[0].h.Masked || fa[0].h.Key == fb[0].h.Key {
		t.Fatalf("client frames masked %v, keys %x and %x", fa[0].h.Masked, fa[0].h.Key, fb[0].h.Key)
	}
	if _, err := p.PreparedFrames(m); !errors.Is(err, protocol.ErrNotZeroCopy) {
		t.Fatalf("PreparedFrames on a client: %v, want ErrNotZeroCopy", err)
	}
}

func TestPreparedRefused(t *testing.T) {
	m := prepared(t, protocol.Text, []byte("hi"))
	p := server(t)
	if err := p.StartMessage(protocol.Text, -1); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AppendPrepared(nil, m); !errors.Is(err, protocol.ErrMessageOpen) {
		t.Fatalf("AppendPrepared inside a message: %v, want ErrMessageOpen", err)
	}
	p.CancelMessage()
	p.Close(1000, "", t0)
	if _, err := p.AppendPrepared(nil, m); !errors.Is(err, protocol.ErrNotOpen) {
		t.Fatalf("AppendPrepared when closing: %v, want ErrNotOpen", err)
	}
	if n := p.PreparedSize(m); n != 0 {
		t.Fatalf("PreparedSize when closing: %d", n)
	}
}

func TestPreparedZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	m := prepared(t, protocol.Text, bytes.Repeat([]byte("tick 123.45 "), 20))
	buf := make([]byte, 0, 4096)
	for _, params := range []*deflate.Params{nil, {}, {ServerNoContextTakeover: true, ClientNoContextTakeover: true}} {
		for _, role := range []frame.Role{frame.Server, frame.Client} {
			p := newProto(t, protocol.Config{Role: role, Deflate: params})
			own := []byte("an ordinary message in between")
			allocs(t, fmt.Sprintf("%v/%v", role, params), func() {
				b, err := p.AppendPrepared(buf[:0], m)
				if err != nil || len(b) == 0 {
					t.Fatal(err)
				}
				if _, err := p.AppendMessage(buf[:0], protocol.Text, own); err != nil {
					t.Fatal(err)
				}
			})
			if role == frame.Server {
				allocs(t, "PreparedFrames", func() { p.PreparedFrames(m) })
			}
		}
	}
}

// TestPreparedConcurrent sends one prepared message from many
// connections at once, each encoding made by whichever comes first.
func TestPreparedConcurrent(t *testing.T) {
	data := []byte(strings.Repeat("concurrent ", 100))
	m := prepared(t, protocol.Text, data)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var params *deflate.Params
			if i%2 == 1 {
				params = &deflate.Params{}
			}
			role := []frame.Role{frame.Server, frame.Client}[i%4/2]
			peer := []frame.Role{frame.Client, frame.Server}[i%4/2]
			from, _ := protocol.New(protocol.Config{Role: role, Deflate: params}, t0)
			to, _ := protocol.New(protocol.Config{Role: peer, Deflate: params}, t0)
			var wire []byte
			for range 20 {
				wire, _ = from.AppendPrepared(wire, m)
			}
			for _, got := range messages(t, to, wire) {
				if got != "text:"+string(data) {
					t.Error("wrong message")
					return
				}
			}
		}()
	}
	wg.Wait()
}
