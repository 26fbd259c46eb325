package utf8valid

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

var vectors = []string{
	"", "hello", "κόσμε", "\u00e9t\u00e9", "\U0001F600 ok", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf",
	"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5", "\xff", "\x80",
	"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64",
	"abc\xe2\x82", "\xe2\x82\xac", "\xf0\x9f\x98", "12345678\xc3", "12345678\xc3\xa9",
}

// validPrefix reports whether s is a prefix of some valid UTF-8 text, with
// the standard library as the oracle: utf8.FullRune is false exactly for a
// truncated sequence whose bytes so far are all allowed (it checks the
// ranges of the second and third bytes too).
func validPrefix(s []byte) bool {
	for len(s) > 0 {
		if !utf8.FullRune(s) {
			return true
		}
		r, size := utf8.DecodeRune(s)
		if r == utf8.RuneError && size == 1 {
			return false
		}
		s = s[size:]
	}
	return true
}

func check(t *testing.T, s []byte, splits []int) {
	t.Helper()
	var v Validator
	prev := 0
	ok := true
	for _, cut := range append(splits, len(s)) {
		if !v.Write(s[prev:cut]) {
			ok = false
			// Fail fast: the prefix up to cut must not be a valid prefix,
			// while the prefix before this chunk was.
			if validPrefix(s[:cut]) {
				t.Fatalf("%q split %v: rejected at %d, but prefix is valid", s, splits, cut)
			}
			break
		}
		if !validPrefix(s[:cut]) {
			t.Fatalf("%q split %v: accepted invalid prefix up to %d", s, splits, cut)
		}
		prev = cut
	}
	if ok && v.Complete() != utf8.Valid(s) {
		t.Fatalf("%q split %v: complete=%v, utf8.Valid=%v", s, splits, v.Complete(), utf8.Valid(s))
	}
	if !ok && utf8.Valid(s) {
		t.Fatalf("%q split %v: rejected valid text", s, splits)
	}
}

func TestVectorsEverySplit(t *testing.T) {
	for _, s := range vectors {
		b := []byte(s)
		check(t, b, nil)
		for i := 0; i <= len(b); i++ {
			check(t, b, []int{i})
			for j := i; j <= len(b); j++ {
				check(t, b, []int{i, j})
			}
		}
	}
}

func TestByteByByteFailsAtFirstBadByte(t *testing.T) {
	// For every 1..4-byte input with interesting bytes, feed byte by byte:
	// the first rejected byte must be exactly where the prefix stops being valid.
	interesting := []byte{0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF}
	var buf [4]byte
	var rec func(n int)
	rec = func(n int) {
		if n > 0 {
			s := buf[:n]
			splits := make([]int, 0, n)
			for i := 1; i < n; i++ {
				splits = append(splits, i)
			}
			check(t, s, splits)
		}
		if n == 4 {
			return
		}
		for _, b := range interesting {
			buf[n] = b
			rec(n + 1)
		}
	}
	rec(0)
}

func TestRandomAgainstStdlib(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "é", "€", "😀", "\xed\xa0\x80", "\xc3", "\x80", "\xf0\x9f", "0123456789abcdef"}
	for n := 0; n < 3000; n++ {
		var s []byte
		for k := r.IntN(12); k > 0; k-- {
			s = append(s, alphabet[r.IntN(len(alphabet))]...)
		}
		var splits []int
		for k := r.IntN(4); k > 0; k-- {
			splits = append(splits, r.IntN(len(s)+1))
		}
		sortInts(splits)
		var v Validator
		prev, ok := 0, true
		for _, cut := range append(splits, len(s)) {
			if !v.Write(s[prev:cut]) {
				ok = false
				break
			}
			prev = cut
		}
		got := ok && v.Complete()
		if got != utf8.Valid(s) {
			t.Fatalf("%q splits %v: got %v want %v", s, splits, got, utf8.Valid(s))
		}
	}
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

func TestNoAllocs(t *testing.T) {
	p := []byte("hello, κόσμε, \U0001F600 and some more ASCII text to take the fast path")
	var v Validator
	if n := testing.AllocsPerRun(100, func() { v.Reset(); v.Write(p) }); n != 0 {
		t.Fatalf("allocs = %v", n)
	}
}

func BenchmarkASCII(b *testing.B) {
	p := make([]byte, 1024)
	for i := range p {
		p[i] = 'a' + byte(i%26)
	}
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		var v Validator
		v.Write(p)
	}
}
