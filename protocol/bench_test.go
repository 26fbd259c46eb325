package protocol_test

import (
	"strconv"
	"testing"

	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/protocol"
)

var benchSizes = []int{16, 1 << 10, 16 << 10, 1 << 20}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

// BenchmarkParse measures a server parsing and unmasking binary messages
// of each size, each a single masked frame given whole to Parse. The same
// buffer is parsed every time: unmasking in place turns it into other
// bytes, which binary messages do not mind.
func BenchmarkParse(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			p := newProto(b, protocol.Config{Role: frame.Server})
			in := frm(true, frame.OpBinary, 0, true, make([]byte, size))
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				drain(b, p, in)
			}
		})
	}
}

// BenchmarkParseText is BenchmarkParse for text messages, UTF-8 validation
// included; it copies the masked frame in before each parse.
func BenchmarkParseText(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			p := newProto(b, protocol.Config{Role: frame.Server})
			msg := make([]byte, size)
			for i := range msg {
				msg[i] = 'a' + byte(i%26)
			}
			tmpl := frm(true, frame.OpText, 0, true, msg)
			in := make([]byte, len(tmpl))
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				copy(in, tmpl)
				drain(b, p, in)
			}
		})
	}
}

// BenchmarkAppendMessage measures encoding a binary message: a client's,
// masked with a fresh key per frame, and a server's, copied.
func BenchmarkAppendMessage(b *testing.B) {
	for _, role := range []frame.Role{frame.Client, frame.Server} {
		for _, size := range benchSizes {
			b.Run(role.String()+"/"+sizeName(size), func(b *testing.B) {
				p := newProto(b, protocol.Config{Role: role})
				msg := make([]byte, size)
				buf := make([]byte, 0, size+size/1000+64)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := p.AppendMessage(buf[:0], protocol.Binary, msg); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkAppendHeader measures the zero-copy path: the headers of a
// server's binary message, whose payload the driver sends itself.
func BenchmarkAppendHeader(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			p := newProto(b, protocol.Config{Role: frame.Server})
			buf := make([]byte, 0, 14*(size/protocol.DefaultMaxFrameSize+1))
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				p.StartMessage(protocol.Binary, size)
				hdr := buf[:0]
				for rest := size; ; {
					var n int
					hdr, n, _ = p.AppendHeader(hdr, rest, true)
					rest -= n
					if rest == 0 {
						break
					}
				}
			}
		})
	}
}

// BenchmarkControl measures a ping received and its pong encoded.
func BenchmarkControl(b *testing.B) {
	p := newProto(b, protocol.Config{Role: frame.Server})
	in := toServer(true, frame.OpPing, "0123456789")
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		drain(b, p, in)
		p.AppendPending(buf[:0])
	}
}
