package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/handshake"
)

// TestMain doubles as the helper programs some tests run: the test binary
// itself, with HYBID_TEST_HELPER naming the helper.
func TestMain(m *testing.M) {
	switch os.Getenv("HYBID_TEST_HELPER") {
	case "":
		os.Exit(m.Run())
	case "flood":
		flood(os.Getenv("HYBID_TEST_PROGRESS"))
	}
	os.Exit(0)
}

// flood writes numbered 1 KiB lines as fast as its output takes them, and
// keeps the number of the last line written in the file progress.
func flood(progress string) {
	var mu sync.Mutex
	n := 0
	go func() {
		for {
			mu.Lock()
			v := n
			mu.Unlock()
			tmp := progress + ".tmp"
			os.WriteFile(tmp, []byte(strconv.Itoa(v)), 0o644)
			os.Rename(tmp, progress)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	pad := strings.Repeat("x", 1000)
	for i := 1; ; i++ {
		if _, err := fmt.Fprintf(os.Stdout, "%d %s\n", i, pad); err != nil {
			os.Exit(1)
		}
		mu.Lock()
		n = i
		mu.Unlock()
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type hybid struct {
	addr string
	log  *lockedBuffer
	stop func() // cancels run and waits for it
}

// startHybid runs the command in-process with args (flags and program;
// -addr is added) and returns its address; the test's cleanup stops it.
func startHybid(t *testing.T, args ...string) *hybid {
	t.Helper()
	h := &hybid{log: &lockedBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), h.log, ready) }()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Error("hybid did not stop")
			}
		})
	}
	t.Cleanup(func() {
		h.stop()
		if t.Failed() {
			t.Logf("hybid log:\n%s", h.log.String())
		}
	})
	select {
	case h.addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v\n%s", err, h.log.String())
	}
	return h
}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "prog.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// counter is the seed's counter script, faster: it prints its pid (which
// is its process group), then counts to 5.
const counter = `echo "pid $$"
for i in 1 2 3 4 5; do echo $i; sleep 0.02; done
`

func dial(t *testing.T, ctx context.Context, url string) *conn.Conn {
	t.Helper()
	c, err := conn.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func read(t *testing.T, ctx context.Context, c *conn.Conn) string {
	t.Helper()
	_, msg, err := c.Read(ctx, nil)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(msg)
}

func wantEnd(t *testing.T, ctx context.Context, c *conn.Conn, code closecode.Code, reason string) {
	t.Helper()
	_, msg, err := c.Read(ctx, nil)
	var ce *conn.CloseError
	if !errors.As(err, &ce) || ce.Code != code || ce.Reason != reason || !ce.Clean {
		t.Fatalf("read %q, %v; want a clean close %d %q", msg, err, code, reason)
	}
}

func pidOf(t *testing.T, line string) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimPrefix(line, "pid "))
	if err != nil || !strings.HasPrefix(line, "pid ") {
		t.Fatalf("first line %q, want the program's pid", line)
	}
	return pid
}

// procs lists the processes whose parent is this process or whose process
// group is in groups, with their state.
func procs(t *testing.T, groups map[int]bool) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	me := os.Getpid()
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:]) // state ppid pgrp ...
		if len(f) < 3 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		pgrp, _ := strconv.Atoi(f[2])
		if ppid == me || groups[pgrp] {
			out = append(out, fmt.Sprintf("%s %s (state %s, ppid %d, pgrp %d)", e.Name(), s[strings.IndexByte(s, '('):i+1], f[0], ppid, pgrp))
		}
	}
	return out
}

