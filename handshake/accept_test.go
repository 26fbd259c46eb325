package handshake

import (
	"strings"
	"testing"
)

func TestAcceptKey(t *testing.T) {
	tests := []struct{ key, want string }{
		{"dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}, // RFC 6455 §1.3
		{"x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk="}, // RFC 6455 §1.2
		{strings.Repeat("k", 40), "GVvUU5IihR2eT0KQ2Ib+uuN3v3c="},    // longer than usual
		{"", "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w="},                         // SHA-1 of the GUID alone
	}
	for _, tt := range tests {
		if got := AcceptKey(tt.key); got != tt.want {
			t.Errorf("AcceptKey(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestAppendAcceptKeyNoAlloc(t *testing.T) {
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		buf = appendAcceptKey(buf[:0], "dGhlIHNhbXBsZSBub25jZQ==")
	})
	if allocs != 0 {
		t.Errorf("appendAcceptKey allocates %v times, want 0", allocs)
	}
	if string(buf) != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("appendAcceptKey = %q", buf)
	}
}

func TestValidKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"dGhlIHNhbXBsZSBub25jZQ==", true},
		{"AAAAAAAAAAAAAAAAAAAAAA==", true},
		{"dGhlIHNhbXBsZSBub25jZQ", false},       // no padding
		{"dGhlIHNhbXBsZSBub25jZR==", false},     // non-zero padding bits
		{"dGhlIHNhbXBsZSBub25jZQ==AAAA", false}, // 19 bytes
		{"AAAAAAAAAAAAAAAAAAAAAAAA", false},     // 18 bytes
		{"dGhlIHNhbXBsZSBub25j!Q==", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := validKey(tt.key); got != tt.want {
			t.Errorf("validKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}
