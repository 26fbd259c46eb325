// Package wsjson sends and receives JSON values as WebSocket messages on a
// *conn.Conn: one value per text message.
//
// Write and Read add no allocation to those of encoding/json: the message
// buffers are pooled.
package wsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/hybi/ws/conn"
)

// ErrInvalidJSON is matched (errors.Is) by the error Read returns for a
// message that is not valid JSON; the error also wraps encoding/json's
// *json.SyntaxError.
var ErrInvalidJSON = errors.New("wsjson: message is not valid JSON")

// keepBuf is the largest buffer kept in the pools.
const keepBuf = 64 << 10

type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := new(encoder)
	e.enc = json.NewEncoder(&e.buf)
	return e
}}

// Write encodes v as encoding/json's Marshal does and sends it as one text
// message on c, bounded by ctx. It returns an error wrapping encoding/json's
// for a value that cannot be encoded (nothing is sent then), or the error of
// c.Write.
func Write(ctx context.Context, c *conn.Conn, v any) error {
	e := encoders.Get().(*encoder)
	defer func() {
		if e.buf.Cap() <= keepBuf {
			e.buf.Reset()
			encoders.Put(e)
		}
	}()
	if err := e.enc.Encode(v); err != nil {
		return fmt.Errorf("wsjson: encoding %T: %w", v, err)
	}
	b := e.buf.Bytes()
	return c.Write(ctx, conn.Text, b[:len(b)-1]) // without Encode's newline
}

var buffers = sync.Pool{New: func() any { return new([]byte) }}

// Read reads the next message from c, bounded by ctx, and decodes it into
// v as encoding/json's Unmarshal does. A text or binary message holding
// anything but one JSON value yields an error matching ErrInvalidJSON; a
// value that does not fit v (a string for an int field) one wrapping
// encoding/json's; a failed read the error of c.Read. The connection goes
// on after a message that did not decode.
func Read(ctx context.Context, c *conn.Conn, v any) error {
	bp := buffers.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= keepBuf {
			*bp = (*bp)[:0]
			buffers.Put(bp)
		}
	}()
	_, msg, err := c.Read(ctx, *bp)
	*bp = msg
	if err != nil {
		return err
	}
	if err := json.Unmarshal(msg, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("%w: %w", ErrInvalidJSON, err)
		}
		return fmt.Errorf("wsjson: decoding into %T: %w", v, err)
	}
	return nil
}
