//go:build js && wasm

// Command wasm is the browser client of interop's TestWasmClient. Built
// with GOOS=js GOARCH=wasm and loaded by a page of the test's server in
// headless Chromium, it runs hybi's conn client over the page's WebSocket
// against the test's echo server on the same origin, and leaves the
// outcome of each check, as JSON, in the page's globalThis.hybiReport.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall/js"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
)

// check is the outcome of one check, as the test reads it.
type check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

var report []check

// run records the outcome of f as the check name.
func run(name string, f func() (string, error)) {
	start := time.Now()
	detail, err := f()
	c := check{Name: name, OK: err == nil, Detail: detail}
	if err != nil {
		c.Detail = err.Error()
	}
	c.Detail += fmt.Sprintf(" (%.0f ms)", time.Since(start).Seconds()*1000)
	fmt.Printf("%s ok=%v %s\n", name, c.OK, c.Detail)
	report = append(report, c)
}

func main() {
	base := "ws://" + js.Global().Get("location").Get("host").String() + "/echo"
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	checks(ctx, base)
	b, err := json.Marshal(report)
	if err != nil {
		b = []byte(`[{"name":"report","detail":"` + err.Error() + `"}]`)
	}
	js.Global().Set("hybiReport", string(b))
}

// pattern returns n bytes that tell their size and position.
func pattern(n, seed int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + n + seed)
	}
	return p
}

// echo writes p and checks that it comes back unchanged.
func echo(ctx context.Context, c *conn.Conn, typ conn.MessageType, p []byte) error {
	if err := c.Write(ctx, typ, p); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	got, msg, err := c.Read(ctx, nil)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if got != typ || !bytes.Equal(msg, p) {
		return fmt.Errorf("echo of %v %d B came back as %v %d B", typ, len(p), got, len(msg))
	}
	return nil
}

// wantEnd checks that err is the *CloseError with code, reason and clean.
func wantEnd(err error, code closecode.Code, reason string, clean bool) error {
	var ce *conn.CloseError
	if !errors.As(err, &ce) {
		return fmt.Errorf("got %v, want a *CloseError", err)
	}
	if ce.Code != code || ce.Reason != reason || ce.Clean != clean {
		return fmt.Errorf("got code %d reason %q clean %v, want %d %q %v", ce.Code, ce.Reason, ce.Clean, code, reason, clean)
	}
	return nil
}

// wantNotOpen checks that a Write on c fails with ErrNotOpen, unwrapping to
// the *CloseError with code.
func wantNotOpen(ctx context.Context, c *conn.Conn, code closecode.Code) error {
	err := c.Write(ctx, conn.Text, []byte("too late"))
	var ce *conn.CloseError
	if !errors.Is(err, conn.ErrNotOpen) || !errors.As(err, &ce) || ce.Code != code {
		return fmt.Errorf("Write after the end: %v, want ErrNotOpen with the %d *CloseError", err, code)
	}
	if s := c.State(); s != conn.Closed {
		return fmt.Errorf("state %v after the end", s)
	}
	select {
	case <-c.Done():
	default:
		return errors.New("Done not closed after the end")
	}
	return nil
}

