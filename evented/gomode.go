package evented

import (
	"time"
)

func timeNow() time.Time { return time.Now() }

// goroutineReadSize is the read buffer of a connection on goroutines of
// its own (TLS, systems without epoll), held while its read waits.
const goroutineReadSize = 4 << 10

// readLoop reads a connection that is not on the poller, on a goroutine
// of its own, and feeds what it reads to c as the loop would.
func (c *Conn) readLoop() {
	buf := getBuf(goroutineReadSize)
	buf = buf[:cap(buf)]
	defer putBuf(buf)
	for {
		n, err := c.nc.Read(buf)
		c.mu.Lock()
		if c.torn {
			c.mu.Unlock()
			return
		}
		if n > 0 {
			c.input(buf[:n], time.Now())
		}
		// While a message waits for OnMessage, the reader goes on reading
		// into the held input, so that the peer's pongs show it alive
		// however slow the handler; it waits once the held input reached
		// its bound, or with the end of the input, which comes after the
		// bytes held.
		for c.paused && !c.torn && !c.dead && (err != nil || c.heldRoom() <= 0) {
			c.afterLocked()
			ch := make(chan struct{})
			c.resume = ch
			c.mu.Unlock()
			<-ch
			c.mu.Lock()
		}
		if err != nil && !c.torn {
			c.transportClosed(err)
		}
		c.afterLocked()
		stop := c.torn || err != nil
		c.mu.Unlock()
		if stop {
			return
		}
	}
}

// writeLoop writes the queued output of a connection that is not on the
// poller, on a goroutine that runs while there is some.
func (c *Conn) writeLoop() {
	for {
		c.mu.Lock()
		if c.torn || c.off == len(c.out) {
			c.writing = false
			if c.torn && c.out != nil {
				putBuf(c.out)
				c.out, c.off = nil, 0
			}
			c.afterLocked()
			c.mu.Unlock()
			return
		}
		chunk := c.out[c.off:]
		if len(chunk) > 64<<10 {
			chunk = chunk[:64<<10]
		}
		c.mu.Unlock()
		c.nc.SetWriteDeadline(time.Now().Add(c.s.closeTimeout()))
		n, err := c.nc.Write(chunk)
		c.mu.Lock()
		if c.torn {
			c.mu.Unlock()
			continue
		}
		if err != nil {
			c.writeFailed(err)
			c.writing = false
			c.afterLocked()
			c.mu.Unlock()
			return
		}
		c.wrote(n)
		c.mu.Unlock()
	}
}
