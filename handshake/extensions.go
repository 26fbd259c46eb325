package handshake

import (
	"fmt"
	"net/http"
)

// Extension is one element of a Sec-WebSocket-Extensions header: a name and
// its parameters in order.
type Extension struct {
	Name   string
	Params []Param
}

// Param is an extension parameter. Value "" means a parameter without a value.
type Param struct {
	Name, Value string
}

// extensionsKey is the canonical form of Sec-WebSocket-Extensions.
const extensionsKey = "Sec-Websocket-Extensions"

// ParseExtensions parses all Sec-WebSocket-Extensions lines of h by the
// grammar of RFC 6455 §9.1: comma-separated extensions, each a token followed
// by ";"-separated parameters, which have no value, a token value or a
// quoted-string value whose unescaped content is a token. White space is
// allowed around separators and empty list elements are ignored. Errors wrap
// ErrBadExtension. With no such header it returns nil, nil.
func ParseExtensions(h http.Header) ([]Extension, error) {
	var exts []Extension
	for _, v := range h[extensionsKey] {
		var err error
		exts, err = parseExtensionList(exts, v)
		if err != nil {
			return nil, err
		}
	}
	return exts, nil
}

// extScanner walks one header value.
type extScanner struct {
	s string
	i int
}

func (p *extScanner) skipOWS() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *extScanner) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *extScanner) token() string {
	start := p.i
	for p.i < len(p.s) && isTokenChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// quoted reads a quoted-string starting at the opening quote and returns its
// unescaped content.
func (p *extScanner) quoted() (string, bool) {
	p.i++ // opening quote
	start := p.i
	var b []byte // only allocated when there is an escape
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			if b != nil {
				return string(b), true
			}
			return p.s[start : p.i-1], true
		case c == '\\':
			if b == nil {
				b = append([]byte(nil), p.s[start:p.i]...)
			}
			p.i++
			if p.i == len(p.s) {
				return "", false
			}
			c = p.s[p.i]
			if c < ' ' && c != '\t' || c == 0x7f {
				return "", false
			}
			b = append(b, c)
		case c < ' ' && c != '\t' || c == 0x7f:
			return "", false
		default:
			if b != nil {
				b = append(b, c)
			}
		}
		p.i++
	}
	return "", false // unterminated
}

func (p *extScanner) fail(what string) error {
	return fmt.Errorf("%w: %s at offset %d in %q", ErrBadExtension, what, p.i, p.s)
}

func parseExtensionList(exts []Extension, v string) ([]Extension, error) {
	p := extScanner{s: v}
	for {
		p.skipOWS()
		if p.i == len(p.s) {
			return exts, nil
		}
		if p.peek() == ',' { // empty list element
			p.i++
			continue
		}
		name := p.token()
		if name == "" {
			return nil, p.fail("expected extension name")
		}
		ext := Extension{Name: name}
		p.skipOWS()
		for p.peek() == ';' {
			p.i++
			p.skipOWS()
			pname := p.token()
			if pname == "" {
				return nil, p.fail("expected parameter name")
			}
			p.skipOWS()
			var pval string
			if p.peek() == '=' {
				p.i++
				p.skipOWS()
				if p.peek() == '"' {
					var ok bool
					pval, ok = p.quoted()
					if !ok {
						return nil, p.fail("bad quoted-string")
					}
					if !isToken(pval) {
						return nil, p.fail("quoted parameter value is not a token")
					}
				} else {
					pval = p.token()
					if pval == "" {
						return nil, p.fail("expected parameter value")
					}
				}
				p.skipOWS()
			}
			ext.Params = append(ext.Params, Param{Name: pname, Value: pval})
		}
		exts = append(exts, ext)
		switch p.peek() {
		case ',':
			p.i++
		case 0:
			if p.i == len(p.s) {
				return exts, nil
			}
			return nil, p.fail("unexpected character")
		default:
			return nil, p.fail("unexpected character")
		}
	}
}

// FormatExtensions formats exts as a Sec-WebSocket-Extensions value, e.g.
// "permessage-deflate; client_max_window_bits, x-foo; a=1". Parameter values
// that are not tokens are written as quoted-strings.
func FormatExtensions(exts []Extension) string {
	return string(appendExtensions(nil, exts))
}

func appendExtensions(dst []byte, exts []Extension) []byte {
	for i, e := range exts {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, e.Name...)
		for _, p := range e.Params {
			dst = append(dst, "; "...)
			dst = append(dst, p.Name...)
			if p.Value == "" {
				continue
			}
			dst = append(dst, '=')
			if isToken(p.Value) {
				dst = append(dst, p.Value...)
				continue
			}
			dst = append(dst, '"')
			for j := 0; j < len(p.Value); j++ {
				c := p.Value[j]
				if c == '"' || c == '\\' {
					dst = append(dst, '\\')
				} else if c < ' ' && c != '\t' || c == 0x7f {
					c = ' '
				}
				dst = append(dst, c)
			}
			dst = append(dst, '"')
		}
	}
	return dst
}

// validExtensions reports whether exts can be written as a header: names and
// parameter names are tokens.
func validExtensions(exts []Extension) error {
	for _, e := range exts {
		if !isToken(e.Name) {
			return fmt.Errorf("%w: extension name %q is not a token", ErrBadExtension, e.Name)
		}
		for _, p := range e.Params {
			if !isToken(p.Name) {
				return fmt.Errorf("%w: parameter name %q of %s is not a token", ErrBadExtension, p.Name, e.Name)
			}
		}
	}
	return nil
}

// offered reports whether an extension named name is among offers.
func offered(offers []Extension, name string) bool {
	for _, o := range offers {
		if o.Name == name {
			return true
		}
	}
	return false
}
