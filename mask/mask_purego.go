//go:build !amd64 || purego

package mask

// xorKey XORs b in place with the little-endian masking key, starting at
// key byte pos&3.
func xorKey(b []byte, key uint32, pos uint) { xorGeneric(b, rotateKey(key, pos)) }
