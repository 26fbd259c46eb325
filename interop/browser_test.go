package interop

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chatServer is a running examples/chat binary.
type chatServer struct {
	cmd    *exec.Cmd
	log    *lockedBuffer
	exited chan struct{}
	err    error
}

func buildChat(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "chat")
	if out, err := exec.Command("go", "build", "-o", bin, "../examples/chat").CombinedOutput(); err != nil {
		t.Fatalf("go build ../examples/chat: %v\n%s", err, out)
	}
	return bin
}

func startChat(t *testing.T, bin, addr string, args ...string) *chatServer {
	return startChatEnv(t, bin, addr, nil, args...)
}

// startChatEnv starts the chat server with env added to its environment.
func startChatEnv(t *testing.T, bin, addr string, env []string, args ...string) *chatServer {
	s := &chatServer{cmd: exec.Command(bin, append(append([]string{"-addr", addr}, chatFlags...), args...)...), log: &lockedBuffer{}, exited: make(chan struct{})}
	if env != nil {
		s.cmd.Env = append(os.Environ(), env...)
	}
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.exited
		if t.Failed() {
			t.Logf("chat server log:\n%s", s.log.String())
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return s
		}
		select {
		case <-s.exited:
			t.Fatalf("chat server exited: %v\n%s", s.err, s.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("chat server not listening on %s", addr)
		}
	}
}

// stop sends SIGINT and waits for a clean exit.
func (s *chatServer) stop(t *testing.T) {
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
		if s.err != nil {
			t.Fatalf("chat server exited with %v\n%s", s.err, s.log.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("chat server still running 10 s after SIGINT\n%s", s.log.String())
	}
}

type closeEvent struct {
	Code     int    `json:"code"`
	Reason   string `json:"reason"`
	WasClean bool   `json:"wasClean"`
}

// TestBrowserChat loads the chat page in two tabs of a headless Chromium:
// messages typed in one tab reach both; when the server shuts down, both
// pages see a clean 1001 "going away" and, once the server is back on the
// same port, reconnect by themselves.
func TestBrowserChat(t *testing.T) {
	start := time.Now()
	step := func(what string) { t.Logf("%5.2fs %s", time.Since(start).Seconds(), what) }
	br := startChromium(t)
	step(br.version + " started")
	bin := buildChat(t)
	step("chat built")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := startChat(t, bin, addr)
	ctx := testContext(t, 40*time.Second)

	tabs := map[string]string{}
	for _, name := range []string{"A", "B"} {
		session, err := br.openTab(ctx, "http://"+addr+"/")
		if err != nil {
			t.Fatal(err)
		}
		tabs[name] = session
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	waitAll := func(expr string) {
		t.Helper()
		for _, s := range tabs {
			must(br.waitTrue(ctx, s, expr))
		}
	}
	// say types text into a tab's form and submits it, as a user would.
	say := func(tab, text string) {
		t.Helper()
		js := fmt.Sprintf(`(() => { const i = document.getElementById("text"); i.value = %q;
			document.getElementById("form").requestSubmit(); return i.value === ""; })()`, text)
		var sent bool
		must(br.eval(ctx, tabs[tab], js, &sent))
		if !sent {
			t.Fatalf("tab %s could not send %q", tab, text)
		}
		waitAll(fmt.Sprintf("chat.received.includes(%q)", text))
	}

	waitAll(`window.chat !== undefined && chat.state === "OPEN"`)
	step("tabs connected")
	say("A", "hello from A")
	say("B", "hello from B ✓")

	// Shut the server down: each page sees a clean 1001.
	step("messages exchanged")
	srv.stop(t)
	step("server stopped")
	waitAll(`chat.closes.length >= 1`)
	for name, s := range tabs {
		var first closeEvent
		must(br.eval(ctx, s, `chat.closes[0]`, &first))
		if first != (closeEvent{1001, "going away", true}) {
			t.Errorf("tab %s: first close %+v, want 1001 \"going away\" wasClean", name, first)
		}
	}
	// Leave it down long enough for reconnect attempts to fail.
	time.Sleep(1500 * time.Millisecond)
	srv = startChat(t, bin, addr)
	step("server restarted")
	waitAll(`chat.opens === 2 && chat.state === "OPEN"`)
	step("tabs reconnected")
	for name, s := range tabs {
		var closes []closeEvent
		must(br.eval(ctx, s, `chat.closes`, &closes))
		for _, c := range closes[1:] {
			if c.Code != 1006 || c.WasClean {
				t.Errorf("tab %s: failed reconnect closed with %+v, want 1006 not clean", name, c)
			}
		}
		b, _ := json.Marshal(closes)
		t.Logf("tab %s closes: %s", name, b)
	}
	say("B", "back again")

	// Each tab got exactly the three messages: in particular, the pages sent
	// nothing of their own (no application-level heartbeat).
	want := []string{"hello from A", "hello from B ✓", "back again"}
	for name, s := range tabs {
		var got []string
		must(br.eval(ctx, s, `chat.received`, &got))
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("tab %s received %q, want %q", name, got, want)
		}
	}

	// The user disconnects tab A: a clean close started by the browser,
	// and no reconnection until the user asks for one.
	must(br.eval(ctx, tabs["A"], `document.getElementById("toggle").click()`, nil))
	must(br.waitTrue(ctx, tabs["A"], `chat.closes.length >= 2 && chat.state === "CLOSED"`))
	var last closeEvent
	must(br.eval(ctx, tabs["A"], `chat.closes[chat.closes.length - 1]`, &last))
	if last.Code != 1000 || !last.WasClean {
		t.Errorf("tab A: close after Disconnect %+v, want 1000 wasClean", last)
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(srv.log.String(), `1000 "user disconnected" (clean)`); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not log the browser's clean close:\n%s", srv.log.String())
		}
	}
	time.Sleep(time.Second)
	var opens int
	must(br.eval(ctx, tabs["A"], `chat.opens`, &opens))
	if opens != 2 {
		t.Fatalf("tab A reconnected after Disconnect (%d opens)", opens)
	}
	must(br.eval(ctx, tabs["A"], `document.getElementById("toggle").click()`, nil))
	must(br.waitTrue(ctx, tabs["A"], `chat.opens === 3 && chat.state === "OPEN"`))
	step("tab A disconnected and reconnected by the user")
	srv.stop(t)
}
