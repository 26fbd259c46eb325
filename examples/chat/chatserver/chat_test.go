package chatserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hybi/ws/broker"
	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/handshake"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// start runs a hub behind a test server; the cleanup shuts both down.
func start(t *testing.T, cfg hubConfig) (*hub, string) {
	cfg.Logf = t.Logf
	h := newHub(cfg)
	s := httptest.NewServer(newMux(h))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.shutdown(ctx)
		s.Close()
	})
	return h, "ws" + strings.TrimPrefix(s.URL, "http") + "/ws"
}

func dial(t *testing.T, url string) *conn.Conn {
	c, err := conn.Dial(testContext(t), url, &conn.DialOptions{Options: conn.Options{PingInterval: -1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	// The room's first message is the joined one, with its position.
	if _, msg, err := c.Read(testContext(t), nil); err != nil || !strings.Contains(string(msg), `"joined"`) {
		t.Fatalf("first message %q, %v; want the joined one", msg, err)
	}
	return c
}

func waitCount(t *testing.T, h *hub, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.count() != n {
		if time.Now().After(deadline) {
			t.Fatalf("hub has %d clients, want %d", h.count(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readText reads the next chat line, skipping the joined message.
func readText(t *testing.T, c *conn.Conn) string {
	t.Helper()
	for {
		typ, msg, err := c.Read(testContext(t), nil)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if typ != conn.Text {
			t.Fatalf("read a %v message, want text", typ)
		}
		if text, ok := chatLine(t, msg); ok {
			return text
		}
	}
}

// chatLine decodes a message of the room: a chat line (ok) or the joined
// message.
func chatLine(t *testing.T, msg []byte) (string, bool) {
	var m struct {
		Type string `json:"type"`
		Data string `json:"data"`
	}
	if err := json.Unmarshal(msg, &m); err != nil {
		t.Errorf("message %q: %v", msg, err)
	}
	return m.Data, m.Type == "message"
}

// wantClose reads until the connection ends and checks how it did.
func wantClose(t *testing.T, c *conn.Conn, code closecode.Code, reason string) {
	t.Helper()
	for {
		_, _, err := c.Read(testContext(t), nil)
		if err == nil {
			continue
		}
		var ce *conn.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("read: %v, want a *conn.CloseError", err)
		}
		if ce.Code != code || ce.Reason != reason || !ce.Clean {
			t.Fatalf("closed with %d %q clean=%v, want %d %q clean", ce.Code, ce.Reason, ce.Clean, code, reason)
		}
		return
	}
}

func TestPage(t *testing.T) {
	h := newHub(hubConfig{})
	s := httptest.NewServer(newMux(h))
	defer s.Close()
	resp, err := http.Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	if !bytes.Contains(body, []byte("new WebSocket(")) {
		t.Error("the page has no WebSocket")
	}
	resp, err = http.Get(s.URL + "/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nothing: %s", resp.Status)
	}
}

func TestBroadcast(t *testing.T) {
	h, url := start(t, hubConfig{})
	var cs []*conn.Conn
	for range 3 {
		cs = append(cs, dial(t, url))
	}
	waitCount(t, h, 3)
	ctx := testContext(t)
	for i, from := range cs {
		msg := fmt.Sprintf("hello from %d ✓", i)
		if err := from.Write(ctx, conn.Text, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		for j, to := range cs {
			if got := readText(t, to); got != msg {
				t.Fatalf("client %d got %q, want %q", j, got, msg)
			}
		}
	}
	// A client that leaves is no longer in the room.
	if err := cs[0].Close(closecode.Normal, "bye"); err != nil {
		t.Fatalf("close: %v", err)
	}
	waitCount(t, h, 2)
}

func TestNonTextRefused(t *testing.T) {
	h, url := start(t, hubConfig{})
	c := dial(t, url)
	waitCount(t, h, 1)
	if err := c.Write(testContext(t), conn.Binary, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	wantClose(t, c, closecode.UnsupportedData, "text messages only")
	waitCount(t, h, 0)
}

func TestTooBig(t *testing.T) {
	h, url := start(t, hubConfig{})
	c := dial(t, url)
	waitCount(t, h, 1)
	c.Write(testContext(t), conn.Text, bytes.Repeat([]byte("x"), 65<<10))
	_, _, err := c.Read(testContext(t), nil)
	var ce *conn.CloseError
	if !errors.As(err, &ce) || ce.Code != closecode.MessageTooBig {
		t.Fatalf("read: %v, want a close with 1009", err)
	}
	waitCount(t, h, 0)
}

// TestSlowClientEvicted joins clients over synchronous pipes, so that a
// client that does not read blocks its writer at once: after the queue
// fills it must be closed with 1008, while the others get every message.
func TestSlowClientEvicted(t *testing.T) {
	const queue = 4
	h := newHub(hubConfig{QueueLen: queue, Logf: t.Logf})
	defer h.shutdown(context.Background())
	pipe := func(name string) *conn.Conn {
		srv, cli := net.Pipe()
		opts := &conn.Options{PingInterval: -1}
		if !h.enter() {
			t.Fatal("hub closed")
		}
		go h.serve(conn.New(srv, nil, frame.Server, opts), name, broker.Position{})
		c := conn.New(cli, nil, frame.Client, opts)
		t.Cleanup(func() { c.CloseNow() })
		if _, msg, err := c.Read(testContext(t), nil); err != nil || !strings.Contains(string(msg), `"joined"`) {
			t.Fatalf("first message %q, %v; want the joined one", msg, err)
		}
		return c
	}
	fast, slow, sender := pipe("fast"), pipe("slow"), pipe("sender")
	waitCount(t, h, 3)

	// The sender and the fast client read in the background; each round
	// waits for both, so that only the slow client falls behind.
	got := make(chan string, 100)
	for _, c := range []*conn.Conn{fast, sender} {
		go func() {
			for {
				_, msg, err := c.Read(context.Background(), nil)
				if err != nil {
					return
				}
				text, _ := chatLine(t, msg)
				got <- text
			}
		}()
	}
	ctx := testContext(t)
	const n = 3 * queue
	for i := range n {
		want := fmt.Sprint("message ", i)
		if err := sender.Write(ctx, conn.Text, []byte(want)); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			select {
			case m := <-got:
				if m != want {
					t.Fatalf("got %q, want %q", m, want)
				}
			case <-ctx.Done():
				t.Fatalf("%q did not reach both the sender and the fast client", want)
			}
		}
	}
	waitCount(t, h, 2)
	// The slow client now reads: what was being written, then the close.
	var msgs int
	for {
		_, _, err := slow.Read(ctx, nil)
		if err == nil {
			msgs++
			continue
		}
		var ce *conn.CloseError
		if !errors.As(err, &ce) || ce.Code != closecode.PolicyViolation || ce.Reason != "too slow: send queue full" || !ce.Clean {
			t.Fatalf("slow client: %v, want a clean close 1008 %q", err, "too slow: send queue full")
		}
		break
	}
	if msgs < 1 || msgs > queue+1 {
		t.Errorf("slow client read %d messages before its close, want 1..%d", msgs, queue+1)
	}
	t.Logf("slow client read %d of %d messages, then %d", msgs, n, closecode.PolicyViolation)
}

func TestKeepaliveReapsDeadClients(t *testing.T) {
	h, url := start(t, hubConfig{Options: conn.Options{PingInterval: 50 * time.Millisecond, PongTimeout: 100 * time.Millisecond}})
	dead := dial(t, url) // never reads, so never answers a ping
	alive := dial(t, url)
	go func() {
		for {
			if _, _, err := alive.Read(context.Background(), nil); err != nil {
				return
			}
		}
	}()
	waitCount(t, h, 2)
	waitCount(t, h, 1)
	time.Sleep(300 * time.Millisecond) // several ping intervals
	if h.count() != 1 || alive.State() != conn.Open {
		t.Fatalf("the live client was dropped too")
	}
	_ = dead
}

func TestShutdownGoingAway(t *testing.T) {
	h, url := start(t, hubConfig{})
	cs := []*conn.Conn{dial(t, url), dial(t, url), dial(t, url)}
	waitCount(t, h, 3)
	ends := make(chan error, len(cs))
	for _, c := range cs {
		go func() {
			_, _, err := c.Read(context.Background(), nil)
			ends <- err
		}()
	}
	ctx := testContext(t)
	start := time.Now()
	if err := h.shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	t.Logf("shutdown took %v", time.Since(start))
	for range cs {
		err := <-ends
		var ce *conn.CloseError
		if !errors.As(err, &ce) || ce.Code != closecode.GoingAway || ce.Reason != "going away" || !ce.Clean {
			t.Fatalf("client: %v, want a clean 1001 \"going away\"", err)
		}
	}
	if h.count() != 0 {
		t.Fatalf("%d clients left", h.count())
	}
	// Latecomers are turned away.
	_, err := conn.Dial(ctx, url, nil)
	var se *handshake.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after shutdown: %v, want 503", err)
	}
}

// TestShutdownStuckClient checks that shutdown ends by its context even
// when a client never completes the close handshake.
func TestShutdownStuckClient(t *testing.T) {
	h, url := start(t, hubConfig{})
	dial(t, url) // never reads: its close frame goes unanswered
	waitCount(t, h, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := h.shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("shutdown: %v, want the context's deadline", err)
	}
}

// TestSIGINT builds the command and checks that SIGINT closes clients with
// a clean 1001 "going away" and ends the process with status 0.
func TestSIGINT(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command; skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "chat")
	if out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "-addr", addr)
	var log bytes.Buffer
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		t.Logf("server log:\n%s", log.String())
	}()
	var c *conn.Conn
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err = conn.Dial(testContext(t), "ws://"+addr+"/ws", nil)
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	ctx := testContext(t)
	c.Write(ctx, conn.Text, []byte("hi"))
	if got := readText(t, c); got != "hi" {
		t.Fatalf("got %q", got)
	}
	cmd.Process.Signal(syscall.SIGINT)
	wantClose(t, c, closecode.GoingAway, "going away")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not exit after SIGINT")
	}
}

// TestRecoverByPosition: a client that reconnects with the position of the
// last message it got gets the messages sent meanwhile, then the live ones.
func TestRecoverByPosition(t *testing.T) {
	_, url := start(t, hubConfig{})
	ctx := testContext(t)
	a, b := dial(t, url), dial(t, url)
	b.Write(ctx, conn.Text, []byte("before"))
	_, msg, err := a.Read(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Epoch, Data string
		Offset      uint64
	}
	json.Unmarshal(msg, &m)
	readText(t, b)
	a.CloseNow()
	for _, s := range []string{"one", "two", "three"} {
		b.Write(ctx, conn.Text, []byte(s))
		readText(t, b)
	}
	since := broker.Position{Epoch: m.Epoch, Offset: m.Offset}.String()
	c, err := conn.Dial(ctx, url+"?since="+since, &conn.DialOptions{Options: conn.Options{PingInterval: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	_, msg, err = c.Read(ctx, nil)
	if err != nil || !strings.Contains(string(msg), `"recovery":"recovered"`) {
		t.Fatalf("first message %q, %v; want joined, recovered", msg, err)
	}
	b.Write(ctx, conn.Text, []byte("live"))
	for _, want := range []string{"one", "two", "three", "live"} {
		if got := readText(t, c); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	// A position that is not one is refused before the upgrade.
	if _, err := conn.Dial(ctx, url+"?since=nonsense", nil); err == nil {
		t.Fatal("dial with a malformed position succeeded")
	}
}
