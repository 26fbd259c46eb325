package handshake_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/hybi/ws/handshake"
)

// readN reads n bytes of the frame stream: Buffered first, then Conn.
func readN(res *handshake.Result, n int) []byte {
	b := make([]byte, n)
	k := copy(b, res.Buffered)
	io.ReadFull(res.Conn, b[k:])
	return b
}

func ExampleUpgrader_Upgrade() {
	u := &handshake.Upgrader{Subprotocols: []string{"chat"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := u.Upgrade(w, r)
		if err != nil {
			return // Upgrade has answered with an HTTP error
		}
		defer res.Conn.Close()
		fmt.Println("server: subprotocol", res.Subprotocol)
		res.Conn.Write([]byte{0x81, 0x02, 'h', 'i'}) // an unmasked text frame "hi"
	}))
	defer srv.Close()

	d := &handshake.Dialer{Subprotocols: []string{"chat"}}
	res, err := d.Dial(context.Background(), strings.Replace(srv.URL, "http", "ws", 1))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Conn.Close()
	fmt.Printf("client: frame payload %q\n", readN(res, 4)[2:])
	// Output:
	// server: subprotocol chat
	// client: frame payload "hi"
}

func ExampleDialer_Dial() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := (&handshake.Upgrader{}).Upgrade(w, r)
		if err == nil {
			res.Conn.Close()
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := strings.Replace(srv.URL, "http", "ws", 1) + "/chat"

	// A page from another site is refused by the default origin policy.
	d := &handshake.Dialer{Origin: "https://evil.example"}
	_, err := d.Dial(ctx, url)
	var se *handshake.StatusError
	fmt.Println(errors.As(err, &se), err)

	// A non-browser client sends no Origin.
	d.Origin = ""
	res, err := d.Dial(ctx, url)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Conn.Close()
	fmt.Println("upgraded, Upgrade:", res.Header.Get("Upgrade"))
	// Output:
	// true handshake: 403 Forbidden: origin not allowed
	// upgraded, Upgrade: websocket
}

func ExampleUpgrader_UpgradeConn() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		u := &handshake.Upgrader{HandshakeTimeout: 5 * time.Second}
		res, err := u.UpgradeConn(context.Background(), c) // closes c on failure
		if err != nil {
			return
		}
		defer res.Conn.Close()
		fmt.Println("server: upgraded", res.RequestURI)
	}()

	res, err := (&handshake.Dialer{}).Dial(context.Background(), "ws://"+ln.Addr().String()+"/raw")
	if err != nil {
		fmt.Println(err)
		return
	}
	<-done
	res.Conn.Close()
	// Output:
	// server: upgraded /raw
}
