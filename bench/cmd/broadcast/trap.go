package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/hybi/ws/broadcast"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
	"github.com/lxzan/gws"
)

// The trap: on a connection with context takeover, a message compressed
// once for many connections enters the receiver's window without passing
// through the sender's compressor for that connection. runTrap sends
// ordinary messages (which repeat text of the earlier ones, so that a
// compressor refers back into them) interleaved with broadcast ones, from a
// gws server using its Broadcaster and from a hybi server using a
// broadcast.Hub, to a hybi client with context takeover both ways, and
// reports whether the client decoded every message.

// trapMessages returns the interleaving: true marks a broadcast message.
func trapMessages() ([][]byte, []bool) {
	var msgs [][]byte
	var bc []bool
	phrase := "the quick brown fox jumps over the lazy dog; "
	for i := range 30 {
		if i%3 == 1 {
			msgs = append(msgs, fmt.Appendf(nil, "broadcast %d: %s", i, strings.Repeat("price tick 101.25 101.50 ", 2+i%4)))
			bc = append(bc, true)
		} else {
			msgs = append(msgs, fmt.Appendf(nil, "own %d: %s", i, strings.Repeat(phrase, 1+i%5)))
			bc = append(bc, false)
		}
	}
	return msgs, bc
}

func runTrap() int {
	msgs, bc := trapMessages()
	status := 0
	for _, lib := range []string{"gws", "hybi-hub"} {
		var addr string
		var stop func()
		var err error
		if lib == "gws" {
			addr, stop, err = trapGWS(msgs, bc)
		} else {
			addr, stop, err = trapHybi(msgs, bc)
		}
		if err != nil {
			fmt.Println(lib, "server:", err)
			return 1
		}
		ok, detail := trapClient(addr, msgs)
		stop()
		verdict := "decoded every message correctly"
		if !ok {
			verdict = "FAILED: " + detail
			if lib != "gws" {
				status = 1
			}
		}
		fmt.Printf("%-8s %d messages (%d broadcast) under context takeover both ways: %s\n", lib, len(msgs), count(bc), verdict)
	}
	return status
}

func count(b []bool) int {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return n
}

// trapClient reads the messages at a hybi client with context takeover
// and compares them.
func trapClient(addr string, want [][]byte) (bool, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, "ws://"+addr+"/", &conn.DialOptions{Options: conn.Options{Compression: &deflate.Config{}, PingInterval: -1}})
	if err != nil {
		return false, "dial: " + err.Error()
	}
	defer c.CloseNow()
	p, _ := c.Compression()
	if p.ServerNoContextTakeover {
		return false, "the server refused context takeover"
	}
	for i, w := range want {
		_, got, err := c.Read(ctx, nil)
		if err != nil {
			return false, fmt.Sprintf("message %d of %d: %v", i, len(want), err)
		}
		if !bytes.Equal(got, w) {
			return false, fmt.Sprintf("message %d decoded as %.40q, want %.40q", i, got, w)
		}
	}
	return true, ""
}

type trapHandler struct {
	gws.BuiltinEventHandler
	msgs [][]byte
	bc   []bool
}

func (h *trapHandler) OnOpen(c *gws.Conn) {
	// WriteAsync and Broadcast share the connection's write queue, which
	// keeps their order.
	for i, m := range h.msgs {
		if h.bc[i] {
			b := gws.NewBroadcaster(gws.OpcodeText, m)
			b.Broadcast(c)
			b.Close()
		} else {
			c.WriteAsync(gws.OpcodeText, m, nil)
		}
	}
}

func trapGWS(msgs [][]byte, bc []bool) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := gws.NewServer(&trapHandler{msgs: msgs, bc: bc}, &gws.ServerOption{PermessageDeflate: gws.PermessageDeflate{
		Enabled: true, ServerContextTakeover: true, ClientContextTakeover: true, Threshold: 1,
	}})
	srv.OnError = func(net.Conn, error) {}
	done := make(chan struct{})
	go srv.RunListener(exitListener{ln, done})
	return ln.Addr().String(), func() { ln.Close(); <-done }, nil
}

func trapHybi(msgs [][]byte, bc []bool) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hub := broadcast.New(nil)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		c, err := conn.AcceptConn(context.Background(), nc, &conn.AcceptOptions{Options: conn.Options{Compression: &deflate.Config{}, PingInterval: -1}})
		if err != nil {
			nc.Close()
			return
		}
		// The Hub's writer and Write serialize on the connection; waiting
		// for each broadcast to go out keeps the order.
		hub.Add(c)
		ctx := context.Background()
		for i, m := range msgs {
			if bc[i] {
				pm, _ := conn.NewPreparedMessage(conn.Text, m)
				before := hub.Stats().Delivered
				hub.Broadcast(pm)
				for hub.Stats().Delivered == before {
					time.Sleep(100 * time.Microsecond)
				}
			} else if err := c.Write(ctx, conn.Text, m); err != nil {
				return
			}
		}
		c.Read(ctx, nil) // until the client goes
	}()
	return ln.Addr().String(), func() { hub.Close(); ln.Close() }, nil
}
