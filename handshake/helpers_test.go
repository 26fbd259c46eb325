package handshake

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
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
