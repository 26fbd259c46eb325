//go:build !unix && !js

package conn

import (
	"net"
	"syscall"
)

// rawConnOf returns nil: reads go through net.Conn.Read.
func rawConnOf(net.Conn) syscall.RawConn { return nil }

// rawRead is never called without a raw connection.
func (c *Conn) rawRead(uintptr) bool { return true }
