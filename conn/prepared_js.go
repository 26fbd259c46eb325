//go:build js && wasm

package conn

import "context"

// WritePrepared sends the prepared messages msgs, in order, each as one
// message. In the browser the page's WebSocket frames and compresses every
// message itself, so a prepared message is sent as Write sends its data.
func (c *Conn) WritePrepared(ctx context.Context, msgs ...*PreparedMessage) error {
	for _, m := range msgs {
		if err := c.Write(ctx, m.Type(), m.Data()); err != nil {
			return err
		}
	}
	return nil
}
