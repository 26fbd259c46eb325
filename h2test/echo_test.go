package h2test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
)

// echo is a handler echoing messages until the connection ends; on
// HTTP/2 the handler must not return before that.
func echo(opts *conn.AcceptOptions, ended chan<- error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Accept(w, r, opts)
		if err != nil {
			if ended != nil {
				ended <- err
			}
			return
		}
		ctx := context.Background()
		var buf []byte
		for {
			typ, msg, err := c.Read(ctx, buf)
			if err != nil {
				if ended != nil {
					ended <- err
				}
				return
			}
			if err := c.Write(ctx, typ, msg); err != nil {
				if ended != nil {
					ended <- err
				}
				return
			}
			buf = msg
		}
	}
}

func TestEchoOverH2(t *testing.T) {
	ended := make(chan error, 1)
	s := newServer(t, echo(nil, ended))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, s.wsURL(), &conn.DialOptions{Transport: s.transport(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 125, 126, 4096, 65535, 65536, 300000} {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(i)
		}
		if err := c.Write(ctx, conn.Binary, msg); err != nil {
			t.Fatal(err)
		}
		typ, got, err := c.Read(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if typ != conn.Binary || string(got) != string(msg) {
			t.Fatalf("echo of %d bytes: got %d bytes", n, len(got))
		}
	}
	if err := c.Close(closecode.Normal, "bye"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-ended:
		var ce *conn.CloseError
		if !errors.As(err, &ce) || ce.Code != closecode.Normal || ce.Reason != "bye" || !ce.Clean {
			t.Fatalf("server ended with %v, want a clean 1000 bye", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not see the end")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.protos) != 1 || s.protos[0] != 2 {
		t.Fatalf("requests arrived with ProtoMajor %v, want [2]", s.protos)
	}
}
