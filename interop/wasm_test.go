package interop

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
)

// wasmPage loads wasm_exec.js and runs client.wasm, keeping what the
// program prints (and any failure to start it) in hybiLog.
const wasmPage = `<!doctype html>
<meta charset="utf-8">
<title>hybi wasm client</title>
<script>
globalThis.hybiLog = [];
for (const k of ["log", "error", "warn"]) {
	const orig = console[k];
	console[k] = (...a) => { hybiLog.push(a.join(" ")); orig.apply(console, a); };
}
</script>
<script src="wasm_exec.js"></script>
<script>
const go = new Go();
WebAssembly.instantiateStreaming(fetch("client.wasm"), go.importObject)
	.then(r => go.run(r.instance))
	.catch(e => hybiLog.push("run: " + e))
	.finally(() => { globalThis.hybiExited = true; });
</script>
`

// wasmExecJS returns the path of the toolchain's wasm_exec.js.
func wasmExecJS(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	root := strings.TrimSpace(string(out))
	for _, dir := range []string{"lib/wasm", "misc/wasm"} {
		p := filepath.Join(root, dir, "wasm_exec.js")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("no wasm_exec.js under %s/lib/wasm or misc/wasm", root)
	return ""
}

// TestWasmClient builds interop/wasm, hybi's conn client compiled for the
// browser (GOOS=js GOARCH=wasm), loads it in headless Chromium from a page
// of a hybi echo server, and checks what the client reports and what the
// server saw: echoes of text and of binary messages of 0 B to 1 MiB, the
// subprotocol, Reader and Writer, NetConn, the options and calls the
// browser refuses, Write waiting on bufferedAmount, a close by the server
// with 4001 and a reason, a close by the client, CloseNow, the read limit,
// the browser's compression, and failing dials.
func TestWasmClient(t *testing.T) {
	br := startChromium(t)
	start := time.Now()
	step := func(what string) { t.Logf("%5.2fs %s", time.Since(start).Seconds(), what) }
	step(br.version + " started")

	dir := t.TempDir()
	wasm := filepath.Join(dir, "client.wasm")
	build := exec.Command("go", "build", "-o", wasm, "./wasm")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go build ./wasm: %v\n%s", err, out)
	}
	execJS := wasmExecJS(t)
	step("client.wasm built")

	ends := make(chan serverEnd, 100)
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(wasmPage))
	})
	mux.HandleFunc("/wasm_exec.js", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, execJS) })
	mux.HandleFunc("/client.wasm", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/wasm")
		http.ServeFile(w, r, wasm)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) { wasmEcho(w, r, ends) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := testContext(t, 60*time.Second)
	session, err := br.openTab(ctx, srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if err := br.waitTrue(ctx, session, `globalThis.hybiExited === true`); err != nil {
		var log []string
		br.eval(testContext(t, 5*time.Second), session, `globalThis.hybiLog`, &log)
		t.Fatalf("%v; the page's console:\n%s", err, strings.Join(log, "\n"))
	}
	step("client exited")
	var raw string
	var log []string
	if err := br.eval(ctx, session, `globalThis.hybiReport ?? ""`, &raw); err != nil {
		t.Fatal(err)
	}
	if err := br.eval(ctx, session, `globalThis.hybiLog`, &log); err != nil {
		t.Fatal(err)
	}
	var report []struct {
		Name   string `json:"name"`
		OK     bool   `json:"ok"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal([]byte(raw), &report); err != nil {
		t.Fatalf("no report from the client (%v); the page's console:\n%s", err, strings.Join(log, "\n"))
	}
	got := map[string]bool{}
	for _, c := range report {
		got[c.Name] = c.OK
		if c.OK {
			t.Logf("ok   %s: %s", c.Name, c.Detail)
		} else {
			t.Errorf("FAIL %s: %s", c.Name, c.Detail)
		}
	}
	for _, name := range []string{
		"dial-subprotocol", "text", "binary-0", "binary-125", "binary-65536", "binary-1048576",
		"reader-writer", "netconn", "refused", "backpressure", "server-close-4001",
		"client-close", "close-now", "read-limit", "compression", "close-timeout", "dial-failures",
	} {
		if _, ok := got[name]; !ok {
			t.Errorf("the client did not report %s; the page's console:\n%s", name, strings.Join(log, "\n"))
		}
	}

	// What the server saw of the closes.
	seen := map[string]serverEnd{}
	for deadline := time.After(10 * time.Second); len(seen) < 7; {
		select {
		case e := <-ends:
			seen[e.path] = e
			t.Logf("server: %s ended with %v (Close: %v)", e.path, e.end, e.closeErr)
		case <-deadline:
			t.Fatalf("the server saw the end of only %v", seen)
		}
	}
	if e := seen["echo"]; !e.closed || e.closeErr != nil || e.subprotocol != "hybi.test" {
		t.Errorf("server's Close(4001) for the browser: %+v, want a clean close of a hybi.test connection", e)
	}
	if e := seen["client-close"]; e.end == nil || e.end.Code != 4000 || e.end.Reason != "client bye" || !e.end.Clean {
		t.Errorf("server saw the browser's Close end with %v, want 4000 \"client bye\" clean", e.end)
	}
	if e := seen["read-limit"]; e.end == nil || e.end.Code != closecode.NoStatus || !e.end.Clean {
		t.Errorf("server saw the end over the read limit as %v, want a clean close without status", e.end)
	}
	if e := seen["compression"]; e.closeErr != nil {
		t.Errorf("compressed connection: %v", e.closeErr)
	}
}

// wasmEcho is the hybi server of TestWasmClient: it echoes every message,
// answers "pause MS" by echoing it and then reading nothing for MS
// milliseconds, and "close CODE REASON" by closing so. The query's name
// names the connection in what is sent on ends; deflate=1 negotiates
// permessage-deflate.
func wasmEcho(w http.ResponseWriter, r *http.Request, ends chan<- serverEnd) {
	if r.URL.Query().Get("hang") != "" {
		// A server that never answers the handshake.
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return
	}
	opts := &conn.AcceptOptions{Subprotocols: []string{"hybi.test"}}
	if r.URL.Query().Get("deflate") != "" {
		opts.Compression = &deflate.Config{}
	}
	c, err := conn.Accept(w, r, opts)
	if err != nil {
		return
	}
	defer c.CloseNow()
	e := serverEnd{path: r.URL.Query().Get("name"), subprotocol: c.Subprotocol()}
	if _, ok := c.Compression(); !ok && opts.Compression != nil {
		e.closeErr = errNoCompression
	}
	ctx := r.Context()
	var buf []byte
	for {
		typ, msg, err := c.Read(ctx, buf)
		if err != nil {
			e.end = asCloseError(err)
			ends <- e
			return
		}
		buf = msg
		cmd, arg, _ := strings.Cut(string(msg), " ")
		switch {
		case typ == conn.Text && cmd == "close":
			code, reason, _ := strings.Cut(arg, " ")
			n, _ := strconv.Atoi(code)
			e.closed, e.closeErr = true, c.Close(closecode.Code(n), reason)
			ends <- e
			return
		case typ == conn.Text && cmd == "pause":
			if err := c.Write(ctx, typ, msg); err != nil {
				continue
			}
			ms, _ := strconv.Atoi(arg)
			time.Sleep(time.Duration(ms) * time.Millisecond)
		default:
			if err := c.Write(ctx, typ, msg); err != nil {
				continue // the next Read reports the end
			}
		}
	}
}

var errNoCompression = &conn.CloseError{Reason: "compression not negotiated"}
