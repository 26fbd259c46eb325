package interop

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// hybidPage connects back to the server it came from, sends one message
// once open, and records what it receives and how the connection closed.
const hybidPage = `<!doctype html>
<title>counter</title>
<script>
window.result = {got: [], close: null};
const url = new URL("/count?from=browser", location.href);
url.protocol = "ws:";
const ws = new WebSocket(url);
ws.onopen = () => ws.send("tab");
ws.onmessage = e => result.got.push(e.data);
ws.onclose = e => { result.close = {code: e.code, reason: e.reason, wasClean: e.wasClean}; };
</script>
`

// hybidCounter is the seed's counter script, greeting with the query string
// and counting for the name it reads first.
const hybidCounter = `echo "hello $QUERY_STRING"
read -r name
for i in 1 2 3; do echo "$name $i"; sleep 0.05; done
`

// TestBrowserHybid runs cmd/hybid with a counter script and a static page,
// and loads the page in headless Chromium: the page's WebSocket gets the
// script's lines, and the script's exit closes it cleanly with 1000.
func TestBrowserHybid(t *testing.T) {
	start := time.Now()
	br := startChromium(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "hybid")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/hybid").CombinedOutput(); err != nil {
		t.Fatalf("go build ../cmd/hybid: %v\n%s", err, out)
	}
	www := filepath.Join(dir, "www")
	if err := os.Mkdir(www, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(www, "index.html"), []byte(hybidPage), 0o644); err != nil {
		t.Fatal(err)
	}
	counter := filepath.Join(dir, "counter.sh")
	if err := os.WriteFile(counter, []byte(hybidCounter), 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "-addr", addr, "-static", www, "sh", counter)
	var log lockedBuffer
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("hybid log:\n%s", log.String())
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hybid not listening on %s:\n%s", addr, log.String())
		}
	}

	t.Logf("%.1fs: chromium started, hybid built and listening", time.Since(start).Seconds())
	ctx := testContext(t, 30*time.Second)
	tab, err := br.openTab(ctx, "http://"+addr+"/")
	if err != nil {
		t.Fatal(err)
	}
	if err := br.waitTrue(ctx, tab, `window.result !== undefined && result.close !== null`); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Got   []string `json:"got"`
		Close struct {
			Code     int    `json:"code"`
			Reason   string `json:"reason"`
			WasClean bool   `json:"wasClean"`
		} `json:"close"`
	}
	if err := br.eval(ctx, tab, `result`, &res); err != nil {
		t.Fatal(err)
	}
	want := []string{"hello from=browser", "tab 1", "tab 2", "tab 3"}
	if fmt.Sprint(res.Got) != fmt.Sprint(want) {
		t.Errorf("page received %q, want %q", res.Got, want)
	}
	if c := res.Close; c.Code != 1000 || c.Reason != "" || !c.WasClean {
		b, _ := json.Marshal(res.Close)
		t.Errorf("page's close %s, want 1000 wasClean", b)
	}
	t.Logf("%.1fs: done", time.Since(start).Seconds())
}
