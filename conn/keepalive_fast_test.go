//go:build !js

package conn

import (
	"testing"
	"time"
)

// A peer that answers pings at once, as a client on loopback does, is
// never torn down by keepalive: its pong can arrive before the writer of
// the ping reports it written.
func TestKeepaliveFastAnswers(t *testing.T) {
	checkGoroutines(t)
	so := AcceptOptions{Options: Options{PingInterval: 20 * time.Millisecond, PongTimeout: 50 * time.Millisecond, CloseTimeout: 2 * time.Second}}
	srv, cli, _ := httpPair(t, so, DialOptions{Options: *shortOpts()})
	cliR, srvR := startReader(cli), startReader(srv)
	time.Sleep(500 * time.Millisecond) // 25 pings
	if srv.State() != Open || cli.State() != Open {
		t.Fatalf("after 25 answered pings: server %v, client %v", srv.State(), cli.State())
	}
	closeCleanly(t, cli, cliR, srvR)
}
