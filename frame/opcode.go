package frame

import "strconv"

// Opcode is the 4-bit frame opcode of RFC 6455 §5.2.
type Opcode uint8

// Opcodes defined by RFC 6455 §5.2. The others are reserved.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// String returns the lower-case name of o, such as "text", or
// "reserved(0x3)" for a reserved opcode.
func (o Opcode) String() string {
	switch o {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return "reserved(0x" + strconv.FormatUint(uint64(o), 16) + ")"
}

// IsControl reports whether o is a control opcode (0x8-0xF, RFC 6455 §5.5),
// reserved ones included.
func (o Opcode) IsControl() bool {
	return o&0x8 != 0
}

// IsReserved reports whether o is not defined by RFC 6455: 0x3-0x7 and
// 0xB-0xF, and any value above 0xF.
func (o Opcode) IsReserved() bool {
	switch o {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
		return false
	}
	return true
}
