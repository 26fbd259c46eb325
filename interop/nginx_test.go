package interop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
)

// nginxReadTimeout is the proxy_read_timeout of the test's nginx: short, to
// keep the tests fast.
const nginxReadTimeout = 3 * time.Second

// nginxConf is the test's configuration: one process in the foreground,
// everything in the temporary directory, and a WebSocket proxy as the
// README shows it.
const nginxConf = `daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 256; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    map $http_upgrade $connection_upgrade {
        default upgrade;
        ''      close;
    }
    server {
        listen %[2]s;
        location / {
            proxy_pass http://%[3]s;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_read_timeout %[4]ds;
        }
    }
}
`

// startNginx runs nginx on loopback as a reverse proxy to upstream
// (host:port) and returns its address; the test's cleanup stops it.
func startNginx(t *testing.T, upstream string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
			missing(t, "nginx not installed (apt-get install -y nginx)")
		}
		bin = "/usr/sbin/nginx"
	}
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := filepath.Join(dir, "nginx.conf")
	text := fmt.Sprintf(nginxConf, dir, addr, upstream, int(nginxReadTimeout/time.Second))
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output:\n%s\nerror.log:\n%s", out.String(), log)
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited:\n%s\n%s", out.String(), log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx not listening on %s after 10 s", addr)
		}
	}
}

// TestNginxIdle holds idle connections through nginx, whose
// proxy_read_timeout is 3 s: with hybi's keepalive below it, on either
// side, a connection idle for more than three timeouts survives; with
// keepalive off, nginx cuts it and both ends report 1006 and why.
func TestNginxIdle(t *testing.T) {
	const ping = time.Second
	ends := make(chan error, 4)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var interval time.Duration
		switch r.URL.Query().Get("ping") {
		case "server":
			interval = ping
		default:
			interval = -1
		}
		c, err := conn.Accept(w, r, &conn.AcceptOptions{Options: conn.Options{PingInterval: interval}})
		if err != nil {
			return
		}
		var buf []byte
		for {
			typ, msg, err := c.Read(context.Background(), buf)
			if err != nil {
				if r.URL.Query().Get("ping") == "off" {
					ends <- err
				}
				return
			}
			buf = msg
			c.Write(context.Background(), typ, msg)
		}
	}))
	t.Cleanup(up.Close)
	proxy := startNginx(t, strings.TrimPrefix(up.URL, "http://"))

	for _, tc := range []struct {
		name       string
		clientPing time.Duration
	}{
		{"server", -1},
		{"client", ping},
		{"off", -1},
	} {
		t.Run("keepalive-"+tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t, 30*time.Second)
			c, err := conn.Dial(ctx, "ws://"+proxy+"/ws?ping="+tc.name,
				&conn.DialOptions{Options: conn.Options{PingInterval: tc.clientPing}})
			if err != nil {
				t.Fatalf("dial through nginx: %v", err)
			}
			defer c.CloseNow()
			if err := c.Write(ctx, conn.Text, []byte("hello")); err != nil {
				t.Fatal(err)
			}
			if _, msg, err := c.Read(ctx, nil); err != nil || string(msg) != "hello" {
				t.Fatalf("echo: %q, %v", msg, err)
			}

			// Idle for more than three timeouts' worth.
			idle := 3*nginxReadTimeout + nginxReadTimeout/3
			start := time.Now()
			rctx, cancel := context.WithTimeout(ctx, idle)
			_, msg, err := c.Read(rctx, nil)
			cancel()
			waited := time.Since(start)
			if tc.name != "off" {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("idle read ended after %v with %q, %v; want it to wait the whole %v", waited, msg, err, idle)
				}
				if err := c.Write(ctx, conn.Text, []byte("still here")); err != nil {
					t.Fatalf("write after %v idle: %v", idle, err)
				}
				if _, msg, err := c.Read(ctx, nil); err != nil || string(msg) != "still here" {
					t.Fatalf("echo after %v idle: %q, %v", idle, msg, err)
				}
				if err := c.Close(closecode.Normal, "done"); err != nil {
					t.Fatalf("close through nginx: %v", err)
				}
				return
			}
			var ce *conn.CloseError
			if !errors.As(err, &ce) || ce.Code != closecode.Abnormal || ce.Clean || ce.Reason == "" {
				t.Fatalf("idle read without keepalive: %v after %v, want a 1006 with a reason", err, waited)
			}
			if waited < nginxReadTimeout-nginxReadTimeout/4 {
				t.Errorf("connection cut after %v, before nginx's %v timeout", waited, nginxReadTimeout)
			}
			if !errors.Is(ce, io.EOF) && !errors.Is(ce, io.ErrUnexpectedEOF) && !errors.Is(ce, syscall.ECONNRESET) {
				t.Errorf("cause %v, want the end of the TCP stream", ce.Err)
			}
			t.Logf("cut after %v: %v", waited.Round(10*time.Millisecond), err)
			select {
			case err := <-ends:
				if !errors.As(err, &ce) || ce.Code != closecode.Abnormal || ce.Reason == "" {
					t.Errorf("server's end: %v, want 1006 with a reason", err)
				}
			case <-time.After(5 * time.Second):
				t.Error("the server's connection did not end")
			}
		})
	}
}

// TestNginxBrowserChat loads the chat example's page through nginx in two
// tabs of a headless Chromium: both connect over the proxy, and a message
// typed in one reaches both.
func TestNginxBrowserChat(t *testing.T) {
	br := startChromium(t)
	bin := filepath.Join(t.TempDir(), "chat")
	if out, err := exec.Command("go", "build", "-o", bin, "../examples/chat").CombinedOutput(); err != nil {
		t.Fatalf("go build ../examples/chat: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	upstream := ln.Addr().String()
	ln.Close()
	chat := exec.Command(bin, "-addr", upstream)
	var chatLog lockedBuffer
	chat.Stderr = &chatLog
	if err := chat.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		chat.Process.Signal(syscall.SIGINT)
		chat.Wait()
		if t.Failed() {
			t.Logf("chat log:\n%s", chatLog.String())
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", upstream); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chat server not listening on %s:\n%s", upstream, chatLog.String())
		}
	}
	proxy := startNginx(t, upstream)
	ctx := testContext(t, 30*time.Second)
	tabs := []string{}
	for range 2 {
		s, err := br.openTab(ctx, "http://"+proxy+"/")
		if err != nil {
			t.Fatal(err)
		}
		tabs = append(tabs, s)
	}
	for i, s := range tabs {
		if err := br.waitTrue(ctx, s, `window.chat !== undefined && chat.state === "OPEN"`); err != nil {
			t.Fatalf("tab %d: %v", i, err)
		}
	}
	js := `(() => { const i = document.getElementById("text"); i.value = "via nginx ✓";
		document.getElementById("form").requestSubmit(); return i.value === ""; })()`
	var sent bool
	if err := br.eval(ctx, tabs[0], js, &sent); err != nil || !sent {
		t.Fatalf("send from the first tab: %v, %v", sent, err)
	}
	for i, s := range tabs {
		if err := br.waitTrue(ctx, s, `chat.received.includes("via nginx ✓")`); err != nil {
			t.Fatalf("tab %d: %v", i, err)
		}
	}
}
