package deflate_test

import (
	"bytes"
	"fmt"
	"io"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/handshake"
)

func Example() {
	client := &deflate.Config{NoContextTakeover: true}
	server := &deflate.Config{Threshold: 64}

	// Handshake: the client offers, the server picks, the client checks.
	offers := client.Offers()
	resp, sp, ok := server.Negotiate(offers)
	if !ok {
		panic("declined")
	}
	cp, ok, err := client.Accept([]handshake.Extension{resp})
	if err != nil || !ok {
		panic(err)
	}
	fmt.Println("offer:   ", handshake.FormatExtensions(offers))
	fmt.Println("response:", handshake.FormatExtensions([]handshake.Extension{resp}))
	fmt.Printf("agreed:   %+v (same on both sides: %v)\n", sp, sp == cp)

	// Data: the client compresses a message (the payload of a frame with
	// RSV1 set), the server decompresses it.
	comp := client.NewCompressor(cp, false)
	defer comp.Close()
	decomp := deflate.NewDecompressor(sp, true)
	defer decomp.Close()

	msg := bytes.Repeat([]byte("hello, "), 40)
	payload := comp.Compress(nil, msg)
	decomp.Reset(bytes.NewReader(payload))
	got, err := io.ReadAll(decomp)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d bytes -> %d bytes -> %d bytes, equal: %v\n", len(msg), len(payload), len(got), bytes.Equal(got, msg))
	// Output:
	// offer:    permessage-deflate; client_max_window_bits; client_no_context_takeover
	// response: permessage-deflate; client_no_context_takeover
	// agreed:   {ServerNoContextTakeover:false ClientNoContextTakeover:true ServerMaxWindowBits:15 ClientMaxWindowBits:15} (same on both sides: true)
	// 280 bytes -> 31 bytes -> 280 bytes, equal: true
}
