package bench

import (
	"context"
	"io"
	"net"
	"runtime"

	"github.com/lxzan/gws"
)

// gwsDeflate is gws' compression option: context takeover both ways, as
// hybi's default.
func gwsDeflate(compress bool) gws.PermessageDeflate {
	if !compress {
		return gws.PermessageDeflate{}
	}
	return gws.PermessageDeflate{Enabled: true, ServerContextTakeover: true, ClientContextTakeover: true}
}

// gwsEcho is the server's event handler: OnMessage writes the message back.
type gwsEcho struct {
	gws.BuiltinEventHandler
	s *Server
}

func (e *gwsEcho) OnOpen(c *gws.Conn) {
	if !e.s.track(c, func() { c.NetConn().Close() }) {
		c.NetConn().Close()
	}
}

func (e *gwsEcho) OnClose(c *gws.Conn, err error) {
	e.s.mu.Lock()
	_, ok := e.s.closers[c]
	e.s.mu.Unlock()
	if ok {
		e.s.untrack(c)
	}
}

func (e *gwsEcho) OnMessage(c *gws.Conn, m *gws.Message) {
	c.WriteMessage(m.Opcode, m.Bytes())
	m.Close()
}

// exitListener makes gws.Server.RunListener end: that loop retries failed
// Accepts forever, so once the listener is closed Accept ends the
// goroutine instead of returning.
type exitListener struct {
	net.Listener
	done chan struct{}
}

func (l exitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		close(l.done)
		runtime.Goexit()
	}
	return c, err
}

// serveGWS is gws' event-driven server, gws.NewServer with its own accept
// loop (RunListener).
func serveGWS(compress bool) (*Server, error) {
	ln, err := listen()
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln}
	srv := gws.NewServer(&gwsEcho{s: s}, &gws.ServerOption{PermessageDeflate: gwsDeflate(compress)})
	srv.OnError = func(net.Conn, error) {}
	done := make(chan struct{})
	s.shutdown = func() { <-done }
	go srv.RunListener(exitListener{ln, done})
	return s, nil
}

// gwsClient receives the echoes through its OnMessage callback.
type gwsClient struct {
	gws.BuiltinEventHandler
	c    *gws.Conn
	msgs chan int
	done chan struct{}
}

func (g *gwsClient) OnClose(*gws.Conn, error) { close(g.done) }

func (g *gwsClient) OnMessage(_ *gws.Conn, m *gws.Message) {
	n := m.Data.Len()
	m.Close()
	select {
	case g.msgs <- n:
	case <-g.done:
	}
}

// gwsDialer dials through netDial.
type gwsDialer struct{}

func (gwsDialer) Dial(network, addr string) (net.Conn, error) {
	return netDial(context.Background(), network, addr)
}

func dialGWS(addr string, compress bool) (Client, error) {
	g := &gwsClient{msgs: make(chan int, 1024), done: make(chan struct{})}
	c, _, err := gws.NewClient(g, &gws.ClientOption{
		Addr:              "ws://" + addr + "/",
		PermessageDeflate: gwsDeflate(compress),
		NewDialer:         func() (gws.Dialer, error) { return gwsDialer{}, nil },
	})
	if err != nil {
		return nil, err
	}
	g.c = c
	go c.ReadLoop()
	return g, nil
}

func (g *gwsClient) Send(msg []byte) error { return g.c.WriteMessage(gws.OpcodeBinary, msg) }

func (g *gwsClient) Recv() (int, error) {
	select {
	case n := <-g.msgs:
		return n, nil
	case <-g.done:
		return 0, io.EOF
	}
}

func (g *gwsClient) Close() error { return g.c.NetConn().Close() }
