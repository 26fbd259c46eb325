package handshake

import (
	"errors"
	"net/http"
	"reflect"
	"testing"
)

func TestParseExtensions(t *testing.T) {
	pmd := Extension{Name: "permessage-deflate"}
	tests := []struct {
		name  string
		lines []string
		want  []Extension
	}{
		{"none", nil, nil},
		{"empty value", []string{""}, nil},
		{"single", []string{"permessage-deflate"}, []Extension{pmd}},
		{"param without value", []string{"permessage-deflate; client_max_window_bits"},
			[]Extension{{Name: "permessage-deflate", Params: []Param{{Name: "client_max_window_bits"}}}}},
		{"params with values", []string{"permessage-deflate; server_max_window_bits=10; client_no_context_takeover"},
			[]Extension{{Name: "permessage-deflate", Params: []Param{{"server_max_window_bits", "10"}, {"client_no_context_takeover", ""}}}}},
		{"quoted value", []string{`x-foo; a="10"`}, []Extension{{Name: "x-foo", Params: []Param{{"a", "10"}}}}},
		{"quoted value with escape", []string{`x-foo; a="1\0"`}, []Extension{{Name: "x-foo", Params: []Param{{"a", "10"}}}}},
		{"whitespace everywhere", []string{" \tx-foo ;a = 1 ; b\t;c= \"2\" , x-bar\t"},
			[]Extension{{Name: "x-foo", Params: []Param{{"a", "1"}, {"b", ""}, {"c", "2"}}}, {Name: "x-bar"}}},
		{"comma list", []string{"permessage-deflate; client_max_window_bits, permessage-deflate"},
			[]Extension{{Name: "permessage-deflate", Params: []Param{{Name: "client_max_window_bits"}}}, pmd}},
		{"several lines", []string{"x-a", "x-b; p=1", "x-c, x-d"},
			[]Extension{{Name: "x-a"}, {Name: "x-b", Params: []Param{{"p", "1"}}}, {Name: "x-c"}, {Name: "x-d"}}},
		{"empty list elements", []string{", x-a ,, x-b,"}, []Extension{{Name: "x-a"}, {Name: "x-b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, l := range tt.lines {
				h.Add("Sec-WebSocket-Extensions", l)
			}
			got, err := ParseExtensions(h)
			if err != nil {
				t.Fatalf("ParseExtensions(%q) error: %v", tt.lines, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseExtensions(%q) = %#v, want %#v", tt.lines, got, tt.want)
			}
		})
	}
}

func TestParseExtensionsMalformed(t *testing.T) {
	tests := []string{
		";a",                      // no name
		"x-foo;",                  // no param name
		"x-foo; =1",               // no param name
		"x-foo; a=",               // no value
		"x-foo; a=\"\"",           // empty quoted value is not a token
		"x-foo; a=\"1 0\"",        // quoted value not a token
		"x-foo; a=\"10",           // unterminated quoted-string
		"x-foo; a=\"10\\",         // escape at end
		"x-foo; a=1 0",            // junk after value
		"x-foo bar",               // two tokens
		"x-foo; a=1=2",            // double =
		"x/foo",                   // separator in name
		"x-foo; a=\"1\x01\"",      // control character
		"x-foo; a=\"é\"",          // not a token after unquoting
		"x-foo, ; a",              // param without extension
		"x-foo; a=1, x-bar; b=\"", // later error
	}
	for _, v := range tests {
		h := http.Header{"Sec-Websocket-Extensions": {v}}
		got, err := ParseExtensions(h)
		if !errors.Is(err, ErrBadExtension) {
			t.Errorf("ParseExtensions(%q) = %v, %v; want ErrBadExtension", v, got, err)
		}
	}
	// An error in any line fails the whole header.
	h := http.Header{"Sec-Websocket-Extensions": {"x-ok", "x-bad;"}}
	if _, err := ParseExtensions(h); !errors.Is(err, ErrBadExtension) {
		t.Errorf("bad second line: err = %v", err)
	}
}

func TestFormatExtensions(t *testing.T) {
	tests := []struct {
		exts []Extension
		want string
	}{
		{nil, ""},
		{[]Extension{{Name: "permessage-deflate"}}, "permessage-deflate"},
		{[]Extension{{Name: "permessage-deflate", Params: []Param{{"client_max_window_bits", ""}, {"server_max_window_bits", "10"}}}, {Name: "x-foo"}},
			"permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-foo"},
		{[]Extension{{Name: "x", Params: []Param{{"a", `b "c"\`}}}}, `x; a="b \"c\"\\"`},
	}
	for _, tt := range tests {
		got := FormatExtensions(tt.exts)
		if got != tt.want {
			t.Errorf("FormatExtensions(%v) = %q, want %q", tt.exts, got, tt.want)
		}
		if len(tt.exts) == 0 || got[len(got)-1] == '"' {
			continue // no round trip: empty, or a value that is not a token
		}
		back, err := ParseExtensions(http.Header{"Sec-Websocket-Extensions": {got}})
		if err != nil || !reflect.DeepEqual(back, tt.exts) {
			t.Errorf("round trip of %q = %#v, %v; want %#v", got, back, err, tt.exts)
		}
	}
}

func TestHasToken(t *testing.T) {
	tests := []struct {
		values []string
		token  string
		want   bool
	}{
		{[]string{"Upgrade"}, "upgrade", true},
		{[]string{"keep-alive, Upgrade"}, "upgrade", true},
		{[]string{"keep-alive", "UPGRADE"}, "upgrade", true},
		{[]string{" keep-alive ,\tupgrade\t"}, "upgrade", true},
		{[]string{"keep-alive"}, "upgrade", false},
		{[]string{"upgraded"}, "upgrade", false},
		{[]string{"x-upgrade"}, "upgrade", false},
		{nil, "upgrade", false},
	}
	for _, tt := range tests {
		if got := hasToken(tt.values, tt.token); got != tt.want {
			t.Errorf("hasToken(%q, %q) = %v, want %v", tt.values, tt.token, got, tt.want)
		}
	}
}
