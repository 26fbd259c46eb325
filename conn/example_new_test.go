//go:build !js

package conn_test

import (
	"context"
	"fmt"
	"log"
	"net"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/handshake"
)

// A server that runs the opening handshake itself, with
// handshake.Upgrader.UpgradeConn, negotiates permessage-deflate with
// deflate.Config and hands what was agreed to New.
func ExampleNew() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	var cfg deflate.Config
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		var params *deflate.Params
		u := handshake.Upgrader{
			Subprotocols: []string{"chat"},
			Negotiate: func(offers []handshake.Extension) ([]handshake.Extension, error) {
				resp, p, ok := cfg.Negotiate(offers)
				if !ok {
					return nil, nil
				}
				params = &p
				return []handshake.Extension{resp}, nil
			},
		}
		res, err := u.UpgradeConn(context.Background(), nc)
		if err != nil {
			return
		}
		c := conn.New(res.Conn, res.Buffered, frame.Server, &conn.Options{
			Compression: &cfg,
			Negotiated:  conn.Negotiated{Subprotocol: res.Subprotocol, Deflate: params},
		})
		ctx := context.Background()
		typ, msg, err := c.Read(ctx, nil)
		if err != nil {
			return
		}
		c.Write(ctx, typ, msg)
		c.Read(ctx, nil) // until the client's close
	}()

	ctx := context.Background()
	c, err := conn.Dial(ctx, "ws://"+ln.Addr().String()+"/", &conn.DialOptions{
		Options:      conn.Options{Compression: &deflate.Config{}},
		Subprotocols: []string{"chat"},
	})
	if err != nil {
		log.Fatal(err)
	}
	_, compressed := c.Compression()
	fmt.Println("subprotocol:", c.Subprotocol(), "compressed:", compressed)
	c.Write(ctx, conn.Text, []byte("hello, hello, hello"))
	_, msg, err := c.Read(ctx, nil)
	fmt.Printf("%s %v\n", msg, err)
	fmt.Println(c.Close(closecode.Normal, ""))
	// Output:
	// subprotocol: chat compressed: true
	// hello, hello, hello <nil>
	// <nil>
}
