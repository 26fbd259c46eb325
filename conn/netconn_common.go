package conn

import (
	"net"
	"time"

	"github.com/hybi/ws/closecode"
)

// The methods of NetConn's net.Conn that do the same in every build.

func (n *netConn) Close() error { return n.c.Close(closecode.Normal, "") }

func (n *netConn) LocalAddr() net.Addr  { return n.c.LocalAddr() }
func (n *netConn) RemoteAddr() net.Addr { return n.c.RemoteAddr() }

func (n *netConn) SetDeadline(t time.Time) error {
	n.mu.Lock()
	n.readDeadline, n.writeDeadline = t, t
	n.mu.Unlock()
	return nil
}

func (n *netConn) SetReadDeadline(t time.Time) error {
	n.mu.Lock()
	n.readDeadline = t
	n.mu.Unlock()
	return nil
}

func (n *netConn) SetWriteDeadline(t time.Time) error {
	n.mu.Lock()
	n.writeDeadline = t
	n.mu.Unlock()
	return nil
}

// timeoutError is the net.Error of an expired deadline.
type timeoutError struct{}

func (timeoutError) Error() string   { return "conn: i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
