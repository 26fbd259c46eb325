package interop

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
)

// The prepared-message interop tests send, on connections with
// permessage-deflate and context takeover, prepared (broadcast) messages
// interleaved with ordinary ones that repeat text of the messages before
// them, so that hybi's compressor refers back into earlier messages; the
// peer echoes every message as it decoded it, and hybi checks the echoes.
// A sender whose compressor did not account for the prepared messages
// (which the peer added to its window) would make the peer decode the
// ordinary messages after them wrong, or fail.

// preparedStep is one step of the interleaving: an ordinary message, or a
// batch of prepared ones.
type preparedStep struct {
	own      []byte
	prepared []*conn.PreparedMessage
}

// preparedSteps returns the interleaving and the messages the peer must
// echo, in order. The prepared messages are made once, and shared by every
// connection that runs the steps.
func preparedSteps(t *testing.T) ([]preparedStep, [][]byte) {
	prep := func(typ conn.MessageType, s string) *conn.PreparedMessage {
		m, err := conn.NewPreparedMessage(typ, []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	phrase := "the quick brown fox jumps over the lazy dog; "
	var steps []preparedStep
	var want [][]byte
	for i := range 24 {
		switch i % 4 {
		case 0, 2:
			own := fmt.Appendf(nil, "own %d: %s%s", i, strings.Repeat(phrase, 1+i%5), "¡olé!")
			steps = append(steps, preparedStep{own: own})
			want = append(want, own)
		case 1:
			s := fmt.Sprintf("broadcast %d: %s", i, strings.Repeat("price tick 101.25 101.50 ", 3+i))
			steps = append(steps, preparedStep{prepared: []*conn.PreparedMessage{prep(conn.Text, s)}})
			want = append(want, []byte(s))
		case 3:
			// A batch: short ones together, and a long one past the size
			// a server sends without copying.
			a := fmt.Sprintf("batch %d a: %s", i, phrase)
			b := fmt.Sprintf("batch %d b: %s", i, strings.Repeat(phrase+fmt.Sprint(i), 600))
			steps = append(steps, preparedStep{prepared: []*conn.PreparedMessage{prep(conn.Text, a), prep(conn.Text, b)}})
			want = append(want, []byte(a), []byte(b))
		}
	}
	return steps, want
}

// runPrepared runs the steps on c, reading the echoes concurrently, and
// checks them.
func runPrepared(t *testing.T, ctx context.Context, c *conn.Conn, steps []preparedStep, want [][]byte) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		for _, s := range steps {
			var err error
			if s.own != nil {
				err = c.Write(ctx, conn.Text, s.own)
			} else {
				err = c.WritePrepared(ctx, s.prepared...)
			}
			if err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i, w := range want {
		typ, got, err := c.Read(ctx, nil)
		if err != nil {
			t.Fatalf("echo %d: %v", i, err)
		}
		if typ != conn.Text || !bytes.Equal(got, w) {
			t.Fatalf("echo %d: %v %.60q..., want text %.60q...", i, typ, got, w)
		}
	}
	if err := <-errc; err != nil {
		t.Fatalf("write: %v", err)
	}
}

// takeoverConfigs are hybi's compression settings for the runs: context
// takeover both ways, and each direction without it.
var takeoverConfigs = []struct {
	name string
	cfg  deflate.Config
}{
	{"takeover", deflate.Config{}},
	{"ownNoTakeover", deflate.Config{NoContextTakeover: true}},
	{"peerNoTakeover", deflate.Config{PeerNoContextTakeover: true}},
}

// preparedServer is a hybi server that runs the steps on every connection
// and reports each run's end on the returned channel: nil once the echoes
// all matched and the close handshake completed.
func preparedServer(t *testing.T, cfg deflate.Config, steps []preparedStep, want [][]byte) (string, <-chan error) {
	ends := make(chan error, 4)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws" {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, echoPage)
			return
		}
		c, err := conn.Accept(w, r, &conn.AcceptOptions{Options: conn.Options{Compression: &cfg, ReadLimit: 4 << 20}})
		if err != nil {
			ends <- err
			return
		}
		defer c.CloseNow()
		p, ok := c.Compression()
		if !ok {
			ends <- fmt.Errorf("permessage-deflate not negotiated")
			return
		}
		t.Logf("%s: permessage-deflate %+v", r.UserAgent(), p)
		ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
		defer cancel()
		ok = t.Run("run", func(t *testing.T) { runPrepared(t, ctx, c, steps, want) })
		if !ok {
			ends <- fmt.Errorf("the peer's echoes differ")
			return
		}
		ends <- c.Close(closecode.Normal, "done")
	}))
	t.Cleanup(s.Close)
	return "ws" + strings.TrimPrefix(s.URL, "http") + "/ws", ends
}

