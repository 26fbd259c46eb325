package bench

import (
	"context"
	"net"
	"time"
)

// netDial dials the loopback server for every client in this package. It
// sets SO_LINGER to 0, so that closing the client resets the connection
// instead of leaving it in TIME_WAIT: the handshake benchmark opens tens of
// thousands of connections and would otherwise run out of ports.
func netDial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	return c, nil
}

// dialTimeout bounds every dial and handshake of a client.
const dialTimeout = 10 * time.Second

// dialCtx returns a context bounding a dial.
func dialCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), dialTimeout)
}
