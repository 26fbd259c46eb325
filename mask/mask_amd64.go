//go:build amd64 && !purego

package mask

// useAVX2 selects the AVX2 loop for long buffers; the assembly reads it.
// Tests clear it to exercise the SSE2 loop.
var useAVX2 = hasAVX2()

// xorKey XORs b in place with the little-endian masking key, starting at
// key byte pos&3. It is implemented in mask_amd64.s.
//
//go:noescape
func xorKey(b []byte, key uint32, pos uint)

// cpuid executes the CPUID instruction for the given leaf and subleaf.
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// xgetbv reads extended control register 0.
func xgetbv() (eax, edx uint32)

// hasAVX2 reports whether the processor has AVX2 and the operating system
// saves the YMM registers across context switches.
func hasAVX2() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	const (
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if _, _, ecx, _ := cpuid(1, 0); ecx&(osxsave|avx) != osxsave|avx {
		return false
	}
	// XCR0 bits 1 and 2: SSE and AVX state enabled by the OS.
	if xcr0, _ := xgetbv(); xcr0&6 != 6 {
		return false
	}
	_, ebx, _, _ := cpuid(7, 0)
	return ebx&(1<<5) != 0
}
