package deflate

import (
	"bytes"
	"compress/flate"
	"fmt"
	"testing"
)

var benchCases = []struct {
	name string
	cfg  *Config
	p    Params
}{
	{"takeover", nil, defaultParams},
	{"no-takeover", nil, Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true}},
	{"level6-no-takeover", &Config{Level: 6}, Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true}},
	{"huffman-only", &Config{Level: flate.HuffmanOnly}, defaultParams},
}

// benchMessages returns 8 different messages of n bytes each.
func benchMessages(n int) [][]byte {
	msgs := make([][]byte, 8)
	for i := range msgs {
		msgs[i] = text(uint64(i), n)
	}
	return msgs
}

func BenchmarkCompress(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10} {
		msgs := benchMessages(size)
		for _, bc := range benchCases {
			b.Run(fmt.Sprintf("%dB/%s", size, bc.name), func(b *testing.B) {
				c := bc.cfg.NewCompressor(bc.p, true)
				defer c.Close()
				dst := make([]byte, 0, 2*size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					dst = c.Compress(dst[:0], msgs[i%len(msgs)])
				}
			})
		}
	}
}

func BenchmarkDecompress(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10} {
		msgs := benchMessages(size)
		for _, bc := range benchCases {
			b.Run(fmt.Sprintf("%dB/%s", size, bc.name), func(b *testing.B) {
				// Compress a sequence of messages with a continuous context.
				c := bc.cfg.NewCompressor(bc.p, true)
				payloads := make([][]byte, 64)
				for i := range payloads {
					payloads[i] = c.Compress(nil, msgs[i%len(msgs)])
				}
				c.Close()
				buf := make([]byte, 4096)
				var src bytes.Reader
				d := NewDecompressor(bc.p, false)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					if i%len(payloads) == 0 {
						d.window = d.window[:0] // the payloads' context restarts
					}
					src.Reset(payloads[i%len(payloads)])
					d.Reset(&src)
					for {
						if _, err := d.Read(buf); err != nil {
							break
						}
					}
				}
			})
		}
	}
}

// BenchmarkStream compresses 64 KiB messages in 4 KiB fragments, flushing
// each.
func BenchmarkStream(b *testing.B) {
	const size, frag = 64 << 10, 4 << 10
	msgs := benchMessages(size)
	c := (*Config)(nil).NewCompressor(defaultParams, true)
	defer c.Close()
	dst := make([]byte, 0, 2*frag)
	b.SetBytes(size)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m := msgs[i%len(msgs)]
		for len(m) > frag {
			dst = c.Flush(c.Write(dst[:0], m[:frag]))
			m = m[frag:]
		}
		dst = c.Finish(c.Write(dst[:0], m))
	}
}

// BenchmarkCompressAfterRelease compares compressing with the writer held
// (context takeover) and after Release, which primes a pooled writer with the
// 32 KiB history for each message. cpu-ns/op is the process's CPU time per
// message, steadier than ns/op on a loaded machine.
func BenchmarkCompressAfterRelease(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10} {
		msgs := benchMessages(size)
		for _, level := range []int{flate.BestSpeed, flate.DefaultCompression, flate.BestCompression} {
			for _, release := range []bool{false, true} {
				name := fmt.Sprintf("%dB/level%d/held", size, level)
				if release {
					name = fmt.Sprintf("%dB/level%d/released", size, level)
				}
				b.Run(name, func(b *testing.B) {
					c := (&Config{Level: level}).NewCompressor(defaultParams, true)
					defer c.Close()
					dst := make([]byte, 0, 2*size)
					for i := range 40 { // a full history
						dst = c.Compress(dst[:0], msgs[i%len(msgs)])
					}
					b.SetBytes(int64(size))
					b.ReportAllocs()
					cpu, n := cpuTime(), 0
					for i := 0; b.Loop(); i++ {
						if release {
							c.Release()
						}
						dst = c.Compress(dst[:0], msgs[i%len(msgs)])
						n++
					}
					b.ReportMetric(float64(cpuTime()-cpu)/float64(n), "cpu-ns/op")
				})
			}
		}
	}
}
