package bench

import (
	"bufio"
	"bytes"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/mask"
)

// sizes names the payload sizes of the benchmarks.
var sizeNames = map[int]string{16: "16B", 125: "125B", 1 << 10: "1KiB", 16 << 10: "16KiB", 1 << 20: "1MiB"}

// payload returns n bytes of incompressible pseudo-random data.
func payload(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// BenchmarkMask masks a buffer in place. copy() is the reference row: the
// cost of touching the bytes at all. gorilla and coder keep their masking
// unexported and gws has it in an internal package, so they have no row.
func BenchmarkMask(b *testing.B) {
	key := [4]byte{1, 2, 3, 4}
	for _, n := range []int{16, 125, 1 << 10, 16 << 10, 1 << 20} {
		buf := payload(n)
		src := payload(n)
		b.Run("size="+sizeNames[n]+"/lib=copy", func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			defer loopCPU(b, CPUTime())
			for b.Loop() {
				copy(buf, src)
			}
		})
		b.Run("size="+sizeNames[n]+"/lib=hybi", func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			defer loopCPU(b, CPUTime())
			for b.Loop() {
				mask.Apply(key, 0, buf)
			}
		})
		b.Run("size="+sizeNames[n]+"/lib=gobwas", func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			defer loopCPU(b, CPUTime())
			for b.Loop() {
				ws.Cipher(buf, key, 0)
			}
		})
	}
}

// BenchmarkHeader encodes and decodes one masked binary frame header, in
// memory (hybi's PutHeader + ParseHeader) and through the io interfaces
// (hybi's WriteHeader + ReadHeader over bufio, gobwas' ws.WriteHeader +
// ws.ReadHeader). The other libraries export no header codec.
func BenchmarkHeader(b *testing.B) {
	for _, n := range []int64{125, 1 << 20} {
		name := "len=125"
		if n > 125 {
			name = "len=1MiB"
		}
		h := frame.Header{Fin: true, Opcode: frame.OpBinary, Masked: true, Key: [4]byte{1, 2, 3, 4}, Length: n}
		b.Run(name+"/lib=hybi", func(b *testing.B) {
			b.ReportAllocs()
			defer loopCPU(b, CPUTime())
			var buf [frame.MaxHeaderSize]byte
			for b.Loop() {
				k := frame.PutHeader(buf[:], h)
				g, _, err := frame.ParseHeader(buf[:k])
				if err != nil || g.Length != n {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/lib=hybi-io", func(b *testing.B) {
			b.ReportAllocs()
			defer loopCPU(b, CPUTime())
			var w bytes.Buffer
			var r bytes.Reader
			br := bufio.NewReader(&r)
			for b.Loop() {
				w.Reset()
				if err := frame.WriteHeader(&w, h); err != nil {
					b.Fatal(err)
				}
				r.Reset(w.Bytes())
				br.Reset(&r)
				g, err := frame.ReadHeader(br)
				if err != nil || g.Length != n {
					b.Fatal(err)
				}
			}
		})
		gh := ws.Header{Fin: true, OpCode: ws.OpBinary, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: n}
		b.Run(name+"/lib=gobwas", func(b *testing.B) {
			b.ReportAllocs()
			defer loopCPU(b, CPUTime())
			var w bytes.Buffer
			var r bytes.Reader
			br := bufio.NewReader(&r)
			for b.Loop() {
				w.Reset()
				if err := ws.WriteHeader(&w, gh); err != nil {
					b.Fatal(err)
				}
				r.Reset(w.Bytes())
				br.Reset(&r)
				g, err := ws.ReadHeader(br)
				if err != nil || g.Length != n {
					b.Fatal(err)
				}
			}
		})
	}
}

// loopCPU reports the CPU time per operation since t0 of a benchmark
// driven by b.Loop; deferred, it runs once the loop has ended.
func loopCPU(b *testing.B, t0 time.Duration) {
	b.ReportMetric(float64(CPUTime()-t0)/float64(b.N), "cpu-ns/op")
}