// noProcsLeft waits until no child of this process and no process of
// groups is left, zombies included.
func noProcsLeft(t *testing.T, groups map[int]bool) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if left = procs(t, groups); len(left) == 0 {
			return
		}
	}
	t.Fatalf("%d processes left:\n%s", len(left), strings.Join(left, "\n"))
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, &out, nil); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run -h: %v", err)
	}
	help := out.String()
	if !strings.HasPrefix(help, "usage: hybid [flags] program [args...]") {
		t.Errorf("help starts %q", help[:min(len(help), 60)])
	}
	// Every flag is listed, with its explanation.
	n := 0
	for _, line := range strings.Split(help, "\n") {
		if strings.HasPrefix(line, "  -") {
			n++
		}
	}
	for _, name := range []string{"addr", "binary", "max-procs", "grace", "write-timeout", "max-message", "origin", "any-origin", "passenv", "static", "tls-cert", "tls-key", "quiet"} {
		if !strings.Contains(help, "\n  -"+name+" ") && !strings.Contains(help, "\n  -"+name+"\n") {
			t.Errorf("-h does not explain -%s", name)
		}
	}
	if n != 13 {
		t.Errorf("-h lists %d flags, the test knows 13:\n%s", n, help)
	}
	for _, v := range []string{"REQUEST_URI", "QUERY_STRING", "REMOTE_ADDR", "HTTP_<HEADER>"} {
		if !strings.Contains(help, v) {
			t.Errorf("-h does not name %s", v)
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"-binary"}, &out, nil); !errors.Is(err, errUsage) || !strings.Contains(out.String(), "no program given") {
		t.Errorf("run without a program: %v, %q", err, out.String())
	}
}

// TestCounter: the seed's counter script, driven by a hybi client: its
// lines arrive as messages, and its exit closes with 1000.
func TestCounter(t *testing.T) {
	h := startHybid(t, "sh", script(t, counter))
	ctx := testContext(t, 10*time.Second)
	c := dial(t, ctx, "ws://"+h.addr+"/")
	pid := pidOf(t, read(t, ctx, c))
	for i := 1; i <= 5; i++ {
		if got := read(t, ctx, c); got != strconv.Itoa(i) {
			t.Fatalf("message %q, want %d", got, i)
		}
	}
	wantEnd(t, ctx, c, closecode.Normal, "")
	noProcsLeft(t, map[int]bool{pid: true})
}

