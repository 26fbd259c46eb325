package handshake

import "strings"

// isTokenChar reports whether c is a tchar (RFC 7230 §3.2.6).
func isTokenChar(c byte) bool {
	return c < 0x80 && tokenTable[c]
}

var tokenTable = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// isToken reports whether s is a non-empty token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// trimOWS removes optional white space (SP, HTAB) at both ends of s.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// nextElement returns the first element of the comma-separated list s,
// trimmed, and the rest of the list after the comma.
func nextElement(s string) (elem, rest string) {
	if i := strings.IndexByte(s, ','); i >= 0 {
		return trimOWS(s[:i]), s[i+1:]
	}
	return trimOWS(s), ""
}

// hasToken reports whether any of the comma-separated lists in values
// contains token, compared case-insensitively.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for v != "" {
			var e string
			e, v = nextElement(v)
			if strings.EqualFold(e, token) {
				return true
			}
		}
	}
	return false
}

// hasElement reports whether any of the comma-separated lists in values
// contains elem exactly.
func hasElement(values []string, elem string) bool {
	for _, v := range values {
		for v != "" {
			var e string
			e, v = nextElement(v)
			if e == elem {
				return true
			}
		}
	}
	return false
}

// appendHeaderValue appends v with control characters other than HTAB
// replaced by spaces, so that a value can never split a header line.
func appendHeaderValue(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < ' ' && c != '\t') || c == 0x7f {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// appendHeader appends "key: value\r\n".
func appendHeader(dst []byte, key, value string) []byte {
	dst = append(dst, key...)
	dst = append(dst, ": "...)
	dst = appendHeaderValue(dst, value)
	return append(dst, "\r\n"...)
}

// isReserved reports whether key equals one of names, ignoring case.
func isReserved(key string, names []string) bool {
	for _, n := range names {
		if strings.EqualFold(key, n) {
			return true
		}
	}
	return false
}
