//go:build !js

package conn

import (
	"bytes"
	"context"
	"testing"

	"github.com/hybi/ws/closecode"
)

func TestEchoAndCleanClose(t *testing.T) {
	checkGoroutines(t)
	srv, cli := pair(t, nil, nil)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		var buf []byte
		for {
			typ, msg, err := srv.Read(ctx, buf)
			if err != nil {
				done <- err
				return
			}
			if err := srv.Write(ctx, typ, msg); err != nil {
				done <- err
				return
			}
			buf = msg
		}
	}()
	for _, size := range []int{0, 1, 125, 126, 4095, 4096, 65535, 65536, 200000} {
		for _, typ := range []MessageType{Text, Binary} {
			msg := bytes.Repeat([]byte("a"), size)
			if err := cli.Write(ctx, typ, msg); err != nil {
				t.Fatal(err)
			}
			gt, got, err := cli.Read(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if gt != typ || !bytes.Equal(got, msg) {
				t.Fatalf("size %d: echo mismatch", size)
			}
		}
	}
	if err := cli.Close(closecode.Normal, "bye"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	err := <-done
	ce := wantCloseError(t, err, closecode.Normal, true)
	if ce.Reason != "bye" {
		t.Fatalf("reason %q", ce.Reason)
	}
	if cli.State() != Closed || srv.State() != Closed {
		t.Fatalf("states %v %v", cli.State(), srv.State())
	}
}
