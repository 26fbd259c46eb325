package evented_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/evented"
)

func TestEcho(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "deflate"}[compress], func(t *testing.T) {
			cl := newCloses()
			opened := make(chan string, 1)
			s := &evented.Server{
				OnOpen:  func(c *evented.Conn) { opened <- c.RequestURI() + " " + c.Header().Get("X-Test") },
				OnClose: cl.on,
			}
			var opts conn.DialOptions
			if compress {
				s.Compression = &deflate.Config{}
				opts.Compression = &deflate.Config{}
			}
			opts.Header = map[string][]string{"X-Test": {"yes"}}
			url := startServer(t, s)
			ctx := testCtx(t, 20*time.Second)
			c := dial(t, ctx, url+"/path?q=1", &opts)
			if got := <-opened; got != "/path?q=1 yes" {
				t.Errorf("OnOpen saw %q", got)
			}
			big := make([]byte, 300<<10)
			for i := range big {
				big[i] = byte(i * 7)
			}
			for _, m := range [][]byte{[]byte("hello"), {}, big} {
				typ := conn.Binary
				if err := c.Write(ctx, typ, m); err != nil {
					t.Fatal(err)
				}
				gt, got, err := c.Read(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				if gt != typ || string(got) != string(m) {
					t.Fatalf("echo of %d bytes: got %v %d bytes", len(m), gt, len(got))
				}
			}
			if err := c.Close(closecode.Normal, "bye"); err != nil {
				t.Fatal(err)
			}
			e := cl.next(t)
			if e.Code != closecode.Normal || e.Reason != "bye" || !e.Clean {
				t.Errorf("OnClose: %v", e)
			}
		})
	}
}

func TestServerClosesWithCode(t *testing.T) {
	cl := newCloses()
	s := &evented.Server{
		OnMessage: func(c *evented.Conn, typ evented.MessageType, data []byte) {
			c.Close(closecode.Code(4000), "done")
		},
		OnClose: cl.on,
	}
	url := startServer(t, s)
	ctx := testCtx(t, 10*time.Second)
	c := dial(t, ctx, url, nil)
	c.Write(ctx, conn.Text, []byte("x"))
	_, _, err := c.Read(ctx, nil)
	var ce *conn.CloseError
	if !errors.As(err, &ce) || ce.Code != 4000 || !ce.Clean {
		t.Fatalf("client read: %v", err)
	}
	if e := cl.next(t); e.Code != 4000 || !e.Clean {
		t.Errorf("OnClose: %v", e)
	}
}
