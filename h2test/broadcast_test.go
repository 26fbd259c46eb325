package h2test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hybi/ws/broadcast"
	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
)

// TestBroadcastOverH2 has a broadcast.Hub deliver prepared messages, plain
// and compressed, to WebSockets that share one HTTP/2 connection: every
// client gets every message, in order.
func TestBroadcastOverH2(t *testing.T) {
	h := broadcast.New(nil)
	defer h.Close()
	joined := make(chan struct{}, 8)
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		opts := &conn.AcceptOptions{}
		if r.URL.Query().Has("deflate") {
			opts.Compression = &deflate.Config{}
		}
		c, err := conn.Accept(w, r, opts)
		if err != nil {
			return
		}
		if err := h.Add(c); err != nil {
			c.CloseNow()
			return
		}
		defer h.Remove(c)
		joined <- struct{}{}
		for {
			if _, _, err := c.Read(context.Background(), nil); err != nil {
				return // on HTTP/2 the handler lives as long as the WebSocket
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tr := s.transport(t)
	var clients []*conn.Conn
	for i := 0; i < 4; i++ {
		url := s.wsURL() + "/room"
		if i%2 == 1 {
			url += "?deflate"
		}
		opts := &conn.DialOptions{Transport: tr}
		if i%2 == 1 {
			opts.Compression = &deflate.Config{}
		}
		c, err := conn.Dial(ctx, url, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		clients = append(clients, c)
		<-joined
	}
	const n = 100
	for i := 0; i < n; i++ {
		m, err := conn.NewPreparedMessage(conn.Text, []byte(fmt.Sprintf("message %03d %0200d", i, i)))
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
			if want := fmt.Sprintf("message %03d %0200d", i, i); typ != conn.Text || string(got) != want {
				t.Fatalf("client %d, message %d: got %.20q, want %.20q", k, i, got, want)
			}
		}
		if _, on := c.Compression(); on != (k%2 == 1) {
			t.Fatalf("client %d: compression %v, want %v", k, on, k%2 == 1)
		}
	}
	if st := h.Stats(); st.Dropped != 0 || st.Delivered != 4*n {
		t.Fatalf("hub stats %+v, want %d delivered and none dropped", st, 4*n)
	}
	for _, c := range clients {
		if err := c.Close(closecode.Normal, ""); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.protos {
		if p != 2 {
			t.Fatalf("requests arrived with ProtoMajor %v, want all 2", s.protos)
		}
	}
}
