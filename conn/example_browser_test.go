package conn_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
)

// A client written once builds for a server and, with GOOS=js GOARCH=wasm,
// for a web page, where Dial and the Conn run over the browser's WebSocket.
// What the browser cannot do fails with ErrNotInBrowser in the browser
// build, so the client can fall back on what it can.
func Example_browser() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const url = "wss://feed.example.com/prices"
	c, err := conn.Dial(ctx, url, &conn.DialOptions{
		Header:       http.Header{"Authorization": {"Bearer token"}},
		Subprotocols: []string{"prices.v1"},
	})
	if errors.Is(err, conn.ErrNotInBrowser) {
		// In the browser: no request headers. Send the token in the first
		// message instead.
		c, err = conn.Dial(ctx, url, &conn.DialOptions{Subprotocols: []string{"prices.v1"}})
		if err == nil {
			err = c.Write(ctx, conn.Text, []byte(`{"token":"token"}`))
		}
	}
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()

	if err := c.Write(ctx, conn.Text, []byte(`{"subscribe":"EURUSD"}`)); err != nil {
		log.Fatal(err)
	}
	_, msg, err := c.Read(ctx, nil)
	var ce *conn.CloseError
	if errors.As(err, &ce) {
		// In the browser, the CloseEvent's code, reason and wasClean.
		log.Fatalf("closed by the server: %d %q clean=%v", ce.Code, ce.Reason, ce.Clean)
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", msg)
	if err := c.Close(closecode.Normal, "done"); err != nil {
		log.Print(err)
	}
}