// TestEchoAndEnv: messages reach the program's input as lines, and the
// request is in its environment.
func TestEchoAndEnv(t *testing.T) {
	h := startHybid(t, "-passenv", "HYBID_TEST_PASSED", "sh", script(t, `
echo "$REQUEST_METHOD|$REQUEST_URI|$PATH_INFO|$QUERY_STRING|$SERVER_NAME|$SERVER_PORT|$REMOTE_ADDR|$HTTP_X_TEST|$HTTP_ORIGIN|$HTTPS|$HYBID_TEST_PASSED|$HOME"
while read -r line; do echo "got $line"; done
`))
	t.Setenv("HYBID_TEST_PASSED", "passed")
	ctx := testContext(t, 10*time.Second)
	_, port, _ := net.SplitHostPort(h.addr)
	c, err := conn.Dial(ctx, "ws://"+h.addr+"/some/path?name=me&msg=hello%20world", &conn.DialOptions{
		Header: http.Header{"X-Test": {"yes"}},
		Origin: "http://" + h.addr,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	want := "GET|/some/path?name=me&msg=hello%20world|/some/path|name=me&msg=hello%20world|127.0.0.1|" + port + "|127.0.0.1|yes|http://" + h.addr + "||passed|"
	if got := read(t, ctx, c); got != want {
		t.Errorf("environment\n got %s\nwant %s", got, want)
	}
	for _, m := range []string{"hello", "", "✓ ünïcode"} {
		if err := c.Write(ctx, conn.Text, []byte(m)); err != nil {
			t.Fatal(err)
		}
		if got := read(t, ctx, c); got != "got "+m {
			t.Fatalf("echo %q, want %q", got, "got "+m)
		}
	}
	// The client's close ends the input: the loop ends, the program exits.
	if err := c.Close(closecode.Normal, "bye"); err != nil {
		t.Fatalf("close: %v", err)
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(h.log.String(), "connection ended"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the session did not end with the connection:\n%s", h.log.String())
		}
	}
}

// TestExitNonZero: a program that fails closes the connection with 1011 and
// its status, after its output.
func TestExitNonZero(t *testing.T) {
	h := startHybid(t, "sh", script(t, "echo last words\nexit 3\n"))
	ctx := testContext(t, 10*time.Second)
	c := dial(t, ctx, "ws://"+h.addr+"/")
	if got := read(t, ctx, c); got != "last words" {
		t.Fatalf("message %q", got)
	}
	wantEnd(t, ctx, c, closecode.InternalError, "exit status 3")
}

// TestIgnoresStdinAndTERM: a program that reads nothing and ignores
// SIGTERM is killed after the grace period once the client closes.
func TestIgnoresStdinAndTERM(t *testing.T) {
	const grace = 300 * time.Millisecond
	h := startHybid(t, "-grace", grace.String(), "sh", script(t, `trap "" TERM
echo "pid $$"
while :; do sleep 0.05; done
`))
	ctx := testContext(t, 10*time.Second)
	c := dial(t, ctx, "ws://"+h.addr+"/")
	pid := pidOf(t, read(t, ctx, c))
	for range 20 {
		if err := c.Write(ctx, conn.Text, []byte("nobody reads this")); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	if err := c.Close(closecode.Normal, ""); err != nil {
		t.Fatalf("close: %v, want a clean close though the program reads nothing", err)
	}
	noProcsLeft(t, map[int]bool{pid: true})
	if d := time.Since(start); d < grace {
		t.Errorf("program gone %v after the close, before the %v grace period: SIGTERM was not ignored?", d, grace)
	}
	h.stop()
	if log := h.log.String(); !strings.Contains(log, "signal: killed") {
		t.Errorf("log does not show the kill:\n%s", log)
	}
}

// TestInputStuck: a program that does not read its input, with a client
// that keeps sending, fills the pipe; after -write-timeout the connection
// is closed with 1011 and the program stopped.
func TestInputStuck(t *testing.T) {
	h := startHybid(t, "-write-timeout", "300ms", "-grace", "100ms", "sh", script(t, `echo "pid $$"; exec sleep 30`))
	ctx := testContext(t, 10*time.Second)
	c := dial(t, ctx, "ws://"+h.addr+"/")
	pid := pidOf(t, read(t, ctx, c))
	ended := make(chan error, 1)
	go func() {
		_, _, err := c.Read(ctx, nil)
		ended <- err
	}()
	msg := bytes.Repeat([]byte("y"), 4096)
	for i := 0; i < 1000; i++ { // 4 MiB: more than the pipe holds
		if c.Write(ctx, conn.Text, msg) != nil {
			break
		}
	}
	err := <-ended
	var ce *conn.CloseError
	if !errors.As(err, &ce) || ce.Code != closecode.InternalError || ce.Reason != errInputStuck.Error() {
		t.Fatalf("end %v, want 1011 %q", err, errInputStuck)
	}
	noProcsLeft(t, map[int]bool{pid: true})
}

// TestFloodSlowReader: a program flooding its output to a client that
// reads slowly is blocked, not buffered: while the client pauses, the
// program makes no progress, it is never far ahead of the client, memory
// stays bounded, and no line is lost.
func TestFloodSlowReader(t *testing.T) {
	progress := filepath.Join(t.TempDir(), "progress")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("HYBID_TEST_HELPER", "flood")
	t.Setenv("HYBID_TEST_PROGRESS", progress)
	h := startHybid(t, "-passenv", "HYBID_TEST_HELPER,HYBID_TEST_PROGRESS", "-grace", "200ms", self)
	ctx := testContext(t, 30*time.Second)
	c, err := conn.Dial(ctx, "ws://"+h.addr+"/", &conn.DialOptions{Options: conn.Options{ReadBufferSize: 4096}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	got := 0
	var buf []byte
	readN := func(n int, pause time.Duration) {
		t.Helper()
		for range n {
			_, msg, err := c.Read(ctx, buf)
			if err != nil {
				t.Fatalf("read after %d lines: %v", got, err)
			}
			buf = msg
			got++
			seq, _, _ := strings.Cut(string(msg), " ")
			if seq != strconv.Itoa(got) || len(msg) != len(seq)+1001 {
				t.Fatalf("line %d: %.20q... (%d bytes)", got, msg, len(msg))
			}
			if pause > 0 {
				time.Sleep(pause)
			}
		}
	}
	written := func() int {
		b, _ := os.ReadFile(progress)
		n, _ := strconv.Atoi(string(b))
		return n
	}
	// Read slowly for a while.
	readN(100, 5*time.Millisecond)
	// Pause: the program fills the pipe and the socket buffers, then blocks.
	var w1, w2 int
	for deadline := time.Now().Add(10 * time.Second); ; {
		time.Sleep(300 * time.Millisecond)
		w1 = written()
		time.Sleep(300 * time.Millisecond)
		w2 = written()
		if w1 == w2 && w1 > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the program keeps writing while the client does not read (%d, then %d lines)", w1, w2)
		}
	}
	ahead := w2 - got
	t.Logf("blocked %d lines (%d KiB) ahead of the client, which read %d", ahead, ahead, got)
	// Loopback socket buffers hold a few MiB at most; the pipe 64 KiB.
	if ahead > 16<<10 {
		t.Errorf("the program got %d lines (%d MiB) ahead of the client", ahead, ahead>>10)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 8<<20 {
		t.Errorf("heap grew by %d MiB while the output waited", grown>>20)
	}
	// Reading again unblocks it, with nothing lost.
	readN(w2-got+1000, 0)
	if w3 := written(); w3 <= w2 {
		t.Errorf("the program did not resume (%d lines written, %d before)", w3, w2)
	}
	if err := c.Close(closecode.Normal, ""); err != nil {
		t.Logf("close: %v", err) // lines in flight may be dropped; the close must not hang
	}
	h.stop()
	noProcsLeft(t, nil)
}

// TestConcurrent runs 100 connections at once, half of them closed by the
// client halfway: every program ends and no process is left, zombie or not.
func TestConcurrent(t *testing.T) {
	const n = 100
	h := startHybid(t, "-max-procs", "100", "-grace", "500ms", "sh", script(t, counter))
	ctx := testContext(t, 60*time.Second)
	var mu sync.Mutex
	groups := map[int]bool{}
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- func() error {
				c, err := conn.Dial(ctx, "ws://"+h.addr+"/", nil)
				if err != nil {
					return err
				}
				defer c.CloseNow()
				_, msg, err := c.Read(ctx, nil)
				if err != nil {
					return err
				}
				pid, err := strconv.Atoi(strings.TrimPrefix(string(msg), "pid "))
				if err != nil {
					return fmt.Errorf("first line %q", msg)
				}
				mu.Lock()
				groups[pid] = true
				mu.Unlock()
				lines := 5
				if i%2 == 1 {
					lines = 2
				}
				for j := 1; j <= lines; j++ {
					if _, msg, err = c.Read(ctx, nil); err != nil || string(msg) != strconv.Itoa(j) {
						return fmt.Errorf("line %d: %q %v", j, msg, err)
					}
				}
				if i%2 == 1 {
					return c.Close(closecode.Normal, "")
				}
				_, _, err = c.Read(ctx, nil)
				var ce *conn.CloseError
				if !errors.As(err, &ce) || ce.Code != closecode.Normal || !ce.Clean {
					return fmt.Errorf("end %v", err)
				}
				return nil
			}()
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if len(groups) != n {
		t.Errorf("%d programs ran, want %d", len(groups), n)
	}
	noProcsLeft(t, groups)
}

// TestOriginAndLimit: cross-origin handshakes are refused by default and
// allowed by -origin; handshakes beyond -max-procs get 503.
func TestOriginAndLimit(t *testing.T) {
	h := startHybid(t, "-max-procs", "2", "-origin", "*.example.com", "sh", script(t, `echo hi; exec sleep 30`))
	ctx := testContext(t, 10*time.Second)
	url := "ws://" + h.addr + "/"
	var se *handshake.StatusError
	if _, err := conn.Dial(ctx, url, &conn.DialOptions{Origin: "https://evil.test"}); !errors.As(err, &se) || se.StatusCode != 403 {
		t.Errorf("cross-origin dial: %v, want 403", err)
	}
	for _, origin := range []string{"https://app.example.com", ""} {
		c, err := conn.Dial(ctx, url, &conn.DialOptions{Origin: origin})
		if err != nil {
			t.Fatalf("dial with origin %q: %v", origin, err)
		}
		defer c.CloseNow()
		if got := read(t, ctx, c); got != "hi" {
			t.Fatalf("message %q", got)
		}
	}
	_, err := conn.Dial(ctx, url, nil)
	if !errors.As(err, &se) || se.StatusCode != 503 || se.Header.Get("Retry-After") == "" {
		t.Errorf("third dial: %v, want 503 with Retry-After", err)
	}
}

// TestBinary: with -binary, bytes go through as they are.
func TestBinary(t *testing.T) {
	h := startHybid(t, "-binary", "cat")
	ctx := testContext(t, 10*time.Second)
	c := dial(t, ctx, "ws://"+h.addr+"/")
	in := make([]byte, 200_000)
	for i := range in {
		in[i] = byte(i * 7)
	}
	if err := c.Write(ctx, conn.Binary, in); err != nil {
		t.Fatal(err)
	}
	var out []byte
	for len(out) < len(in) {
		typ, msg, err := c.Read(ctx, nil)
		if err != nil || typ != conn.Binary {
			t.Fatalf("read after %d bytes: %v %v", len(out), typ, err)
		}
		out = append(out, msg...)
	}
	if !bytes.Equal(in, out) {
		t.Fatal("binary echo differs")
	}
	if err := c.Close(closecode.Normal, ""); err != nil {
		t.Fatal(err)
	}
}

// TestShutdown: hybid's shutdown closes the connections with 1001 and
// stops the programs.
func TestShutdown(t *testing.T) {
	h := startHybid(t, "-grace", "200ms", "sh", script(t, `echo "pid $$"; exec sleep 30`))
	ctx := testContext(t, 10*time.Second)
	c := dial(t, ctx, "ws://"+h.addr+"/")
	pid := pidOf(t, read(t, ctx, c))
	go h.stop()
	wantEnd(t, ctx, c, closecode.GoingAway, "going away")
	noProcsLeft(t, map[int]bool{pid: true})
}

// TestTLSAndStatic: with a certificate, the page and the WebSocket are
// served over TLS, and the program sees HTTPS=on.
func TestTLSAndStatic(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	static := filepath.Join(dir, "www")
	os.Mkdir(static, 0o755)
	os.WriteFile(filepath.Join(static, "index.html"), []byte("<p>the page</p>"), 0o644)
	h := startHybid(t, "-tls-cert", certFile, "-tls-key", keyFile, "-static", static, "sh", script(t, `echo "https=$HTTPS"`))
	ctx := testContext(t, 10*time.Second)
	tlsConf := &tls.Config{RootCAs: pool}

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}}
	resp, err := client.Get("https://" + h.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "<p>the page</p>" {
		t.Errorf("page %q", body)
	}
	c, err := conn.Dial(ctx, "wss://"+h.addr+"/", &conn.DialOptions{TLSConfig: tlsConf})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if got := read(t, ctx, c); got != "https=on" {
		t.Errorf("message %q", got)
	}
	wantEnd(t, ctx, c, closecode.Normal, "")
}

// selfSigned writes a certificate for 127.0.0.1 and its key to dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "hybid test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
