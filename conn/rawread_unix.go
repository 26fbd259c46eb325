//go:build unix

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
// has nothing to read and the buffer is empty, returns the buffer to the
// pool before the poller waits, so that an idle connection holds no read
// buffer. Before waiting, it stops once for rawFill to flush coalesced
// writes.
func (c *Conn) rawRead(fd uintptr) bool {
	if c.rbuf == nil {
		c.rbuf = getBuf(c.opts.ReadBufferSize)
		c.rr, c.rw = 0, 0
	} else if c.rr == c.rw {
		c.rr, c.rw = 0, 0 // never read into an empty slice, which means EOF
	}
	for {
		n, err := syscall.Read(int(fd), c.rbuf[c.rw:])
		switch err {
		case nil:
			c.rn = n
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if c.rr == c.rw {
				putBuf(c.rbuf)
				c.rbuf = nil
			}
			if c.pending.Load() && !c.rflushed {
				// Flush out of this callback: a failing write
				// closes nc, which waits for the callback to return.
				c.rflush = true
				return true
			}
			return false
		}
		c.rerr = os.NewSyscallError("read", err)
		return true
	}
}
