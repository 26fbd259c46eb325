package reconnect_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/reconnect"
)

// A feed consumer: it subscribes after every connect and reconnects when the
// server goes away, here after its first connection; it stops with its own
// normal close.
func Example() {
	// A feed server: the first connection is sent one tick, then a 1001;
	// the next ones get ticks until the client leaves.
	first := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Accept(w, r, nil)
		if err != nil {
			return
		}
		ctx := r.Context()
		_, sub, err := c.Read(ctx, nil)
		if err != nil {
			return
		}
		c.Write(ctx, conn.Text, []byte("tick for "+string(sub)))
		if first {
			first = false
			c.Close(closecode.GoingAway, "deploying")
			return
		}
		c.Read(ctx, nil) // until the client closes
	}))
	defer srv.Close()

	var client *reconnect.Client
	client = &reconnect.Client{
		URL:      "ws" + strings.TrimPrefix(srv.URL, "http"),
		MinDelay: 10 * time.Millisecond,
		MaxDelay: time.Second,
		OnConnect: func(ctx context.Context, c *conn.Conn) error {
			fmt.Println("connected, subscribing")
			return c.Write(ctx, conn.Text, []byte("prices"))
		},
		OnMessage: func(ctx context.Context, typ conn.MessageType, msg []byte) error {
			fmt.Println("got:", string(msg))
			if client.Stats().Connects == 2 {
				go client.Close(closecode.Normal, "bye")
			}
			return nil
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := client.Run(ctx)
	st := client.Stats()
	fmt.Printf("Run: %v; %d connects, last end: %v\n", err, st.Connects, st.LastError)
	// Output:
	// connected, subscribing
	// got: tick for prices
	// connected, subscribing
	// got: tick for prices
	// Run: <nil>; 2 connects, last end: conn: closed with 1000 (clean)
}
