package protocol_test

import (
	"fmt"
	"net"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

// pump is a minimal driver step: one read from c into p, each event handed
// to on, then the pending control frames written. (A real driver also arms
// a timer for p.Deadline() and calls p.Tick when it fires.)
func pump(c net.Conn, p *protocol.Protocol, buf []byte, on func(protocol.Event)) {
	n, err := c.Read(buf)
	if err != nil {
		p.TransportClosed(err)
		return
	}
	p.Alive(time.Now())
	for in := buf[:n]; ; {
		ev, k, err := p.Parse(in)
		in = in[k:]
		if err == nil && ev.Kind == protocol.EventNone {
			break
		}
		if err == nil { // a fault queues a close frame: nothing else to do
			on(ev)
		}
	}
	if p.HasPending() {
		c.Write(p.AppendPending(nil))
		p.PendingWritten(time.Now())
	}
}

// A client core sends a message over a net.Conn, a server core echoes it,
// and the client closes.
func Example() {
	cc, sc := net.Pipe()
	go func() { // the server echoes every message
		srv, _ := protocol.New(protocol.Config{Role: frame.Server}, time.Now())
		var msg []byte
		for buf := make([]byte, 512); srv.State() != protocol.Closed; {
			pump(sc, srv, buf, func(ev protocol.Event) {
				switch ev.Kind {
				case protocol.EventData:
					msg = append(msg, ev.Data...)
				case protocol.EventMessageEnd:
					out, _ := srv.AppendMessage(nil, protocol.Text, msg)
					sc.Write(out)
					msg = msg[:0]
				}
			})
		}
		sc.Close() // the server closes the transport first
	}()

	cli, _ := protocol.New(protocol.Config{Role: frame.Client}, time.Now())
	out, _ := cli.AppendMessage(nil, protocol.Text, []byte("hello"))
	cc.Write(out)
	for buf := make([]byte, 512); cli.State() != protocol.Closed; {
		pump(cc, cli, buf, func(ev protocol.Event) {
			if ev.Kind == protocol.EventData {
				fmt.Printf("echo: %s\n", ev.Data)
				cli.Close(closecode.Normal, "bye", time.Now())
			}
		})
	}
	cc.Close()
	fmt.Println(cli.Result())
	// Output:
	// echo: hello
	// conn: closed with 1000 (clean)
}
