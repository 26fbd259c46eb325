//go:build !js

package conn_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
)

// echo is an http.Handler that accepts WebSocket connections and echoes
// every message back.
func echo(w http.ResponseWriter, r *http.Request) {
	c, err := conn.Accept(w, r, nil)
	if err != nil {
		return // Accept has answered with an HTTP error
	}
	defer c.CloseNow()
	// r.Context() ends with the handler; the connection needs its own.
	ctx := context.Background()
	var buf []byte
	for {
		typ, msg, err := c.Read(ctx, buf)
		if err != nil {
			return // the client closed, or the connection failed
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
		buf = msg // reuse the buffer for the next message
	}
}

// wsURL turns an httptest server's URL into a ws:// one.
func wsURL(s *httptest.Server) string { return "ws" + strings.TrimPrefix(s.URL, "http") }

// A server accepts connections in an http.Handler; a client dials, sends
// and receives messages, and closes with a close handshake.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(echo))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, wsURL(srv), nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Write(ctx, conn.Text, []byte("hello")); err != nil {
		log.Fatal(err)
	}
	typ, msg, err := c.Read(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(typ, string(msg))
	fmt.Println(c.Close(closecode.Normal, "done"))
	fmt.Println(c.State())
	// Output:
	// text hello
	// <nil>
	// CLOSED
}

// Streaming: Writer sends a message in fragments, Reader reads one as a
// stream.
func ExampleConn_Writer() {
	srv := httptest.NewServer(http.HandlerFunc(echo))
	defer srv.Close()
	ctx := context.Background()
	c, err := conn.Dial(ctx, wsURL(srv), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()

	w, err := c.Writer(ctx, conn.Text)
	if err != nil {
		log.Fatal(err)
	}
	for _, part := range []string{"one ", "message, ", "three writes"} {
		io.WriteString(w, part)
		w.Flush() // each part as a frame of its own
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	_, r, err := c.Reader(ctx)
	if err != nil {
		log.Fatal(err)
	}
	b, err := io.ReadAll(r)
	fmt.Printf("%q %v\n", b, err)
	// Output: "one message, three writes" <nil>
}

// The side that did not start the close handshake learns how the
// connection ended from Read's *CloseError.
func ExampleCloseError() {
	ended := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Accept(w, r, nil)
		if err != nil {
			return
		}
		_, _, err = c.Read(context.Background(), nil)
		ended <- err
	}))
	defer srv.Close()
	c, err := conn.Dial(context.Background(), wsURL(srv), nil)
	if err != nil {
		log.Fatal(err)
	}
	c.Close(closecode.GoingAway, "shutting down")

	var ce *conn.CloseError
	if errors.As(<-ended, &ce) {
		fmt.Println(ce.Code, ce.Reason, ce.Clean)
	}
	// Output: 1001 going away shutting down true
}

// NetConn adapts a connection to code that wants a net.Conn byte stream.
func ExampleNetConn() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Accept(w, r, nil)
		if err != nil {
			return
		}
		nc := conn.NetConn(c, conn.Binary)
		io.Copy(nc, nc) // echo the stream until the client closes
		nc.Close()
	}))
	defer srv.Close()
	c, err := conn.Dial(context.Background(), wsURL(srv), nil)
	if err != nil {
		log.Fatal(err)
	}
	nc := conn.NetConn(c, conn.Binary)
	io.WriteString(nc, "over a WebSocket")
	buf := make([]byte, 64)
	n, _ := nc.Read(buf)
	fmt.Println(string(buf[:n]))
	fmt.Println(nc.Close())
	// Output:
	// over a WebSocket
	// <nil>
}
