package fuzz

import (
	"testing"
	"unicode/utf8"

	"github.com/hybi/ws/internal/utf8valid"
)

// completions are the byte strings tried after a prefix to tell whether some
// text extends it into valid UTF-8: the empty string and every string of 1 to 3
// bytes from a set that meets each byte range of Table 3-7 after a lead byte
// (80..BF, A0..BF, 80..9F, 90..BF, 80..8F).
var completions = func() [][]byte {
	set := []byte{0x80, 0x90, 0xa0, 0xbf}
	out := [][]byte{{}}
	prev := [][]byte{{}}
	for range 3 {
		var next [][]byte
		for _, p := range prev {
			for _, b := range set {
				next = append(next, append(append([]byte{}, p...), b))
			}
		}
		out = append(out, next...)
		prev = next
	}
	return out
}()

// validPrefix reports whether p is the start of some valid UTF-8 text, using
// unicode/utf8 only.
func validPrefix(p []byte) bool {
	for k := 0; k <= min(3, len(p)); k++ {
		if !utf8.Valid(p[:len(p)-k]) {
			continue
		}
		tail := p[len(p)-k:]
		for _, c := range completions {
			if utf8.Valid(append(append([]byte{}, tail...), c...)) {
				return true
			}
		}
	}
	return false
}

// firstInvalid returns the length of the shortest prefix of p that is not a
// valid prefix, or -1 if every prefix is valid. Prefix validity is monotone,
// so a binary search finds it.
func firstInvalid(p []byte) int {
	if validPrefix(p) {
		return -1
	}
	lo, hi := 0, len(p) // validPrefix(p[:lo]) holds, validPrefix(p[:hi]) does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if validPrefix(p[:mid]) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// checkChunks feeds data to v in chunks of the given sizes (the rest in one
// last chunk) and checks that v rejects exactly the chunk whose end reaches
// fail (firstInvalid(data)), and otherwise ends Complete iff data is valid.
func checkChunks(t *testing.T, v *utf8valid.Validator, data []byte, sizes []int, fail int) {
	v.Reset()
	off := 0
	for i := 0; off < len(data) || i <= len(sizes); i++ {
		n := len(data) - off
		if i < len(sizes) {
			n = min(sizes[i], n)
		}
		end := off + n
		ok := v.Write(data[off:end])
		wantOK := fail < 0 || end < fail
		if ok != wantOK {
			t.Fatalf("% x in chunks %v: Write(% x) at offset %d = %v; first invalid prefix has length %d",
				data, sizes, data[off:end], off, ok, fail)
		}
		if !ok {
			return
		}
		off = end
		if i >= len(sizes) {
			break
		}
	}
	if got, want := v.Complete(), utf8.Valid(data); got != want {
		t.Fatalf("% x in chunks %v: Complete() = %v, utf8.Valid = %v", data, sizes, got, want)
	}
}

// FuzzUTF8 compares utf8valid.Validator with unicode/utf8 under many ways of
// splitting the input into chunks: one chunk, byte by byte, every possible
// split of the first 10 bytes, and sizes taken from the fuzzed splits (empty
// chunks included). Whatever the split, every chunk is accepted until the one
// that makes the text seen so far no longer the prefix of any valid UTF-8
// text, which is rejected (fail-fast); with no rejection, Complete agrees with
// utf8.Valid.
func FuzzUTF8(f *testing.F) {
	f.Add([]byte("hello, world"), []byte{1, 2, 3})
	f.Add([]byte("κόσμε"), []byte{1})
	f.Add([]byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"), []byte{3, 0, 5})
	f.Add([]byte("\xf4\x90\x80\x80"), []byte{1, 1, 1, 1})
	f.Add([]byte("\xf0\x9f\x98\x80\xf0\x9f"), []byte{5})
	f.Add([]byte("\xe0\x80\xaf"), []byte{1})
	f.Add([]byte("\xc0\xaf"), []byte{})
	f.Add([]byte("\xef\xbf\xbf\xf4\x8f\xbf\xbf"), []byte{2, 2})
	f.Fuzz(func(t *testing.T, data, splits []byte) {
		defer watchdog()()
		if len(data) > 4096 {
			return
		}
		fail := firstInvalid(data)
		var v utf8valid.Validator
		checkChunks(t, &v, data, nil, fail)
		ones := make([]int, len(data))
		for i := range ones {
			ones[i] = 1
		}
		checkChunks(t, &v, data, ones, fail)
		sizes := make([]int, len(splits))
		for i, s := range splits {
			sizes[i] = int(s % 8)
		}
		checkChunks(t, &v, data, sizes, fail)
		// Every split of the first bytes, the rest in one chunk.
		m := min(len(data), 10)
		for cuts := 0; cuts < 1<<max(m-1, 0); cuts++ {
			sizes = sizes[:0]
			last := 0
			for i := 1; i < m; i++ {
				if cuts&(1<<(i-1)) != 0 {
					sizes = append(sizes, i-last)
					last = i
				}
			}
			sizes = append(sizes, m-last)
			checkChunks(t, &v, data, sizes, fail)
		}
	})
}
