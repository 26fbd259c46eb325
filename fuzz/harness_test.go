package fuzz

import (
	"bytes"
	"context"
	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/hybi/ws/handshake"
)

// The tests below check that the harnesses of the targets are not vacuous:
// their valid seeds do get through the handshake.

func TestUpgradeConnSeedsSucceed(t *testing.T) {
	for _, r := range []string{chromeRequest, firefoxRequest, safariRequest, rfcRequest} {
		u := handshake.Upgrader{Subprotocols: []string{"chat"}, OriginPatterns: []string{"example.com", "*.example.com"}}
		c := &scriptConn{in: []byte(r), chunk: 7}
		res, err := u.UpgradeConn(context.Background(), c)
		if err != nil {
			t.Fatalf("UpgradeConn(%.40q...): %v\n%s", r, err, c.written())
		}
		res.Conn.Close()
	}
}

func TestDialSeedSucceeds(t *testing.T) {
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: $ACCEPT\r\nSec-WebSocket-Protocol: chat\r\n\r\n\x81\x05Hello"
	c := &scriptConn{chunk: 5}
	c.prepare = func(written []byte) []byte {
		m := keyLine.FindSubmatch(written)
		if m == nil {
			t.Fatalf("no key in %q", written)
		}
		return []byte(replaceAccept(resp, handshake.AcceptKey(string(m[1]))))
	}
	d := handshake.Dialer{
		NetDial:      func(ctx context.Context, network, addr string) (net.Conn, error) { return c, nil },
		Proxy:        func(*http.Request) (*url.URL, error) { return nil, nil },
		Subprotocols: []string{"chat"},
	}
	res, err := d.Dial(context.Background(), "ws://example.com/chat")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Conn.Close()
	if res.Subprotocol != "chat" {
		t.Errorf("subprotocol %q", res.Subprotocol)
	}
}

func TestConnHarness(t *testing.T) {
	defer func(d time.Duration) { connCloseTimeout = d }(connCloseTimeout)
	connCloseTimeout = time.Second // no spurious timeouts on a loaded machine
	for _, role := range []frame.Role{frame.Server, frame.Client} {
		masked := role == frame.Server
		hello := compressedSeed("Hello")
		open := bytes.Join([][]byte{
			maskFrame(true, frame.OpText, 0, masked, []byte("Hello")),
			maskFrame(true, frame.OpPing, 0, masked, []byte("ping")),
		}, nil)
		plain := append(open, maskFrame(true, frame.OpClose, 0, masked, []byte("\x03\xe8bye"))...)
		compressed := bytes.Join([][]byte{
			maskFrame(true, frame.OpText, frame.RSV1, masked, hello),
			maskFrame(true, frame.OpClose, 0, masked, []byte("\x03\xe8bye")),
		}, nil)
		for _, mode := range []uint8{0, modeReader, modeWrite, modeBuffered | 3<<4, modeChunk0, modeChunk1 | modeChunk0,
			modeCompress, modeCompress | modeTakeover | modeReader} {
			stream := plain
			if mode&modeCompress != 0 {
				stream = compressed
			}
			out := fuzzConn(t, role, mode, stream)
			if len(out.msgs) != 1 || out.msgs[0] != "Hello" || out.end.Code != closecode.Normal || !out.end.Clean ||
				!hasClose(out.sent) {
				t.Errorf("%v, mode %#x: messages %q, end %v, sent % x", role, mode, out.msgs, out.end, out.sent)
			}
		}
		// The peer stays open; the test closes.
		out := fuzzConn(t, role, modePeerOpen, open)
		if len(out.msgs) != 1 || out.end.Code != closecode.Normal || !out.end.Clean {
			t.Errorf("%v, mode %#x: messages %q, end %v, sent % x", role, modePeerOpen, out.msgs, out.end, out.sent)
		}
		// The peer ends its side without a close frame.
		out = fuzzConn(t, role, 0, open)
		if len(out.msgs) != 1 || out.end.Code != closecode.Abnormal || out.end.Clean {
			t.Errorf("%v, EOF: messages %q, end %v, sent % x", role, out.msgs, out.end, out.sent)
		}
	}
}
