package broadcast_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/hybi/ws/broadcast"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/frame"
)

// A chat room: every connection joins the room's Hub, and every message a
// member sends is broadcast, encoded once, to all of them.
func Example() {
	room := broadcast.New(nil)
	defer room.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		room.Add(c)
		defer room.Remove(c)
		for {
			typ, msg, err := c.Read(r.Context(), nil)
			if err != nil {
				return
			}
			m, _ := conn.NewPreparedMessage(typ, msg)
			room.Broadcast(m)
		}
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	var members []*conn.Conn
	for range 3 {
		c, err := conn.Dial(ctx, url, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer c.CloseNow()
		members = append(members, c)
	}
	for room.Len() < 3 { // wait until every handler joined
		time.Sleep(time.Millisecond)
	}
	members[0].Write(ctx, conn.Text, []byte("hello, room"))
	for i, c := range members {
		_, msg, err := c.Read(ctx, nil)
		fmt.Printf("member %d: %s %v\n", i, msg, err)
	}
	// Output:
	// member 0: hello, room <nil>
	// member 1: hello, room <nil>
	// member 2: hello, room <nil>
}

// The Close policy closes a member that cannot keep up with 1008, while
// the others go on.
func ExampleOptions_slowConsumer() {
	h := broadcast.New(&broadcast.Options{QueueSize: 4, Policy: broadcast.Close})
	defer h.Close()
	// A member whose peer never reads: over a synchronous pipe its writer
	// blocks on the first write.
	a, b := net.Pipe()
	opts := &conn.Options{PingInterval: -1}
	stuck := conn.New(a, nil, frame.Server, opts)
	peer := conn.New(b, nil, frame.Client, opts)
	defer peer.CloseNow()
	h.Add(stuck)

	for i := range 10 {
		m, _ := conn.NewPreparedMessage(conn.Text, fmt.Append(nil, "tick ", i))
		h.Broadcast(m)
	}
	fmt.Println("members left:", h.Len(), "closed as slow:", h.Stats().ClosedSlow)

	// The peer reads at last: what the blocked write held, then the close.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, _, err := peer.Read(ctx, nil); err != nil {
			var ce *conn.CloseError
			if errors.As(err, &ce) {
				fmt.Println("peer closed with", int(ce.Code), ce.Reason)
			}
			break
		}
	}
	// Output:
	// members left: 0 closed as slow: 1
	// peer closed with 1008 too slow: send queue full
}
