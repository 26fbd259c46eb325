package suite_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hybi/ws/autobahn/internal/reftestee"
	"github.com/hybi/ws/autobahn/suite"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
)

// TestCompressionUnimplemented: a testee without permessage-deflate gets
// UNIMPLEMENTED for the compression cases, in both roles, and a clean close.
func TestCompressionUnimplemented(t *testing.T) {
	cases := []string{"12.1.1", "13.7.1"}
	for name, rep := range map[string]*suite.Report{
		"server": runAgainstServer(t, reftestee.Faults{}, cases...),
		"client": runAgainstClient(t, reftestee.Faults{}, cases...),
	} {
		rs := rep.Results("ref")
		if len(rs) != 2 {
			t.Fatalf("%s: %d results", name, len(rs))
		}
		for _, r := range rs {
			if r.Behavior != suite.Unimplemented || r.BehaviorClose != suite.OK {
				t.Errorf("%s: case %s: %s / %s (%s)", name, r.ID, r.Behavior, r.BehaviorClose, r.Result)
			}
		}
	}
}

// TestCompressionFaultsCaught runs compression cases against compressing
// echo servers that spoil the echo.
func TestCompressionFaultsCaught(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spoil  func(n int, typ conn.MessageType, msg []byte) (conn.MessageType, []byte)
		result string
	}{
		{"corrupt", func(n int, typ conn.MessageType, msg []byte) (conn.MessageType, []byte) {
			if n == 500 {
				msg[3] ^= 1
			}
			return typ, msg
		}, "content differs"},
		{"type", func(n int, typ conn.MessageType, msg []byte) (conn.MessageType, []byte) {
			return conn.Binary, msg
		}, "wrong type"},
		{"short", func(n int, typ conn.MessageType, msg []byte) (conn.MessageType, []byte) {
			if n == 999 {
				msg = msg[:len(msg)-1]
			}
			return typ, msg
		}, "wrong length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, err := conn.Accept(w, r, &conn.AcceptOptions{
					Options:                 conn.Options{PingInterval: -1, Compression: &deflate.Config{}},
					InsecureSkipOriginCheck: true,
				})
				if err != nil {
					return
				}
				defer c.CloseNow()
				for n := 1; ; n++ {
					typ, msg, err := c.Read(r.Context(), nil)
					if err != nil {
						return
					}
					typ, msg = tc.spoil(n, typ, msg)
					if c.Write(r.Context(), typ, msg) != nil {
						return
					}
				}
			}))
			defer ts.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			rep, err := (&suite.Client{Cases: []string{"12.1.2"}, Agent: "bad"}).Run(ctx, wsURL(ts))
			if err != nil {
				t.Fatal(err)
			}
			r := rep.Get("bad", "12.1.2")
			if r.Behavior != suite.Failed || r.BehaviorClose != suite.OK || !strings.Contains(r.Result, tc.result) {
				t.Errorf("%s / %s: %s", r.Behavior, r.BehaviorClose, r.Result)
			}
		})
	}
}
