package mask_test

import (
	"fmt"

	"github.com/hybi/ws/mask"
)

func ExampleApply() {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}

	// A client masks the payload "Hello" before sending it (RFC 6455, 5.7).
	payload := []byte("Hello")
	mask.Apply(key, 0, payload)
	fmt.Printf("% x\n", payload)

	// The server unmasks it as it arrives, in two pieces, carrying the key
	// position from one piece to the next.
	pos := mask.Apply(key, 0, payload[:2])
	pos = mask.Apply(key, pos, payload[2:])
	fmt.Printf("%s %d\n", payload, pos)
	// Output:
	// 7f 9f 4d 51 58
	// Hello 1
}
