package suite

import "unicode/utf8"

// utf8Validator checks UTF-8 incrementally, failing on the first byte that
// cannot start or continue a valid sequence (fail fast), like Autobahn's
// validator.
type utf8Validator struct {
	tail [4]byte // incomplete sequence carried from the previous chunk
	n    int
}

func (v *utf8Validator) reset() { v.n = 0 }

// complete reports whether the bytes seen so far end on a code point boundary.
func (v *utf8Validator) complete() bool { return v.n == 0 }

// write validates b and reports whether all bytes so far are valid UTF-8 or
// a valid prefix of it.
func (v *utf8Validator) write(b []byte) bool {
	for v.n > 0 && len(b) > 0 {
		v.tail[v.n] = b[0]
		v.n++
		b = b[1:]
		need := seqLen(v.tail[0])
		if v.n == need {
			if !utf8.Valid(v.tail[:v.n]) {
				return false
			}
			v.n = 0
		} else if !validPrefix(v.tail[:v.n]) {
			return false
		}
	}
	if len(b) == 0 {
		return true
	}
	// Find where the last, possibly incomplete, sequence starts.
	i := len(b) - 1
	for i > 0 && i > len(b)-4 && b[i]&0xC0 == 0x80 {
		i--
	}
	cut := len(b)
	if seqLen(b[i]) > len(b)-i {
		cut = i
	}
	if !utf8.Valid(b[:cut]) {
		return false
	}
	if cut < len(b) {
		if !validPrefix(b[cut:]) {
			return false
		}
		v.n = copy(v.tail[:], b[cut:])
	}
	return true
}

// seqLen is the length of the sequence lead byte c starts, 1 for bytes that
// cannot start a multi-byte sequence (utf8.Valid then judges them).
func seqLen(c byte) int {
	switch {
	case c >= 0xC2 && c <= 0xDF:
		return 2
	case c >= 0xE0 && c <= 0xEF:
		return 3
	case c >= 0xF0 && c <= 0xF4:
		return 4
	}
	return 1
}

// validPrefix reports whether p (shorter than its sequence) can still be
// completed to a valid sequence.
func validPrefix(p []byte) bool {
	n := seqLen(p[0])
	if n == 1 || len(p) >= n {
		return false
	}
	for i := 1; i < len(p); i++ {
		lo, hi := byte(0x80), byte(0xBF)
		if i == 1 {
			switch p[0] {
			case 0xE0:
				lo = 0xA0
			case 0xED:
				hi = 0x9F
			case 0xF0:
				lo = 0x90
			case 0xF4:
				hi = 0x8F
			}
		}
		if p[i] < lo || p[i] > hi {
			return false
		}
	}
	return true
}
