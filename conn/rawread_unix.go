//go:build unix && !js

package conn

import (
	"net"
	"os"
	"syscall"
)

// rawConnOf returns the raw connection of nc when reads may bypass its Read
// method: only for the standard library's TCP and Unix connections, whose
// Read is exactly a read(2) on the socket.
func rawConnOf(nc net.Conn) syscall.RawConn {
	var sc syscall.Conn
	switch v := nc.(type) {
	case *net.TCPConn:
		sc = v
	case *net.UnixConn:
		sc = v
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// rawRead is the callback of syscall.RawConn.Read used by rawFill: it reads
// into the read buffer, taken from the pool if need be, and, when the socket
// has nothing to read, returns the buffer to the pool before the poller
// waits, so that an idle connection holds no read buffer. Before it waits,
// it stops once for rawFill to flush coalesced writes.
func (c *Conn) rawRead(fd uintptr) bool {
	if c.rbuf == nil {
		c.rbuf = getBuf(c.cfg.readBuf)
	}
	for {
		n, err := syscall.Read(int(fd), c.rbuf)
		switch err {
		case nil:
			c.rw = n
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			putBuf(c.rbuf)
			c.rbuf = nil
			if c.w.pending.Load() {
				// Stop before the poller waits, for rawFill to flush the
				// coalesced writes: the reader is about to wait for the
				// peer, which waits for them.
				c.rawErr = errWouldBlock
				return true
			}
			return false
		}
		c.rawErr = os.NewSyscallError("read", err)
		return true
	}
}
