package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
)

const subprotocol = "interop.v1"

var sizes = []int{0, 125, 126, 65535, 65536, 1 << 20}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func payload(typ conn.MessageType, size int) []byte {
	p := make([]byte, size)
	if typ == conn.Text {
		const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 ✓"
		for i := 0; i < size; {
			i += copy(p[i:], alphabet)
		}
		// Do not cut the final multi-byte character in two.
		for len(p) > 0 && p[len(p)-1] >= 0x80 {
			p[len(p)-1] = '.'
		}
		return p
	}
	for i := range p {
		p[i] = byte(rand.Uint32())
	}
	return p
}

// serverEnd is how a connection to the hybi server ended.
type serverEnd struct {
	path        string
	subprotocol string
	end         *conn.CloseError // from Read after the end
	closeErr    error            // what Close returned, when the server closed
	closed      bool             // the server called Close
}

// hybiServer runs the server side of the scenario: it echoes, answers
// "cmd:ping" by pinging the client and then sending "pong-received", and
// "cmd:close CODE REASON" by closing so. Each connection's end is sent on
// the returned channel.
//
// With compress, hybi offers or accepts permessage-deflate and the peer must
// have negotiated it; without, there must be none.
func hybiServer(t *testing.T, compress bool) (url string, ends <-chan serverEnd) {
	ch := make(chan serverEnd, 10)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Accept(w, r, &conn.AcceptOptions{
			Options:      options(compress),
			Subprotocols: []string{subprotocol},
		})
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		defer c.CloseNow()
		checkCompression(t, c, compress)
		res := serverEnd{path: r.URL.Path, subprotocol: c.Subprotocol()}
		ctx := context.Background()
		var wg sync.WaitGroup // the goroutines below
		var buf []byte
		for {
			typ, msg, err := c.Read(ctx, buf)
			if err != nil {
				if !errors.As(err, &res.end) || res.end == nil {
					t.Errorf("%s: read: %v, want a *conn.CloseError", res.path, err)
				}
				break
			}
			buf = msg
			text := string(msg)
			switch {
			case typ == conn.Text && text == "cmd:ping":
				wg.Add(1)
				go func() { // Ping needs this goroutine to read the pong
					defer wg.Done()
					ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					defer cancel()
					reply := "pong-received"
					if err := c.Ping(ctx); err != nil {
						reply = "ping failed: " + err.Error()
					}
					c.Write(ctx, conn.Text, []byte(reply))
				}()
			case typ == conn.Text && strings.HasPrefix(text, "cmd:close "):
				f := append(strings.SplitN(text, " ", 3), "", "")
				code, _ := strconv.Atoi(f[1])
				res.closed = true
				wg.Add(1)
				go func() {
					defer wg.Done()
					res.closeErr = c.Close(closecode.Code(code), f[2])
				}()
			default:
				if err := c.Write(ctx, typ, msg); err != nil {
					t.Errorf("%s: echo: %v", res.path, err)
				}
			}
		}
		wg.Wait()
		ch <- res
	}))
	t.Cleanup(s.Close)
	return "ws" + strings.TrimPrefix(s.URL, "http"), ch
}

// checkPeerClient checks a run of a peer's client script against
// hybiServer: the peer's events, then how the server saw each connection end.
func checkPeerClient(t *testing.T, p *peer, ends <-chan serverEnd) {
	ctx := testContext(t, 20*time.Second)
	for _, size := range sizes {
		for _, kind := range []string{"text", "binary"} {
			if e := p.expect(ctx, "echo"); e.Kind != kind || e.Size != size {
				t.Fatalf("peer echoed %s %d, want %s %d", e.Kind, e.Size, kind, size)
			}
		}
	}
	p.expect(ctx, "pong")   // hybi answered the peer's ping
	p.expect(ctx, "pinged") // the peer answered hybi's ping
	// The peer closed with 4001: hybi echoed the code.
	checkClosed(t, p.expect(ctx, "closed"), "/echo", 4001, "", true)
	// hybi closed with 4002 "bye from hybi".
	checkClosed(t, p.expect(ctx, "closed"), "/server-closes", 4002, "bye from hybi", true)
	p.expect(ctx, "done")
	if err := p.wait(ctx); err != nil {
		t.Fatalf("peer exited: %v", err)
	}

	got := map[string]serverEnd{}
	for range 2 {
		select {
		case e := <-ends:
			got[e.path] = e
		case <-ctx.Done():
			t.Fatal("the hybi server did not see both connections end")
		}
	}
	for path, e := range got {
		if e.subprotocol != subprotocol {
			t.Errorf("%s: subprotocol %q, want %q", path, e.subprotocol, subprotocol)
		}
	}
	// The peer's close: code and reason as sent, clean.
	checkEnd(t, "/echo", got["/echo"].end, 4001, "bye from peer")
	// hybi's close: Close reports a clean handshake, and the end carries
	// the peer's echo of the code.
	if e := got["/server-closes"]; !e.closed || e.closeErr != nil {
		t.Errorf("/server-closes: Close returned %v, want nil (clean)", e.closeErr)
	}
	checkEnd(t, "/server-closes", got["/server-closes"].end, 4002, "")
}