func checks(ctx context.Context, base string) {
	var c *conn.Conn
	run("dial-subprotocol", func() (string, error) {
		var err error
		c, err = conn.Dial(ctx, base+"?name=echo", &conn.DialOptions{Subprotocols: []string{"hybi.none", "hybi.test"}})
		if err != nil {
			return "", err
		}
		if c.Subprotocol() != "hybi.test" || c.State() != conn.Open {
			return "", fmt.Errorf("subprotocol %q state %v, want hybi.test Open", c.Subprotocol(), c.State())
		}
		if _, ok := c.Compression(); ok {
			return "", errors.New("compression reported, the server negotiates none here")
		}
		return fmt.Sprintf("%s %s", c.RemoteAddr().Network(), c.RemoteAddr()), nil
	})
	if c == nil {
		return
	}
	run("text", func() (string, error) {
		return "", echo(ctx, c, conn.Text, []byte("hello from the browser ✓"))
	})
	for _, n := range []int{0, 125, 64 << 10, 1 << 20} {
		run(fmt.Sprintf("binary-%d", n), func() (string, error) {
			return "", echo(ctx, c, conn.Binary, pattern(n, 0))
		})
	}
	run("reader-writer", func() (string, error) {
		w, err := c.Writer(ctx, conn.Text)
		if err != nil {
			return "", err
		}
		io.WriteString(w, "part one, ")
		if err := w.Flush(); err != nil {
			return "", err
		}
		io.WriteString(w, "part two")
		if err := w.Close(); err != nil {
			return "", err
		}
		if _, err := w.Write([]byte("x")); err != conn.ErrWriterClosed {
			return "", fmt.Errorf("Write after Close: %v, want ErrWriterClosed", err)
		}
		typ, r, err := c.Reader(ctx)
		if err != nil {
			return "", err
		}
		head := make([]byte, 4)
		if _, err := io.ReadFull(r, head); err != nil || typ != conn.Text {
			return "", fmt.Errorf("Reader: %v %v", typ, err)
		}
		rest, err := io.ReadAll(r)
		if got := string(head) + string(rest); err != nil || got != "part one, part two" {
			return "", fmt.Errorf("Reader read %q, %v", got, err)
		}
		if err := echo(ctx, c, conn.Text, []byte("next")); err != nil {
			return "", err
		}
		if _, err := r.Read(head); err != conn.ErrReaderClosed {
			return "", fmt.Errorf("old reader after the next Read: %v, want ErrReaderClosed", err)
		}
		return "", nil
	})
	run("netconn", func() (string, error) {
		nc := conn.NetConn(c, conn.Binary)
		p := pattern(100<<10, 3)
		if _, err := nc.Write(p); err != nil {
			return "", err
		}
		got := make([]byte, len(p))
		if _, err := io.ReadFull(nc, got); err != nil || !bytes.Equal(got, p) {
			return "", fmt.Errorf("stream echo: %v", err)
		}
		nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		var ne net.Error
		if _, err := nc.Read(got); !errors.As(err, &ne) || !ne.Timeout() {
			return "", fmt.Errorf("read past the deadline: %v, want a timeout", err)
		}
		nc.SetReadDeadline(time.Time{})
		return "a deadline left it usable", echo(ctx, c, conn.Text, []byte("still open"))
	})
	run("refused", func() (string, error) { return refused(ctx, base, c) })
	run("backpressure", func() (string, error) { return backpressure(ctx, c) })
	run("server-close-4001", func() (string, error) {
		if err := c.Write(ctx, conn.Text, []byte("close 4001 server says bye")); err != nil {
			return "", err
		}
		_, _, err := c.Read(ctx, nil)
		if err := wantEnd(err, 4001, "server says bye", true); err != nil {
			return "", err
		}
		return err.Error(), wantNotOpen(ctx, c, 4001)
	})
	run("client-close", func() (string, error) {
		c, err := conn.Dial(ctx, base+"?name=client-close", nil)
		if err != nil {
			return "", err
		}
		if err := echo(ctx, c, conn.Text, []byte("before the close")); err != nil {
			return "", err
		}
		pending := make(chan error, 1)
		go func() {
			_, _, err := c.Read(ctx, nil)
			pending <- err
		}()
		time.Sleep(10 * time.Millisecond) // let the Read wait
		if err := c.Close(4000, "client bye"); err != nil {
			return "", fmt.Errorf("Close: %v, want a clean close", err)
		}
		var ce *conn.CloseError
		if err := <-pending; !errors.As(err, &ce) || !ce.Clean {
			return "", fmt.Errorf("Read pending during Close: %v, want a clean *CloseError", err)
		}
		if _, _, err = c.Read(ctx, nil); !errors.As(err, &ce) || !ce.Clean {
			return "", fmt.Errorf("Read after Close: %v, want a clean *CloseError", err)
		}
		if err := c.Close(4000, "again"); err != nil {
			return "", fmt.Errorf("second Close: %v", err)
		}
		return err.Error(), wantNotOpen(ctx, c, ce.Code)
	})
	run("close-now", func() (string, error) {
		c, err := conn.Dial(ctx, base+"?name=close-now", nil)
		if err != nil {
			return "", err
		}
		c.CloseNow()
		_, _, err = c.Read(ctx, nil)
		if !errors.Is(err, conn.ErrClosedNow) {
			return "", fmt.Errorf("Read after CloseNow: %v, want ErrClosedNow", err)
		}
		return err.Error(), wantNotOpen(ctx, c, closecode.Abnormal)
	})
	run("read-limit", func() (string, error) {
		c, err := conn.Dial(ctx, base+"?name=read-limit", &conn.DialOptions{Options: conn.Options{ReadLimit: 1000}})
		if err != nil {
			return "", err
		}
		if err := echo(ctx, c, conn.Binary, pattern(1000, 1)); err != nil {
			return "", err
		}
		if err := c.Write(ctx, conn.Binary, pattern(1001, 1)); err != nil {
			return "", err
		}
		_, _, err = c.Read(ctx, nil)
		var ce *conn.CloseError
		if !errors.As(err, &ce) || ce.Code != closecode.MessageTooBig {
			return "", fmt.Errorf("Read of 1001 B over a 1000 B limit: %v, want 1009", err)
		}
		return err.Error(), nil
	})
	run("compression", func() (string, error) {
		c, err := conn.Dial(ctx, base+"?name=compression&deflate=1", nil)
		if err != nil {
			return "", err
		}
		defer c.CloseNow()
		p, ok := c.Compression()
		if !ok {
			return "", errors.New("Compression: none, but the server negotiated permessage-deflate")
		}
		text := bytes.Repeat([]byte("compressible "), 5000)
		return fmt.Sprintf("%+v", p), echo(ctx, c, conn.Text, text)
	})
	run("close-timeout", func() (string, error) {
		c, err := conn.Dial(ctx, base+"?name=close-timeout", &conn.DialOptions{Options: conn.Options{CloseTimeout: 300 * time.Millisecond}})
		if err != nil {
			return "", err
		}
		// The server reads nothing for 2 s: the close handshake cannot
		// complete within the 300 ms.
		if err := echo(ctx, c, conn.Text, []byte("pause 2000")); err != nil {
			return "", err
		}
		start := time.Now()
		err = c.Close(closecode.Normal, "")
		if !errors.Is(err, conn.ErrCloseTimeout) {
			return "", fmt.Errorf("Close unanswered: %v, want ErrCloseTimeout", err)
		}
		took := time.Since(start)
		return fmt.Sprintf("Close returned after %v", took.Round(time.Millisecond)), wantNotOpen(ctx, c, closecode.Abnormal)
	})
	run("dial-failures", func() (string, error) {
		hang, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		_, err := conn.Dial(hang, base+"?hang=1", nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			return "", fmt.Errorf("Dial of a server that never answers, cut by its context: %v", err)
		}

		_, err = conn.Dial(ctx, strings.Replace(base, "/echo", "/nosuch", 1), nil)
		var ce *conn.CloseError
		if !errors.As(err, &ce) || ce.Code != closecode.Abnormal {
			return "", fmt.Errorf("Dial of a 404: %v, want a 1006 *CloseError", err)
		}
		done, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := conn.Dial(done, base, nil); !errors.Is(err, context.Canceled) {
			return "", fmt.Errorf("Dial with a cancelled context: %v", err)
		}
		if _, err := conn.Dial(ctx, "no scheme at all:", nil); err == nil {
			return "", errors.New("Dial of a bad URL succeeded")
		}
		return "", nil
	})
}

