package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// event is one JSON line a peer script prints.
type event struct {
	Event  string `json:"event"`
	Port   int    `json:"port"`
	Path   string `json:"path"`
	Code   int    `json:"code"`
	Reason string `json:"reason"`
	Clean  bool   `json:"clean"`
	Kind   string `json:"kind"`
	Size   int    `json:"size"`
	Msg    string `json:"msg"`
}

// peer is a running peer script.
type peer struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events chan event
	stderr lockedBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // its exit status, after done
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

// startPeer runs name with args; the process is killed at the end of the
// test at the latest.
func startPeer(t *testing.T, name string, args ...string) *peer {
	t.Helper()
	p := &peer{t: t, events: make(chan event, 100), done: make(chan struct{})}
	p.cmd = exec.Command(name, args...)
	p.cmd.Stderr = &p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var e event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				e = event{Event: "garbage", Msg: sc.Text()}
			}
			p.events <- e
		}
		p.err = p.cmd.Wait()
		close(p.events)
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stdin.Close()
		select {
		case <-p.done:
		case <-time.After(2 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
		if out := p.stderr.String(); t.Failed() && out != "" {
			t.Logf("%s stderr:\n%s", filepath.Base(name), out)
		}
	})
	return p
}

// next returns the peer's next event.
func (p *peer) next(ctx context.Context) (event, error) {
	select {
	case e, ok := <-p.events:
		if !ok {
			<-p.done
			return event{}, fmt.Errorf("peer exited (%v) before the event; stderr:\n%s", p.err, p.stderr.String())
		}
		if e.Event == "error" || e.Event == "garbage" {
			return e, fmt.Errorf("peer %s: %s", e.Event, e.Msg)
		}
		return e, nil
	case <-ctx.Done():
		return event{}, fmt.Errorf("waiting for the peer: %w; stderr:\n%s", ctx.Err(), p.stderr.String())
	}
}

// expect returns the next event, which must be named want.
func (p *peer) expect(ctx context.Context, want string) event {
	p.t.Helper()
	e, err := p.next(ctx)
	if err != nil {
		p.t.Fatal(err)
	}
	if e.Event != want {
		p.t.Fatalf("peer event %+v, want %q", e, want)
	}
	return e
}

// wait waits for the peer to exit and returns its status.
func (p *peer) wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// missing skips the test because a peer is not installed, or fails it when
// HYBI_INTEROP_REQUIRE is set (for CI, where every peer must run).
func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("HYBI_INTEROP_REQUIRE") != "" {
		t.Fatalf("peer required by HYBI_INTEROP_REQUIRE: %s", why)
	}
	t.Skipf("skipping: %s", why)
}

// pythonPeer finds a python3 with the websockets module.
func pythonPeer(t *testing.T) (python, version string) {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		out, err := exec.Command(path, "-c", "import websockets; print(websockets.__version__)").Output()
		if err == nil {
			return path, strings.TrimSpace(string(out))
		}
	}
	missing(t, "no python3 with the websockets module (apt-get install -y python3-websockets)")
	return "", ""
}

// nodePeer finds node and the ws package installed in node/.
func nodePeer(t *testing.T) (node, version string) {
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node not installed (apt-get install -y nodejs npm; npm ci --prefix interop/node)")
	}
	b, err := os.ReadFile(filepath.Join("node", "node_modules", "ws", "package.json"))
	if err != nil {
		missing(t, "interop/node/node_modules/ws missing (npm ci --prefix interop/node)")
	}
	var pkg struct{ Version string }
	json.Unmarshal(b, &pkg)
	return node, pkg.Version
}

// modes are the runs of each peer test: the name is passed to the peer.
var modes = []struct {
	name     string
	compress bool
}{
	{"plain", false},
	{"deflate", true},
}