func checkClosed(t *testing.T, e event, path string, code int, reason string, clean bool) {
	t.Helper()
	if e.Path != path || e.Code != code || e.Reason != reason || e.Clean != clean {
		t.Errorf("peer saw %s close with %d %q clean=%v, want %s %d %q clean=%v",
			e.Path, e.Code, e.Reason, e.Clean, path, code, reason, clean)
	}
}

// checkEnd checks a hybi connection's end; reason "" means any reason (a
// peer echoing our close may or may not echo the reason).
func checkEnd(t *testing.T, what string, ce *conn.CloseError, code closecode.Code, reason string) {
	t.Helper()
	switch {
	case ce == nil:
		t.Errorf("%s: no CloseError", what)
	case ce.Code != code || (reason != "" && ce.Reason != reason) || !ce.Clean:
		t.Errorf("%s: hybi saw %v, want a clean close with %d %q", what, ce, code, reason)
	default:
		t.Logf("%s: hybi saw %v", what, ce)
	}
}

// hybiClient runs the client side of the scenario against a peer server
// at base (ws://host:port).
func hybiClient(t *testing.T, p *peer, base string, compress bool) {
	ctx := testContext(t, 20*time.Second)

	// 1. Echoes, pings both ways, then hybi closes with 4001.
	c, msgs := dialPeer(t, ctx, base+"/echo", compress)
	for _, size := range sizes {
		for _, typ := range []conn.MessageType{conn.Text, conn.Binary} {
			sent := payload(typ, size)
			if err := c.Write(ctx, typ, sent); err != nil {
				t.Fatalf("write %v %d: %v", typ, size, err)
			}
			m := <-msgs
			if m.err != nil {
				t.Fatalf("read echo of %v %d: %v", typ, size, m.err)
			}
			if m.typ != typ || !bytes.Equal(m.data, sent) {
				t.Fatalf("echo of %v %d: got %v of %d bytes", typ, size, m.typ, len(m.data))
			}
		}
	}
	start := time.Now()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	t.Logf("ping round trip %v", time.Since(start))
	c.Write(ctx, conn.Text, []byte("cmd:ping"))
	if m := <-msgs; m.err != nil || string(m.data) != "pong-received" {
		t.Fatalf("after cmd:ping: %q %v", m.data, m.err)
	}
	if err := c.Close(4001, "bye from hybi"); err != nil {
		t.Fatalf("close: %v, want nil (clean)", err)
	}
	m := <-msgs
	checkEnd(t, "/echo", asCloseError(m.err), 4001, "")
	checkClosed(t, p.expect(ctx, "closed"), "/echo", 4001, "bye from hybi", true)

	// 2. The peer closes with 4002.
	c, msgs = dialPeer(t, ctx, base+"/peer-closes", compress)
	c.Write(ctx, conn.Text, []byte("cmd:close 4002 bye from peer"))
	m = <-msgs
	checkEnd(t, "/peer-closes", asCloseError(m.err), 4002, "bye from peer")
	checkClosed(t, p.expect(ctx, "closed"), "/peer-closes", 4002, "", true)
}

type message struct {
	typ  conn.MessageType
	data []byte
	err  error // the last one: how the connection ended
}

// dialPeer connects to a peer server, checks the subprotocol and reads in
// the background (so that pings are answered and Ping sees its pong).
func dialPeer(t *testing.T, ctx context.Context, url string, compress bool) (*conn.Conn, <-chan message) {
	t.Helper()
	c, err := conn.Dial(ctx, url, &conn.DialOptions{
		Options:      options(compress),
		Subprotocols: []string{"nope.v0", subprotocol},
	})
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	checkCompression(t, c, compress)
	if got := c.Subprotocol(); got != subprotocol {
		t.Fatalf("subprotocol %q, want %q", got, subprotocol)
	}
	ch := make(chan message, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			typ, data, err := c.Read(context.Background(), nil)
			ch <- message{typ, data, err}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { c.CloseNow(); <-done })
	return c, ch
}

// options are the connection options of a run, with or without
// permessage-deflate (hybi's defaults otherwise).
func options(compress bool) conn.Options {
	if compress {
		return conn.Options{Compression: &deflate.Config{}}
	}
	return conn.Options{}
}

func checkCompression(t *testing.T, c *conn.Conn, want bool) {
	p, ok := c.Compression()
	if ok != want {
		t.Errorf("permessage-deflate negotiated: %v, want %v", ok, want)
	}
	if ok {
		t.Logf("permessage-deflate: %+v", p)
	}
}

func asCloseError(err error) *conn.CloseError {
	var ce *conn.CloseError
	if errors.As(err, &ce) {
		return ce
	}
	return nil
}

// listening waits for a peer server's port.
func listening(t *testing.T, p *peer) string {
	e := p.expect(testContext(t, 10*time.Second), "listening")
	return fmt.Sprintf("ws://127.0.0.1:%d", e.Port)
}
