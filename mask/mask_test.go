package mask

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// impl is one way of masking, with Apply's signature.
type impl struct {
	name  string
	apply func(key [4]byte, pos int, b []byte) int
}

// impls lists the implementations every test checks. Architecture-specific
// test files add their variants.
var impls = []impl{
	{"Apply", Apply},
	{"generic", applyGeneric},
}

// applyGeneric is Apply using the portable implementation in every build.
func applyGeneric(key [4]byte, pos int, b []byte) int {
	xorGeneric(b, rotateKey(binary.LittleEndian.Uint32(key[:]), uint(pos)))
	return (pos + len(b)) & 3
}

// naive is the reference: RFC 6455 section 5.3, one octet at a time.
func naive(key [4]byte, pos int, b []byte) int {
	for i := range b {
		b[i] ^= key[(pos+i)%4]
	}
	return (pos + len(b)) % 4
}

var testKey = [4]byte{0x12, 0x34, 0x56, 0x78}

func fill(b []byte, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

func TestApplyMatchesNaive(t *testing.T) {
	const maxLen, maxOff, guard = 300, 7, 16
	buf := make([]byte, guard+maxOff+maxLen+guard)
	want := make([]byte, len(buf))
	for _, im := range impls {
		for n := 0; n <= maxLen; n++ {
			for off := 0; off <= maxOff; off++ {
				for pos := 0; pos < 4; pos++ {
					fill(buf, uint64(n))
					copy(want, buf)
					start := guard + off
					got := im.apply(testKey, pos, buf[start:start+n])
					wantPos := naive(testKey, pos, want[start:start+n])
					if got != wantPos {
						t.Fatalf("%s: len %d off %d pos %d: returned %d, want %d", im.name, n, off, pos, got, wantPos)
					}
					if !bytes.Equal(buf, want) {
						i := firstDiff(buf, want)
						t.Fatalf("%s: len %d off %d pos %d: byte %d of buffer (slice starts at %d) is %#x, want %#x",
							im.name, n, off, pos, i, start, buf[i], want[i])
					}
				}
			}
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

func TestApplyLong(t *testing.T) {
	// Lengths around the vector loop boundaries of long buffers.
	var lens []int
	for _, base := range []int{512, 1024, 4096, 16384} {
		for d := -40; d <= 40; d++ {
			lens = append(lens, base+d)
		}
	}
	const maxOff = 31
	orig := make([]byte, 16384+40+maxOff+16)
	fill(orig, 5)
	buf := make([]byte, len(orig))
	want := make([]byte, len(orig))
	for _, im := range impls {
		for _, n := range lens {
			for _, off := range []int{0, 1, 3, 13, maxOff} {
				pos := (n + off) & 3
				copy(buf, orig)
				copy(want, orig)
				got := im.apply(testKey, pos, buf[off:off+n])
				naive(testKey, pos, want[off:off+n])
				if got != (pos+n)&3 || !bytes.Equal(buf, want) {
					t.Fatalf("%s: len %d off %d pos %d: wrong result", im.name, n, off, pos)
				}
			}
		}
	}
}

func TestApplyPosOutOfRange(t *testing.T) {
	for _, im := range impls {
		for _, pos := range []int{-9, -4, -3, -1, 4, 5, 6, 7, math.MaxInt, math.MinInt, math.MaxInt - 2} {
			for _, n := range []int{0, 3, 17, 200} {
				b := make([]byte, n)
				want := make([]byte, n)
				fill(b, 7)
				copy(want, b)
				got := im.apply(testKey, pos, b)
				naive(testKey, pos&3, want)
				if wantPos := (pos&3 + n) & 3; got != wantPos {
					t.Errorf("%s: pos %d len %d: returned %d, want %d", im.name, pos, n, got, wantPos)
				}
				if !bytes.Equal(b, want) {
					t.Errorf("%s: pos %d len %d: bytes differ from pos&3", im.name, pos, n)
				}
			}
		}
	}
}

func TestApplyChunked(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 42))
	for _, im := range impls {
		for iter := 0; iter < 300; iter++ {
			n := r.IntN(3000)
			if iter%3 == 0 {
				n = r.IntN(300)
			}
			orig := make([]byte, n)
			fill(orig, uint64(iter))
			startPos := r.IntN(4)
			var key [4]byte
			binary.LittleEndian.PutUint32(key[:], r.Uint32())

			whole := bytes.Clone(orig)
			wantPos := naive(key, startPos, whole)

			chunked := bytes.Clone(orig)
			pos := startPos
			for rest := chunked; len(rest) > 0; {
				k := 1 + r.IntN(min(len(rest), 1+r.IntN(400)))
				pos = im.apply(key, pos, rest[:k])
				rest = rest[k:]
			}
			if pos != wantPos {
				t.Fatalf("%s: len %d: final pos %d, want %d", im.name, n, pos, wantPos)
			}
			if !bytes.Equal(chunked, whole) {
				t.Fatalf("%s: len %d start %d: chunked result differs from one-shot", im.name, n, startPos)
			}
		}
	}
}

func TestApplyTwiceRestores(t *testing.T) {
	b := make([]byte, 1000)
	fill(b, 3)
	orig := bytes.Clone(b)
	for _, im := range impls {
		im.apply(testKey, 2, b)
		if bytes.Equal(b, orig) {
			t.Fatalf("%s: masking left the bytes unchanged", im.name)
		}
		im.apply(testKey, 2, b)
		if !bytes.Equal(b, orig) {
			t.Fatalf("%s: masking twice did not restore the bytes", im.name)
		}
	}
}

func TestApplyNoAllocs(t *testing.T) {
	b := make([]byte, 4096)
	for _, im := range impls {
		for _, n := range []int{0, 5, 16, 125, 4096} {
			allocs := testing.AllocsPerRun(100, func() {
				im.apply(testKey, 1, b[:n])
			})
			if allocs != 0 {
				t.Errorf("%s: len %d: %v allocations, want 0", im.name, n, allocs)
			}
		}
	}
}

var benchSizes = []int{16, 125, 1024, 16384, 1 << 20}

// benchEach runs f as a sub-benchmark for each size in benchSizes.
func benchEach(b *testing.B, f func(b *testing.B, n int)) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			f(b, n)
		})
	}
}

// BenchmarkApply is not inlined so that BenchmarkApplySSE2 runs this same
// code: an inlined copy of the closure is compiled without inlining Apply.
//
//go:noinline
func BenchmarkApply(b *testing.B) {
	benchEach(b, func(b *testing.B, n int) {
		buf := make([]byte, n)
		pos := 0
		for b.Loop() {
			pos = Apply(testKey, pos, buf)
		}
	})
}

func BenchmarkApplyGeneric(b *testing.B) {
	benchEach(b, func(b *testing.B, n int) {
		buf := make([]byte, n)
		pos := 0
		for b.Loop() {
			pos = applyGeneric(testKey, pos, buf)
		}
	})
}

func BenchmarkCopy(b *testing.B) {
	benchEach(b, func(b *testing.B, n int) {
		src := make([]byte, n)
		dst := make([]byte, n)
		for b.Loop() {
			copy(dst, src)
		}
	})
}
