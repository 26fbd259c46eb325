package protocol

import (
	"testing"
	"unsafe"
)

// TestSize guards the memory an idle connection holds: a Protocol fits
// the runtime's 208-byte size class (hundreds of thousands of idle
// connections are the case it is built for).
func TestSize(t *testing.T) {
	if n := unsafe.Sizeof(Protocol{}); n > 208 {
		t.Errorf("a Protocol takes %d bytes, want at most 208", n)
	}
}
