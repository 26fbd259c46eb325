package evented_test

import (
	"context"
	"fmt"
	"net"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/evented"
)

// An echo server on the event loops, and a client that says hello.
func Example() {
	closed := make(chan *evented.CloseError, 1)
	srv := &evented.Server{
		OnMessage: func(c *evented.Conn, typ evented.MessageType, data []byte) {
			c.Write(typ, data) // queued; never blocks
		},
		OnClose: func(c *evented.Conn, err *evented.CloseError) { closed <- err },
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	ctx := context.Background()
	c, err := conn.Dial(ctx, "ws://"+ln.Addr().String()+"/echo", nil)
	if err != nil {
		panic(err)
	}
	c.Write(ctx, conn.Text, []byte("hello"))
	_, msg, _ := c.Read(ctx, nil)
	fmt.Printf("echo: %s\n", msg)
	c.Close(closecode.Normal, "bye")
	fmt.Println("server saw:", <-closed)
	// Output:
	// echo: hello
	// server saw: conn: closed with 1000 "bye" (clean)
}
