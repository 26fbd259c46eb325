package interop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
)

// cdp is a minimal Chrome DevTools Protocol client, over hybi's own
// WebSocket client: commands go out as JSON messages with an id, and the
// reply with the same id comes back; events are ignored.
type cdp struct {
	c    *conn.Conn
	done chan struct{} // closed when the read loop ends

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan cdpReply
	err     error // why the read loop ended
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func dialCDP(ctx context.Context, url string) (*cdp, error) {
	c, err := conn.Dial(ctx, url, &conn.DialOptions{Options: conn.Options{ReadLimit: 64 << 20}})
	if err != nil {
		return nil, err
	}
	b := &cdp{c: c, done: make(chan struct{}), pending: make(map[int64]chan cdpReply)}
	go b.readLoop()
	return b, nil
}

func (b *cdp) readLoop() {
	defer close(b.done)
	var buf []byte
	for {
		_, msg, err := b.c.Read(context.Background(), buf)
		if err != nil {
			b.mu.Lock()
			b.err = err
			b.mu.Unlock()
			return
		}
		buf = msg
		var m struct {
			ID int64 `json:"id"`
			cdpReply
		}
		if json.Unmarshal(msg, &m) != nil || m.ID == 0 {
			continue // an event
		}
		b.mu.Lock()
		ch := b.pending[m.ID]
		delete(b.pending, m.ID)
		b.mu.Unlock()
		if ch != nil {
			// Copy: the buffer is reused for the next message.
			m.Result = append(json.RawMessage(nil), m.Result...)
			ch <- m.cdpReply
		}
	}
}

// call sends a command, to the browser when session is "" or else to the
// attached target, and decodes the reply's result into result.
func (b *cdp) call(ctx context.Context, session, method string, params, result any) error {
	ch := make(chan cdpReply, 1)
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	b.pending[id] = ch
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
	}()
	if params == nil {
		params = struct{}{}
	}
	msg, err := json.Marshal(struct {
		ID        int64  `json:"id"`
		SessionID string `json:"sessionId,omitempty"`
		Method    string `json:"method"`
		Params    any    `json:"params"`
	}{id, session, method, params})
	if err != nil {
		return err
	}
	if err := b.c.Write(ctx, conn.Text, msg); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return fmt.Errorf("%s: %d %s", method, r.Error.Code, r.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(r.Result, result)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	case <-b.done:
		return fmt.Errorf("%s: connection ended: %v", method, b.err)
	}
}

// eval evaluates a JavaScript expression in a tab and decodes its value.
func (b *cdp) eval(ctx context.Context, session, expr string, result any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := b.call(ctx, session, "Runtime.evaluate", map[string]any{
		"expression": expr, "returnByValue": true, "awaitPromise": true,
	}, &r)
	if err != nil {
		return err
	}
	if e := r.ExceptionDetails; e != nil {
		return fmt.Errorf("%s: %s %s", expr, e.Text, e.Exception.Description)
	}
	if result != nil && r.Result.Value != nil {
		return json.Unmarshal(r.Result.Value, result)
	}
	return nil
}

// waitTrue evaluates expr every 50 ms until it is true.
func (b *cdp) waitTrue(ctx context.Context, session, expr string) error {
	for {
		var ok bool
		if err := b.eval(ctx, session, expr, &ok); err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", expr, ctx.Err())
		}
	}
}

// openTab opens url in a new tab and returns the session to talk to it.
func (b *cdp) openTab(ctx context.Context, url string) (string, error) {
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": url}, &target); err != nil {
		return "", err
	}
	var session struct {
		SessionID string `json:"sessionId"`
	}
	err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &session)
	return session.SessionID, err
}

// chromium is a headless Chromium with its DevTools connection.
type chromium struct {
	*cdp
	version string
}

// startChromium runs a headless Chromium with a fresh profile and connects
// to its DevTools WebSocket; the test's cleanup ends both.
func startChromium(t *testing.T, flags ...string) *chromium {
	var bin string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		missing(t, "Chromium not installed (apt-get install -y chromium)")
	}
	profile := t.TempDir()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--no-default-browser-check",
		"--remote-debugging-port=0", "--user-data-dir=" + profile}, flags...)
	cmd := exec.Command(bin, append(args, "about:blank")...)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	var b *cdp
	t.Cleanup(func() {
		stopped := false
		if b != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			stopped = b.call(ctx, "", "Browser.close", nil, nil) == nil
			cancel()
			b.c.CloseNow()
			<-b.done
		}
		if !stopped {
			cmd.Process.Signal(syscall.SIGTERM)
		}
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("chromium stderr:\n%s", stderr.String())
		}
	})

	// Chromium writes the port it chose, and the browser target's path.
	var port, path string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		data, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort"))
		if lines := strings.Split(string(data), "\n"); err == nil && len(lines) >= 2 && lines[1] != "" {
			port, path = lines[0], lines[1]
			break
		}
		select {
		case <-exited:
			t.Fatalf("chromium exited:\n%s", stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no DevToolsActivePort after 15 s:\n%s", stderr.String())
		}
	}
	ctx := testContext(t, 10*time.Second)
	var err error
	if b, err = dialCDP(ctx, "ws://127.0.0.1:"+port+path); err != nil {
		t.Fatalf("DevTools: %v", err)
	}
	var v struct {
		Product string `json:"product"`
	}
	if err := b.call(ctx, "", "Browser.getVersion", nil, &v); err != nil {
		t.Fatal(err)
	}
	return &chromium{cdp: b, version: v.Product}
}

// TestCDPClientClose checks the DevTools connection's own close handshake
// with Chromium: a close from hybi is answered cleanly.
func TestCDPClientClose(t *testing.T) {
	br := startChromium(t)
	t.Logf("%s", br.version)
	if err := br.c.Close(closecode.Normal, "bye"); err != nil {
		t.Fatalf("close: %v, want a clean close handshake", err)
	}
	<-br.done
	var ce *conn.CloseError
	if !errors.As(br.err, &ce) || ce == nil || !ce.Clean || ce.Code != closecode.Normal {
		t.Fatalf("end: %v, want a clean 1000", br.err)
	}
}