// refused checks that what the browser cannot do fails with ErrNotInBrowser
// and leaves c usable.
func refused(ctx context.Context, base string, c *conn.Conn) (string, error) {
	bad := map[string]*conn.DialOptions{
		"DialOptions.Header":      {Header: http.Header{"X-Token": {"1"}}},
		"DialOptions.Origin":      {Origin: "https://example.com"},
		"DialOptions.TLSConfig":   {TLSConfig: &tls.Config{}},
		"DialOptions.Proxy":       {Proxy: func(*http.Request) (*url.URL, error) { return nil, nil }},
		"DialOptions.NetDial":     {NetDial: func(context.Context, string, string) (net.Conn, error) { return nil, nil }},
		"Options.Compression":     {Options: conn.Options{Compression: &deflate.Config{}}},
		"Options.PingInterval":    {Options: conn.Options{PingInterval: time.Second}},
		"Options.PongTimeout":     {Options: conn.Options{PongTimeout: time.Second}},
		"Options.ReadBufferSize":  {Options: conn.Options{ReadBufferSize: 1 << 16}},
		"Options.WriteBufferSize": {Options: conn.Options{WriteBufferSize: 1 << 16}},
		"Options.MaxFrameSize":    {Options: conn.Options{MaxFrameSize: 1 << 16}},
	}
	for field, opts := range bad {
		_, err := conn.Dial(ctx, base, opts)
		if !errors.Is(err, conn.ErrNotInBrowser) || !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), field) {
			return "", fmt.Errorf("Dial with %s: %v, want ErrNotInBrowser naming it", field, err)
		}
	}
	// What the browser does anyway is accepted.
	ok, err := conn.Dial(ctx, base+"?name=options", &conn.DialOptions{Header: http.Header{},
		Options: conn.Options{PingInterval: -1, CloseTimeout: time.Second, ReadLimit: 1 << 10}})
	if err != nil {
		return "", fmt.Errorf("Dial with the options the browser honours: %v", err)
	}
	ok.CloseNow()
	if err := c.Ping(ctx); !errors.Is(err, conn.ErrNotInBrowser) {
		return "", fmt.Errorf("Ping: %v", err)
	}
	if err := c.Close(closecode.GoingAway, "bye"); !errors.Is(err, conn.ErrNotInBrowser) {
		return "", fmt.Errorf("Close(1001): %v", err)
	}
	if err := c.Close(999, ""); !errors.Is(err, closecode.ErrInvalidCode) {
		return "", fmt.Errorf("Close(999): %v", err)
	}
	if err := c.Write(ctx, conn.Text, []byte{0xff, 'a'}); !errors.Is(err, conn.ErrNotInBrowser) {
		return "", fmt.Errorf("Write of text that is not UTF-8: %v", err)
	}
	a, b := net.Pipe()
	defer b.Close()
	_, _, err = conn.New(a, nil, 1, nil).Read(ctx, nil)
	if !errors.Is(err, conn.ErrNotInBrowser) {
		return "", fmt.Errorf("Read of New's Conn: %v", err)
	}
	if c.State() != conn.Open {
		return "", fmt.Errorf("state %v after the refusals", c.State())
	}
	return fmt.Sprintf("%d options refused", len(bad)), echo(ctx, c, conn.Text, []byte("still open"))
}

