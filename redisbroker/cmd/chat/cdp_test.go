package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/conn"
)

// browser is headless Chromium driven over the DevTools protocol, on hybi's
// own WebSocket client: a command is a JSON message with an id, answered by
// the message with the same id; events are ignored.
type browser struct {
	c      *conn.Conn
	mu     sync.Mutex
	id     int64
	wait   map[int64]chan json.RawMessage
	failed chan struct{}
}

// startBrowser runs Chromium with a fresh profile, or skips when it is not
// installed (fails under HYBI_INTEROP_REQUIRE=1).
func startBrowser(t *testing.T) *browser {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("HYBI_INTEROP_REQUIRE") == "1" {
			t.Fatalf("chromium is required (HYBI_INTEROP_REQUIRE=1): %v", err)
		}
		t.Skipf("chromium not installed: %v", err)
	}
	profile := t.TempDir()
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--remote-debugging-port=0", "--user-data-dir="+profile, "about:blank")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var url string
	for deadline := time.Now().Add(15 * time.Second); url == ""; time.Sleep(50 * time.Millisecond) {
		data, _ := os.ReadFile(filepath.Join(profile, "DevToolsActivePort"))
		if l := strings.Split(string(data), "\n"); len(l) >= 2 && l[1] != "" {
			url = "ws://127.0.0.1:" + l[0] + l[1]
		}
		if time.Now().After(deadline) {
			t.Fatal("chromium wrote no DevToolsActivePort")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, url, &conn.DialOptions{Options: conn.Options{ReadLimit: 64 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{c: c, wait: map[int64]chan json.RawMessage{}, failed: make(chan struct{})}
	t.Cleanup(func() { c.CloseNow() })
	go func() {
		defer close(b.failed)
		for {
			_, msg, err := c.Read(context.Background(), nil)
			if err != nil {
				return
			}
			var r struct {
				ID int64 `json:"id"`
			}
			json.Unmarshal(msg, &r)
			b.mu.Lock()
			ch := b.wait[r.ID]
			delete(b.wait, r.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- msg
			}
		}
	}()
	return b
}

// call sends method to the browser (session "") or a tab and decodes the
// result.
func (b *browser) call(ctx context.Context, session, method string, params, result any) error {
	ch := make(chan json.RawMessage, 1)
	b.mu.Lock()
	b.id++
	id := b.id
	b.wait[id] = ch
	b.mu.Unlock()
	if params == nil {
		params = struct{}{}
	}
	msg, _ := json.Marshal(map[string]any{"id": id, "sessionId": session, "method": method, "params": params})
	if session == "" {
		msg, _ = json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	}
	if err := b.c.Write(ctx, conn.Text, msg); err != nil {
		return err
	}
	select {
	case raw := <-ch:
		var r struct {
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		if r.Error != nil {
			return fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(r.Result, result)
		}
		return nil
	case <-b.failed:
		return fmt.Errorf("%s: DevTools connection lost", method)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// open opens url in a new tab and returns its session.
func (b *browser) open(ctx context.Context, url string) (string, error) {
	var tg struct{ TargetID string }
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": url}, &tg); err != nil {
		return "", err
	}
	var s struct{ SessionID string }
	err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": tg.TargetID, "flatten": true}, &s)
	return s.SessionID, err
}

// eval evaluates expr in a tab and decodes its value into result.
func (b *browser) eval(ctx context.Context, session, expr string, result any) error {
	var r struct {
		Result           struct{ Value json.RawMessage }
		ExceptionDetails *struct{ Text string }
	}
	if err := b.call(ctx, session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("%s: %s", expr, r.ExceptionDetails.Text)
	}
	if result != nil && r.Result.Value != nil {
		return json.Unmarshal(r.Result.Value, result)
	}
	return nil
}

// waitTrue evaluates expr until it is true.
func (b *browser) waitTrue(ctx context.Context, session, expr string) error {
	for {
		var ok bool
		if err := b.eval(ctx, session, expr, &ok); err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", expr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
