package frame_test

import (
	"bufio"
	"bytes"
	"fmt"

	"github.com/hybi/ws/frame"
)

func ExampleAppendHeader() {
	// A masked client text frame carrying "Hello", as in RFC 6455 §5.7.
	h := frame.Header{
		Fin:    true,
		Opcode: frame.OpText,
		Masked: true,
		Key:    [4]byte{0x37, 0xfa, 0x21, 0x3d},
		Length: 5,
	}
	b := frame.AppendHeader(nil, h)
	for i, c := range []byte("Hello") {
		b = append(b, c^h.Key[i%4])
	}
	fmt.Printf("% x\n", b)
	// Output:
	// 81 85 37 fa 21 3d 7f 9f 4d 51 58
}

func ExampleParseHeader() {
	wire := []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}

	// Too little input: ParseHeader says how much it needs.
	_, need, err := frame.ParseHeader(wire[:1])
	fmt.Println(err, need)
	_, need, err = frame.ParseHeader(wire[:2])
	fmt.Println(err, need)

	h, n, err := frame.ParseHeader(wire)
	if err != nil {
		panic(err)
	}
	fmt.Printf("fin=%v opcode=%v masked=%v length=%d header=%d bytes\n", h.Fin, h.Opcode, h.Masked, h.Length, n)

	// A server checks the header before reading the payload.
	rules := frame.Rules{Role: frame.Server, MaxPayload: 1 << 20}
	fmt.Println(rules.Check(h))

	payload := wire[n : n+int(h.Length)]
	for i := range payload {
		payload[i] ^= h.Key[i%4]
	}
	fmt.Printf("%s\n", payload)
	// Output:
	// frame: short header 2
	// frame: short header 6
	// fin=true opcode=text masked=true length=5 header=6 bytes
	// <nil>
	// Hello
}

func ExampleReadHeader() {
	r := bufio.NewReader(bytes.NewReader([]byte{0x89, 0x05, 'H', 'e', 'l', 'l', 'o'}))
	h, err := frame.ReadHeader(r)
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Opcode, h.Length)

	// A client must not receive masked frames.
	fmt.Println(frame.Rules{Role: frame.Client}.Check(frame.Header{Fin: true, Opcode: frame.OpText, Masked: true}))
	// Output:
	// ping 5
	// closecode: 1002 protocol error: masked frame from server
}