// backpressure pauses the server's reads and checks that Write waits, bounded
// by its context, while the browser's bufferedAmount is above 1 MiB.
func backpressure(ctx context.Context, c *conn.Conn) (string, error) {
	if err := echo(ctx, c, conn.Text, []byte("pause 2000")); err != nil {
		return "", err
	}
	sent, buffered := 0, 0
	for ; sent < 64; sent++ {
		wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		err := c.Write(wctx, conn.Binary, pattern(1<<20, sent))
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			buffered = c.BufferedAmount()
			break
		}
		if err != nil {
			return "", err
		}
	}
	if sent == 64 {
		return "", fmt.Errorf("64 MiB written to a server that reads nothing, without a wait (bufferedAmount %d)", c.BufferedAmount())
	}
	if buffered <= 1<<20 {
		return "", fmt.Errorf("Write timed out with bufferedAmount %d, not above 1 MiB", buffered)
	}
	if c.State() != conn.Open {
		return "", fmt.Errorf("state %v after a Write cut by its context", c.State())
	}
	// A Write with time enough waits for the server to read again.
	start := time.Now()
	if err := c.Write(ctx, conn.Binary, pattern(1<<20, sent)); err != nil {
		return "", err
	}
	waited := time.Since(start)
	for i := 0; i <= sent; i++ {
		typ, msg, err := c.Read(ctx, nil)
		if err != nil {
			return "", err
		}
		if typ != conn.Binary || !bytes.Equal(msg, pattern(1<<20, i)) {
			return "", fmt.Errorf("echo %d of %d came back wrong", i, sent+1)
		}
	}
	return fmt.Sprintf("%d MiB accepted, then a Write timed out with bufferedAmount %d; the next waited %v", sent, buffered, waited.Round(time.Millisecond)), nil
}
