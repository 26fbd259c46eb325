//go:build amd64 && !purego

package mask

import (
	"os"
	"strings"
	"testing"
)

func init() {
	// Apply itself uses AVX2 for long buffers where the CPU has it; check
	// the SSE2 loop as well.
	impls = append(impls, impl{"sse2", applySSE2})
}

// applySSE2 is Apply with the AVX2 loop turned off.
func applySSE2(key [4]byte, pos int, b []byte) int {
	saved := useAVX2
	useAVX2 = false
	defer func() { useAVX2 = saved }()
	return Apply(key, pos, b)
}

func TestAVX2Detection(t *testing.T) {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skip("no /proc/cpuinfo")
	}
	var flags []string
	for line := range strings.Lines(string(info)) {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "flags" {
			flags = strings.Fields(value)
			break
		}
	}
	if flags == nil {
		t.Skip("no flags line in /proc/cpuinfo")
	}
	var kernel bool
	for _, f := range flags {
		kernel = kernel || f == "avx2"
	}
	if useAVX2 != kernel {
		t.Errorf("useAVX2 = %v, but the kernel reports avx2 %v", useAVX2, kernel)
	}
}

func BenchmarkApplySSE2(b *testing.B) {
	saved := useAVX2
	useAVX2 = false
	defer func() { useAVX2 = saved }()
	BenchmarkApply(b)
}
