package evented_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hybi/ws/broadcast"
	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/evented"
)

var _ broadcast.Sender = (*evented.Conn)(nil)

// TestBroadcastHub has a broadcast.Hub deliver prepared messages to
// connections of an evented Server, some compressed and some not: every
// client gets every message, in order.
func TestBroadcastHub(t *testing.T) {
	h := broadcast.New(nil)
	defer h.Close()
	joined := make(chan struct{}, 8)
	s := &evented.Server{
		Compression: &deflate.Config{},
		OnOpen: func(c *evented.Conn) {
			if err := h.Add(c); err != nil {
				t.Errorf("Add: %v", err)
			}
			joined <- struct{}{}
		},
		OnMessage: func(*evented.Conn, evented.MessageType, []byte) {},
		OnClose:   func(c *evented.Conn, _ *evented.CloseError) { h.Remove(c) },
	}
	url := startServer(t, s)
	ctx := testCtx(t, 20*time.Second)
	var clients []*conn.Conn
	for i := 0; i < 4; i++ {
		var opts conn.DialOptions
		if i%2 == 1 {
			opts.Compression = &deflate.Config{}
		}
		clients = append(clients, dial(t, ctx, url, &opts))
		<-joined
	}
	const n = 200
	for i := 0; i < n; i++ {
		m, err := conn.NewPreparedMessage(conn.Text, []byte(fmt.Sprintf("tick %03d %0300d", i, i)))
		if err != nil {
			t.Fatal(err)
		}
		h.Broadcast(m)
	}
	for k, c := range clients {
		for i := 0; i < n; i++ {
			typ, got, err := c.Read(ctx, nil)
			if err != nil {
				t.Fatalf("client %d, message %d: %v", k, i, err)
			}
			if want := fmt.Sprintf("tick %03d %0300d", i, i); typ != conn.Text || string(got) != want {
				t.Fatalf("client %d, message %d: got %.16q, want %.16q", k, i, got, want)
			}
		}
		if _, on := c.Compression(); on != (k%2 == 1) {
			t.Fatalf("client %d: compression %v", k, on)
		}
	}
	if st := h.Stats(); st.Delivered != 4*n || st.Dropped != 0 {
		t.Fatalf("hub stats %+v, want %d delivered, none dropped", st, 4*n)
	}
	for _, c := range clients {
		if err := c.Close(closecode.Normal, ""); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

// TestWritePreparedNotOpen: WritePrepared on a connection that ended
// returns an error matching ErrNotOpen, and a cancelled context is
// reported first.
func TestWritePreparedNotOpen(t *testing.T) {
	got := make(chan *evented.Conn, 1)
	cl := newCloses()
	s := &evented.Server{OnOpen: func(c *evented.Conn) { got <- c }, OnClose: cl.on}
	url := startServer(t, s)
	ctx := testCtx(t, 10*time.Second)
	c := dial(t, ctx, url, nil)
	ec := <-got
	m, _ := conn.NewPreparedMessage(conn.Binary, []byte("x"))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := ec.WritePrepared(cancelled, m); err != context.Canceled {
		t.Fatalf("WritePrepared with a cancelled context: %v", err)
	}
	c.Close(closecode.Normal, "")
	cl.next(t)
	if err := ec.WritePrepared(ctx, m); !errors.Is(err, conn.ErrNotOpen) {
		t.Fatalf("WritePrepared after the end: %v, want ErrNotOpen", err)
	}
}
