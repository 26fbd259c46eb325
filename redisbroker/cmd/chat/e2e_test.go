package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hybi/ws/redisbroker/internal/redistest"
)

// node is a running chat node.
type node struct {
	addr   string
	cmd    *exec.Cmd
	log    *syncBuffer
	exited chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startNode(t *testing.T, bin, redisAddr string) *node {
	n := &node{addr: freeAddr(t), log: &syncBuffer{}, exited: make(chan struct{})}
	n.cmd = exec.Command(bin, "-addr", n.addr, "-redis", redisAddr)
	n.cmd.Stderr = n.log
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { n.cmd.Wait(); close(n.exited) }()
	t.Cleanup(func() {
		n.cmd.Process.Kill()
		<-n.exited
		if t.Failed() {
			t.Logf("node %s log:\n%s", n.addr, n.log.String())
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + n.addr + "/status"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return n
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("node not ready on %s:\n%s", n.addr, n.log.String())
		}
	}
}

// stop ends the node with SIGINT, as a deploy does.
func (n *node) stop(t *testing.T) {
	n.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-n.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("node still running 10 s after SIGINT")
	}
}

// balancer is a TCP proxy standing for the load balancer in front of the
// nodes: each new connection goes to the current backend.
type balancer struct {
	ln      net.Listener
	backend atomic.Value // string
}

func startBalancer(t *testing.T, backend string) *balancer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{ln: ln}
	b.backend.Store(backend)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", b.backend.Load().(string))
				if err != nil {
					return
				}
				defer up.Close()
				go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite() }()
				io.Copy(c, up)
			}()
		}
	}()
	return b
}

// TestTwoNodesBrowsers runs two chat nodes on one redis-server, with a
// Chromium tab on each: messages cross nodes both ways. Then the first node
// stops; while its tab is away, the other tab sends; the balancer sends the
// tab to the second node when it reconnects, and it recovers every message
// it missed, once each, in order.
func TestTwoNodesBrowsers(t *testing.T) {
	start := time.Now()
	step := func(s string) { t.Logf("%5.2fs %s", time.Since(start).Seconds(), s) }
	r := redistest.Start(t, false)
	br := startBrowser(t)
	bin := filepath.Join(t.TempDir(), "chat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	a, b := startNode(t, bin, r.Addr), startNode(t, bin, r.Addr)
	lb := startBalancer(t, a.addr)
	step("redis, chromium and two nodes started")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	tabA, err := br.open(ctx, "http://"+lb.ln.Addr().String()+"/")
	must(err)
	tabB, err := br.open(ctx, "http://"+b.addr+"/")
	must(err)
	for _, s := range []string{tabA, tabB} {
		must(br.waitTrue(ctx, s, `window.chat !== undefined && chat.state === "OPEN" && chat.pos !== ""`))
	}
	send := func(tab, text string) {
		t.Helper()
		var ok bool
		must(br.eval(ctx, tab, fmt.Sprintf("chat.send(%q)", text), &ok))
		if !ok {
			t.Fatalf("tab could not send %q", text)
		}
	}
	send(tabA, "from A")
	send(tabB, "from B")
	for _, s := range []string{tabA, tabB} {
		must(br.waitTrue(ctx, s, `chat.received.includes("from A") && chat.received.includes("from B")`))
	}
	step("messages crossed the nodes both ways")

	a.stop(t)
	must(br.waitTrue(ctx, tabA, `chat.state === "CLOSED"`))
	missed := []string{"while away 1", "while away 2", "while away 3"}
	for _, m := range missed {
		send(tabB, m)
	}
	must(br.waitTrue(ctx, tabB, fmt.Sprintf("chat.received.includes(%q)", missed[len(missed)-1])))
	lb.backend.Store(b.addr)
	step("node A stopped; tab B sent 3 messages; the balancer now sends to node B")

	must(br.waitTrue(ctx, tabA, `chat.state === "OPEN" && chat.joins.length === 2`))
	must(br.waitTrue(ctx, tabA, fmt.Sprintf("chat.received.length >= %d", 2+len(missed))))
	var joins, got []string
	must(br.eval(ctx, tabA, "chat.joins", &joins))
	must(br.eval(ctx, tabA, "chat.received", &got))
	if joins[1] != "recovered" {
		t.Fatalf("tab A rejoined %q, want recovered", joins[1])
	}
	var onPage bool
	must(br.eval(ctx, tabA, fmt.Sprintf("[...document.querySelectorAll('#log li')].some(li => li.textContent === %q)", missed[2]), &onPage))
	if !onPage {
		t.Error("the recovered message is not shown on the page")
	}
	send(tabA, "back")
	must(br.waitTrue(ctx, tabA, `chat.received.includes("back")`))
	must(br.waitTrue(ctx, tabB, `chat.received.includes("back")`))
	must(br.eval(ctx, tabA, "chat.received", &got))
	want := append(append([]string{"from A", "from B"}, missed...), "back")
	// The order of the first two depends on which publish Redis ran first.
	if got[0] == "from B" {
		want[0], want[1] = want[1], want[0]
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("tab A received %q, want %q", got, want)
	}
	step("tab A recovered the 3 messages on node B, once each, in order")
}
