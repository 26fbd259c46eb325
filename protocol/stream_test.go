package protocol_test

import (
	"strings"
	"testing"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

// In stream mode the read limit applies to compressed messages only.
func TestSetStream(t *testing.T) {
	big := strings.Repeat("x", 100)
	plain := cat(toServer(false, frame.OpText, big[:60]), toServer(true, frame.OpContinuation, big[60:]))
	mk := func() *protocol.Protocol {
		p := compressedServer(t, 10)
		p.SetStream(true)
		return p
	}
	wantEvents(t, mk, plain, `start(text,false) data("`+big+`") message end`, 0)

	var cfg deflateConfig
	c := cfg.NewCompressor(deflateParams{}, false)
	packed := c.Compress(nil, []byte(big))
	compressed := frm(true, frame.OpText, frame.RSV1, true, packed)
	wantEvents(t, mk, compressed, "start(text,true)", closecode.MessageTooBig)

	// Off again: the limit applies to every message.
	off := func() *protocol.Protocol {
		p := mk()
		p.SetStream(false)
		return p
	}
	wantEvents(t, off, plain, "", closecode.MessageTooBig)
}
