package handshake

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

const testKey = "dGhlIHNhbXBsZSBub25jZQ=="

// request builds a raw handshake request: a valid one with the given lines
// appended, minus the header lines whose names are in drop.
func rawRequest(extra []string, drop ...string) string {
	lines := []string{
		"GET /chat?room=1 HTTP/1.1",
		"Host: example.com",
		"Upgrade: websocket",
		"Connection: Upgrade",
		"Sec-WebSocket-Key: " + testKey,
		"Sec-WebSocket-Version: 13",
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			name, _, _ := strings.Cut(l, ":")
			if containsFold(drop, name) {
				continue
			}
		}
		b.WriteString(l + "\r\n")
	}
	for _, l := range extra {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// rawExchange runs u.UpgradeConn on one end of a pipe while the other end
// writes raw and reads the response, which it returns with its body.
func rawExchange(t *testing.T, u *Upgrader, raw string) (*Result, error, *http.Response, string) {
	t.Helper()
	client, server := net.Pipe()
	defer client.Close()
	client.SetDeadline(time.Now().Add(5 * time.Second))
	var wg sync.WaitGroup
	var resp *http.Response
	var body []byte
	var rerr error
	var head bytes.Buffer
	wg.Add(2)
	go func() {
		defer wg.Done()
		io.WriteString(client, raw) // fails when the server refuses early
	}()
	go func() {
		defer wg.Done()
		resp, rerr = http.ReadResponse(bufio.NewReader(io.TeeReader(client, &head)), nil)
		if rerr == nil && resp.StatusCode != http.StatusSwitchingProtocols {
			body, _ = io.ReadAll(resp.Body)
		}
	}()
	res, err := u.UpgradeConn(context.Background(), server)
	if err != nil {
		server.Close()
	}
	wg.Wait()
	if res != nil {
		res.Conn.Close()
	}
	if rerr != nil {
		t.Fatalf("client side: %v", rerr)
	}
	// ReadResponse drops a Connection header that lists "close": keep the
	// header as sent.
	tp := textproto.NewReader(bufio.NewReader(&head))
	tp.ReadLine()
	h, err2 := tp.ReadMIMEHeader()
	if err2 != nil {
		t.Fatalf("reading response header: %v", err2)
	}
	resp.Header = http.Header(h)
	return res, err, resp, string(body)
}

// waitGroup returns a WaitGroup the test waits for at cleanup.
func waitGroup(t *testing.T) *sync.WaitGroup {
	wg := new(sync.WaitGroup)
	t.Cleanup(wg.Wait)
	return wg
}

// netHTTPExchange serves one request, written raw on a TCP connection, with
// an httptest server whose handler calls u.Upgrade, and returns the
// response (its header as sent), its body and Upgrade's error.
func netHTTPExchange(t *testing.T, u *Upgrader, raw string) (*http.Response, string, error) {
	t.Helper()
	errs := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := u.Upgrade(w, r)
		if res != nil {
			res.Conn.Close()
		}
		errs <- err
	}))
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	var head bytes.Buffer
	resp, err := http.ReadResponse(bufio.NewReader(io.TeeReader(c, &head)), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	var body []byte
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ = io.ReadAll(resp.Body)
	}
	tp := textproto.NewReader(bufio.NewReader(&head))
	tp.ReadLine()
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		t.Fatalf("reading response header: %v", err)
	}
	resp.Header = http.Header(h)
	select {
	case err = <-errs:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler did not return")
	}
	return resp, string(body), err
}
