//go:build !js

package conn

import "testing"

// benchmarkEcho measures the round trip of size-byte messages to an
// echoing server, as BenchmarkEcho1K does.
func benchmarkEcho(b *testing.B, size int) {
	cli, stop := echoPair(b)
	defer stop()
	msg := make([]byte, size)
	buf := make([]byte, 0, max(4096, size))
	buf = echoOnce(b, cli, msg, buf)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		buf = echoOnce(b, cli, msg, buf)
	}
	reportCPU(b, cpu0)
}

func BenchmarkEcho16K(b *testing.B) { benchmarkEcho(b, 16<<10) }

// BenchmarkEcho1M echoes messages of 1 MiB, which go out as frames of
// Options.MaxFrameSize.
func BenchmarkEcho1M(b *testing.B) { benchmarkEcho(b, 1<<20) }