// echoPage is the browser's echo client.
const echoPage = `<!doctype html><title>echo</title><script>
window.result = "";
const ws = new WebSocket("ws://" + location.host + "/ws");
ws.onmessage = (e) => ws.send(e.data);
ws.onclose = (e) => { window.result = "closed " + e.code + " " + e.wasClean; };
</script>`

func waitEnd(t *testing.T, ends <-chan error) {
	t.Helper()
	select {
	case err := <-ends:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not end")
	}
}

// TestPreparedPeerClients has hybi's server send the interleaving to
// Python websockets, Node ws and Chromium as clients.
func TestPreparedPeerClients(t *testing.T) {
	steps, want := preparedSteps(t)
	peers := []struct {
		name  string
		start func(t *testing.T, url string)
	}{
		{"python", func(t *testing.T, url string) {
			python, version := pythonPeer(t)
			t.Logf("python websockets %s", version)
			startPeer(t, python, filepath.Join("python", "echo_client.py"), url)
		}},
		{"node", func(t *testing.T, url string) {
			node, version := nodePeer(t)
			t.Logf("node ws %s", version)
			startPeer(t, node, filepath.Join("node", "echo_client.js"), url)
		}},
	}
	for _, p := range peers {
		for _, tc := range takeoverConfigs {
			t.Run(p.name+"/"+tc.name, func(t *testing.T) {
				url, ends := preparedServer(t, tc.cfg, steps, want)
				p.start(t, url)
				waitEnd(t, ends)
			})
		}
	}
	t.Run("chromium", func(t *testing.T) {
		br := startChromium(t)
		t.Logf("%s", br.version)
		for _, tc := range takeoverConfigs {
			t.Run(tc.name, func(t *testing.T) {
				url, ends := preparedServer(t, tc.cfg, steps, want)
				ctx := testContext(t, 30*time.Second)
				session, err := br.openTab(ctx, "http"+strings.TrimSuffix(strings.TrimPrefix(url, "ws"), "/ws")+"/")
				if err != nil {
					t.Fatal(err)
				}
				waitEnd(t, ends)
				if err := br.waitTrue(ctx, session, `window.result === "closed 1000 true"`); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

// TestPreparedPeerServers has hybi's client send the interleaving, masked,
// to Python websockets and Node ws echo servers.
func TestPreparedPeerServers(t *testing.T) {
	steps, want := preparedSteps(t)
	peers := []struct {
		name string
		cmd  func(t *testing.T) (string, []string)
	}{
		{"python", func(t *testing.T) (string, []string) {
			python, _ := pythonPeer(t)
			return python, []string{filepath.Join("python", "peer.py"), "server", "deflate"}
		}},
		{"node", func(t *testing.T) (string, []string) {
			node, _ := nodePeer(t)
			return node, []string{filepath.Join("node", "peer.js"), "server", "deflate"}
		}},
	}
	for _, p := range peers {
		for _, tc := range takeoverConfigs {
			t.Run(p.name+"/"+tc.name, func(t *testing.T) {
				bin, args := p.cmd(t)
				pr := startPeer(t, bin, args...)
				base := listening(t, pr)
				ctx := testContext(t, 30*time.Second)
				cfg := tc.cfg
				c, err := conn.Dial(ctx, base+"/prepared", &conn.DialOptions{
					Options:      conn.Options{Compression: &cfg, ReadLimit: 4 << 20},
					Subprotocols: []string{subprotocol},
				})
				if err != nil {
					t.Fatal(err)
				}
				defer c.CloseNow()
				params, ok := c.Compression()
				if !ok {
					t.Fatal("permessage-deflate not negotiated")
				}
				t.Logf("permessage-deflate %+v", params)
				runPrepared(t, ctx, c, steps, want)
				if err := c.Close(closecode.Normal, "done"); err != nil {
					t.Fatalf("close: %v", err)
				}
			})
		}
	}
}
