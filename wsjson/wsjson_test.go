package wsjson_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/wsjson"
)

type point struct {
	X, Y int
	Name string
}

func pipe(t testing.TB, opts *conn.Options) (*conn.Conn, *conn.Conn) {
	t.Helper()
	cli, srv, err := conn.Pipe(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.CloseNow(); srv.CloseNow() })
	return cli, srv
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestRoundTrip(t *testing.T) {
	for _, opts := range []*conn.Options{nil, {Compression: &deflate.Config{}}} {
		cli, srv := pipe(t, opts)
		ctx := ctx(t)
		want := point{1, 2, "a <b>"}
		if err := wsjson.Write(ctx, cli, want); err != nil {
			t.Fatal(err)
		}
		var got point
		if err := wsjson.Read(ctx, srv, &got); err != nil || got != want {
			t.Fatalf("Read: %+v %v", got, err)
		}
		// The message is text holding Marshal's encoding, without a newline.
		if err := wsjson.Write(ctx, cli, want); err != nil {
			t.Fatal(err)
		}
		typ, msg, err := srv.Read(ctx, nil)
		b, _ := json.Marshal(want)
		if err != nil || typ != conn.Text || string(msg) != string(b) {
			t.Fatalf("message %v %q %v, want text %q", typ, msg, err, b)
		}
	}
}

func TestReadErrors(t *testing.T) {
	cli, srv := pipe(t, nil)
	ctx := ctx(t)
	for _, tc := range []struct {
		msg     string
		invalid bool
	}{
		{"{not json", true},
		{"", true},
		{`{"X":1} {"X":2}`, true},
		{`{"X":"one"}`, false},
	} {
		if err := cli.Write(ctx, conn.Text, []byte(tc.msg)); err != nil {
			t.Fatal(err)
		}
		var p point
		err := wsjson.Read(ctx, srv, &p)
		if err == nil {
			t.Fatalf("%q: no error", tc.msg)
		}
		var se *json.SyntaxError
		if got := errors.Is(err, wsjson.ErrInvalidJSON); got != tc.invalid || got != errors.As(err, &se) {
			t.Errorf("%q: %v: matches ErrInvalidJSON %v, want %v", tc.msg, err, got, tc.invalid)
		}
		if !strings.HasPrefix(err.Error(), "wsjson: ") {
			t.Errorf("%q: error %q lacks the package prefix", tc.msg, err)
		}
	}
	// The connection goes on after messages that did not decode.
	if err := wsjson.Write(ctx, cli, point{X: 3}); err != nil {
		t.Fatal(err)
	}
	var p point
	if err := wsjson.Read(ctx, srv, &p); err != nil || p.X != 3 {
		t.Fatalf("Read after errors: %+v %v", p, err)
	}
	// A read error is the connection's.
	cli.CloseNow()
	var ce *conn.CloseError
	if err := wsjson.Read(ctx, srv, &p); !errors.As(err, &ce) {
		t.Fatalf("Read on a closed connection: %v", err)
	}
}

func TestWriteErrors(t *testing.T) {
	cli, srv := pipe(t, nil)
	ctx := ctx(t)
	for _, v := range []any{make(chan int), func() {}, map[bool]int{true: 1}} {
		err := wsjson.Write(ctx, cli, v)
		var ute *json.UnsupportedTypeError
		if !errors.As(err, &ute) || !strings.HasPrefix(err.Error(), "wsjson: ") {
			t.Errorf("Write(%T): %v", v, err)
		}
	}
	// Nothing was sent: the next message is the first the server sees.
	if err := wsjson.Write(ctx, cli, "first"); err != nil {
		t.Fatal(err)
	}
	var s string
	if err := wsjson.Read(ctx, srv, &s); err != nil || s != "first" {
		t.Fatalf("%q %v", s, err)
	}
	srv.CloseNow()
	if _, _, err := cli.Read(ctx, nil); err == nil {
		t.Fatal("Read after the peer's end succeeded")
	}
	if err := wsjson.Write(ctx, cli, 1); !errors.Is(err, conn.ErrNotOpen) {
		t.Fatalf("Write on a closed connection: %v", err)
	}
}

// TestAllocs checks that Write and Read add no allocation to those of
// encoding/json itself.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	cli, srv := pipe(t, &conn.Options{PingInterval: -1})
	ctx := context.Background()
	v := point{1, 2, "steady"}
	var got point
	b, _ := json.Marshal(v)
	enc := json.NewEncoder(discard{})
	jsonWrite := testing.AllocsPerRun(100, func() { enc.Encode(v) })
	jsonRead := testing.AllocsPerRun(100, func() { json.Unmarshal(b, &got) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			var p point
			if err := wsjson.Read(ctx, srv, &p); err != nil {
				return
			}
		}
	}()
	// Warm the pools and buffers, then measure.
	for range 10 {
		wsjson.Write(ctx, cli, v)
	}
	write := testing.AllocsPerRun(200, func() {
		if err := wsjson.Write(ctx, cli, v); err != nil {
			t.Fatal(err)
		}
	})
	if write > jsonWrite {
		t.Errorf("Write: %.1f allocations, encoding/json's own %.1f", write, jsonWrite)
	}
	cli.CloseNow()
	<-done

	cli, srv = pipe(t, &conn.Options{PingInterval: -1})
	go func() {
		for {
			if err := cli.Write(ctx, conn.Text, b); err != nil {
				return
			}
		}
	}()
	for range 10 {
		wsjson.Read(ctx, srv, &got)
	}
	read := testing.AllocsPerRun(200, func() {
		if err := wsjson.Read(ctx, srv, &got); err != nil {
			t.Fatal(err)
		}
	})
	if read > jsonRead {
		t.Errorf("Read: %.1f allocations, encoding/json's own %.1f", read, jsonRead)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
