package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server: address to listen on")
	useTLS := flag.Bool("tls", false, "server: serve wss:// with a self-signed certificate made at start")
	dial := flag.String("dial", "", "client: the ws:// or wss:// URL to talk to")
	insecure := flag.Bool("insecure", false, "client: accept any server certificate (for -tls servers)")
	readHeaderTimeout := flag.Duration("read-header-timeout", 10*time.Second,
		"server: time a client has to send its request head (the handshake); slower clients are cut off")
	flag.Parse()

	if *dial != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := client(ctx, *dial, *insecure); err != nil {
			log.Fatal(err)
		}
		log.Print("all echoes matched, closed cleanly")
		return
	}
	srv := newServer(*addr, *readHeaderTimeout)
	if *useTLS {
		cert, err := selfSigned()
		if err != nil {
			log.Fatal(err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		log.Printf("echoing on wss://%s/", *addr)
		log.Fatal(srv.ListenAndServeTLS("", ""))
	}
	log.Printf("echoing on ws://%s/", *addr)
	log.Fatal(srv.ListenAndServe())
}

// newServer returns the echo server. ReadHeaderTimeout cuts off a client
// that sends its request head (the WebSocket handshake, or the TLS
// handshake before it) slowly: without it net/http waits for ever, and a
// few hundred clients trickling a byte a second hold as many sockets and
// goroutines (slowloris). IdleTimeout closes keep-alive connections left
// idle between requests. ReadTimeout and WriteTimeout are not set: they
// bound whole requests and responses, which would cut other long responses
// such a server may have (streaming); they do not stop slowloris better,
// and they would not limit the WebSockets either, as Accept clears the
// deadlines they set on the connection it upgrades.
func newServer(addr string, readHeaderTimeout time.Duration) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           http.HandlerFunc(echo),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       time.Minute,
	}
}

// echo is the server: it sends every message back until the connection ends.
func echo(w http.ResponseWriter, r *http.Request) {
	c, err := conn.Accept(w, r, nil)
	if err != nil {
		return // Accept has answered with an HTTP error
	}
	defer c.CloseNow()
	ctx := context.Background()
	var buf []byte
	for {
		typ, msg, err := c.Read(ctx, buf)
		if err != nil {
			log.Printf("%s: %v", r.RemoteAddr, err) // a *conn.CloseError
			return
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
		buf = msg
	}
}

// client sends a few messages to url, checks their echoes and closes.
func client(ctx context.Context, url string, insecure bool) error {
	opts := &conn.DialOptions{}
	if insecure {
		opts.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	c, err := conn.Dial(ctx, url, opts)
	if err != nil {
		return err
	}
	defer c.CloseNow()
	msgs := []struct {
		typ  conn.MessageType
		data []byte
	}{
		{conn.Text, []byte("hello")},
		{conn.Text, []byte("héllo, wörld ✓")},
		{conn.Binary, []byte{0, 1, 2, 0xfe, 0xff}},
		{conn.Binary, bytes.Repeat([]byte("0123456789abcdef"), 5000)},
	}
	for _, m := range msgs {
		if err := c.Write(ctx, m.typ, m.data); err != nil {
			return ended(ctx, c, err)
		}
		typ, got, err := c.Read(ctx, nil)
		if err != nil {
			return ended(ctx, c, err)
		}
		if typ != m.typ || !bytes.Equal(got, m.data) {
			c.Close(closecode.PolicyViolation, "bad echo")
			return fmt.Errorf("echo mismatch: sent %v of %d bytes, got %v of %d bytes", m.typ, len(m.data), typ, len(got))
		}
	}
	return c.Close(closecode.Normal, "done") // nil after a clean close handshake
}

// ended tells whether the connection, on which err happened, ended with a
// clean close handshake started by the server: that is a success too.
func ended(ctx context.Context, c *conn.Conn, err error) error {
	var ce *conn.CloseError
	if !errors.As(err, &ce) {
		// A write refused because the server's close is under way:
		// the next read tells how the connection ended.
		if _, _, err = c.Read(ctx, nil); !errors.As(err, &ce) {
			return err
		}
	}
	if !ce.Clean {
		return ce
	}
	log.Printf("server closed cleanly: %d %q", ce.Code, ce.Reason)
	return nil
}
