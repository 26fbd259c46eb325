package interop

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestBrowserChatOverHTTP2 loads the chat page over https in a headless
// Chromium, with examples/chat run with -tls (a self-signed certificate
// made at start-up, which the browser is told to accept) and
// GODEBUG=http2xconnect=1: the page and the WebSocket share one HTTP/2
// connection (RFC 8441). Messages reach both tabs, and the closes look as
// over HTTP/1.1: a server shutdown gives a clean 1001, a user's Disconnect a
// clean 1000 on both sides.
func TestBrowserChatOverHTTP2(t *testing.T) {
	start := time.Now()
	step := func(what string) { t.Logf("%5.2fs %s", time.Since(start).Seconds(), what) }
	br := startChromium(t, "--ignore-certificate-errors")
	step(br.version + " started")
	bin := buildChat(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	godebug := strings.TrimPrefix(os.Getenv("GODEBUG")+",http2xconnect=1", ",")
	srv := startChatEnv(t, bin, addr, []string{"GODEBUG=" + godebug}, "-tls")
	ctx := testContext(t, 40*time.Second)
	if !strings.Contains(srv.log.String(), "HTTP/2 for the page and the WebSocket") {
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(srv.log.String(), "HTTP/2 for the page and the WebSocket"); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the chat server did not say it serves the WebSocket over HTTP/2:\n%s", srv.log.String())
			}
		}
	}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	tabs := map[string]string{}
	for _, name := range []string{"A", "B"} {
		session, err := br.openTab(ctx, "https://"+addr+"/")
		must(err)
		tabs[name] = session
	}
	waitAll := func(expr string) {
		t.Helper()
		for _, s := range tabs {
			must(br.waitTrue(ctx, s, expr))
		}
	}
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
	// The page itself came over HTTP/2.
	for name, s := range tabs {
		var proto string
		must(br.eval(ctx, s, `performance.getEntriesByType("navigation")[0].nextHopProtocol`, &proto))
		if proto != "h2" {
			t.Fatalf("tab %s: page loaded over %q, want h2", name, proto)
		}
	}
	say("A", "hello over h2 from A")
	say("B", "hello over h2 from B ✓")
	step("messages exchanged")
	log := srv.log.String()
	if n := strings.Count(log, "websocket request over HTTP/2.0"); n != 2 || strings.Contains(log, "websocket request over HTTP/1.1") {
		t.Fatalf("the server saw %d WebSocket requests over HTTP/2, want 2 and none over HTTP/1.1:\n%s", n, log)
	}

	// The user disconnects tab A: a clean close started by the browser.
	must(br.eval(ctx, tabs["A"], `document.getElementById("toggle").click()`, nil))
	must(br.waitTrue(ctx, tabs["A"], `chat.closes.length >= 1 && chat.state === "CLOSED"`))
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
	step("tab A disconnected")

	// Shut the server down: tab B sees a clean 1001.
	srv.stop(t)
	step("server stopped")
	must(br.waitTrue(ctx, tabs["B"], `chat.closes.length >= 1`))
	var first closeEvent
	must(br.eval(ctx, tabs["B"], `chat.closes[0]`, &first))
	if first != (closeEvent{1001, "going away", true}) {
		t.Errorf("tab B: first close %+v, want 1001 \"going away\" wasClean", first)
	}
	t.Logf("server log:\n%s", srv.log.String())
}
