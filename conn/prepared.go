//go:build !js

package conn

import (
	"context"
	"errors"
	"os"

	"github.com/hybi/ws/frame"
)

// Sizes of the writes of prepared messages.
const (
	// preparedBatch bounds the bytes of prepared frames copied into one
	// write: messages queued for a connection go out together.
	preparedBatch = 64 << 10
	// preparedDirect is the size from which a server's prepared frames go
	// out as they are, shared, without a copy.
	preparedDirect = 16 << 10
)

// WritePrepared sends the prepared messages msgs, in order, each as one
// message, encoded as this connection needs (compressed or not, as it
// would decide for a message of its own). Short messages go out together,
// in one system call for up to 64 KiB of frames; a server sends the
// shared frames of a long one without copying them. Sending allocates
// nothing once a message's encoding for this connection's parameters was
// made, which the first connection needing it does.
//
// WritePrepared serializes with Write and the other writers and honours
// ctx as Write does: it returns ctx's error, and leaves the connection
// usable, when it stops between messages; a write cut in the middle of a
// message tears the connection down. When it fails, the messages before
// the one that failed were sent. It returns an error matching ErrNotOpen
// when the connection is not Open.
func (c *Conn) WritePrepared(ctx context.Context, msgs ...*PreparedMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := c.lockWrite(ctx); err != nil {
		return err
	}
	defer c.unlockWrite()
	server := c.p.Role() == frame.Server // immutable
	for len(msgs) > 0 {
		if err := c.lockWire(ctx); err != nil {
			return c.messageFailed(false, err)
		}
		watching := c.watchWrite(ctx)
		var buf, out []byte
		var err error
		c.mu.Lock()
		total, k := 0, 0
		for k < len(msgs) {
			size := c.p.PreparedSize(msgs[k])
			if size == 0 || server && size >= preparedDirect || k > 0 && total+size > preparedBatch {
				break
			}
			total += size
			k++
		}
		switch {
		case k > 0:
			buf = getBuf(total)[:0]
			for _, m := range msgs[:k] {
				buf, _ = c.p.AppendPrepared(buf, m) // cannot fail: PreparedSize said so
			}
			out = buf
		case server:
			out, err = c.p.PreparedFrames(msgs[0])
			k = 1
		default:
			_, err = c.p.AppendPrepared(nil, msgs[0]) // the reason PreparedSize was 0
		}
		c.mu.Unlock()
		var wrote int64
		if err == nil {
			wrote, err = c.writeFrame(out, nil)
		}
		if buf != nil {
			putBuf(buf)
		}
		c.endWrite(watching)
		c.unlockWire()
		if err != nil {
			if watching && errors.Is(err, os.ErrDeadlineExceeded) {
				err = ctxErr(ctx)
			}
			return c.messageFailed(wrote > 0, err)
		}
		msgs = msgs[k:]
	}
	return nil
}
