// Package utf8valid validates UTF-8 incrementally, chunk by chunk, and fails
// fast: a chunk is rejected as soon as the bytes seen so far cannot be the
// start of a valid UTF-8 sequence, without waiting for the end of the text.
//
// Validity follows the Unicode definition (Table 3-7 of the Unicode
// standard), the same as unicode/utf8.Valid: no overlong encodings, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
package utf8valid

import (
	"encoding/binary"
	"unicode/utf8"
)

// Validator is the state of an incremental UTF-8 check. The zero value is
// ready to use, at the start of a text.
type Validator struct {
	need   uint8 // continuation bytes still expected
	lo, hi uint8 // allowed range of the next continuation byte
}

// Reset returns v to the start of a text.
func (v *Validator) Reset() { *v = Validator{} }

// Complete reports whether the text seen so far ends on a character
// boundary, so that it is valid UTF-8 as a whole (given every Write
// returned true).
func (v *Validator) Complete() bool { return v.need == 0 }

// Write feeds the next chunk of the text and reports whether everything seen
// so far is a valid prefix of some UTF-8 text. Once Write returns false the
// state is undefined until Reset.
func (v *Validator) Write(p []byte) bool {
	i := 0
	// Finish a sequence left open by the previous chunk.
	for v.need > 0 {
		if i == len(p) {
			return true
		}
		if !v.step(p[i]) {
			return false
		}
		i++
	}
	p = p[i:]
	// ASCII fast path, eight bytes at a time.
	for len(p) >= 8 && binary.LittleEndian.Uint64(p)&0x8080808080808080 == 0 {
		p = p[8:]
	}
	if len(p) == 0 {
		return true
	}
	// Hand the bulk to the standard library up to the start of the last
	// (possibly incomplete) sequence, then walk the tail byte by byte.
	cut := tailStart(p)
	if cut > 0 && !utf8.Valid(p[:cut]) {
		return false
	}
	for _, b := range p[cut:] {
		if !v.step(b) {
			return false
		}
	}
	return true
}

// tailStart returns the index of the last byte in p's final four bytes that
// is not a continuation byte, or len(p)-4 (at least 0) if there is none: the
// prefix before it is complete if it is valid at all.
func tailStart(p []byte) int {
	stop := len(p) - 4
	if stop < 0 {
		stop = 0
	}
	for i := len(p) - 1; i >= stop; i-- {
		if p[i]&0xC0 != 0x80 {
			return i
		}
	}
	return stop
}

// step advances the state machine by one byte.
func (v *Validator) step(b byte) bool {
	if v.need > 0 {
		if b < v.lo || b > v.hi {
			return false
		}
		v.need--
		v.lo, v.hi = 0x80, 0xBF
		return true
	}
	switch {
	case b < 0x80:
		return true
	case b < 0xC2: // continuation byte or overlong 2-byte lead
		return false
	case b < 0xE0:
		v.need, v.lo, v.hi = 1, 0x80, 0xBF
	case b == 0xE0: // reject overlong 3-byte forms
		v.need, v.lo, v.hi = 2, 0xA0, 0xBF
	case b == 0xED: // reject surrogates
		v.need, v.lo, v.hi = 2, 0x80, 0x9F
	case b < 0xF0:
		v.need, v.lo, v.hi = 2, 0x80, 0xBF
	case b == 0xF0: // reject overlong 4-byte forms
		v.need, v.lo, v.hi = 3, 0x90, 0xBF
	case b < 0xF4:
		v.need, v.lo, v.hi = 3, 0x80, 0xBF
	case b == 0xF4: // reject above U+10FFFF
		v.need, v.lo, v.hi = 3, 0x80, 0x8F
	default:
		return false
	}
	return true
}
