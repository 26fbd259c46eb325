package fuzz

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
)

// TestWriteCorpus writes the named seed inputs of testdata/fuzz when
// HYBI_WRITE_CORPUS is set: go test ./fuzz/ -run TestWriteCorpus with
// HYBI_WRITE_CORPUS=1. It only adds or rewrites its own files (named seed-*),
// leaving crashers and other inputs alone.
func TestWriteCorpus(t *testing.T) {
	if os.Getenv("HYBI_WRITE_CORPUS") == "" {
		t.Skip("set HYBI_WRITE_CORPUS=1 to write the seed corpus")
	}
	writeIn := func(root, target, name string, args ...any) {
		var b strings.Builder
		b.WriteString("go test fuzz v1\n")
		for _, a := range args {
			switch v := a.(type) {
			case []byte:
				fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(v)))
			case string:
				fmt.Fprintf(&b, "string(%s)\n", strconv.Quote(v))
			case bool:
				fmt.Fprintf(&b, "bool(%v)\n", v)
			case uint8:
				fmt.Fprintf(&b, "uint8(%d)\n", v)
			case uint16:
				fmt.Fprintf(&b, "uint16(%d)\n", v)
			case uint32:
				fmt.Fprintf(&b, "uint32(%d)\n", v)
			default:
				t.Fatalf("type %T", a)
			}
		}
		dir := filepath.Join(root, target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write := func(target, name string, args ...any) {
		writeIn(filepath.Join("testdata", "fuzz"), target, name, args...)
	}
	rfcNames := []string{"rfc-unmasked-text", "rfc-masked-text", "rfc-fragment-1", "rfc-fragment-2",
		"rfc-unmasked-ping", "rfc-masked-pong", "rfc-256-binary", "rfc-64k-binary"}
	for i, b := range rfcFrames {
		write("FuzzFrameHeader", rfcNames[i], b, uint8(0), uint16(0))
		write("FuzzFrameHeader", rfcNames[i]+"-limit", b, uint8(frame.RSV1), uint16(200))
		write("FuzzFrameReadHeader", rfcNames[i], b, []byte{1})
	}
	for i, b := range malformedHeaders {
		write("FuzzFrameHeader", fmt.Sprintf("malformed-%02d", i), b, uint8(frame.RSV1), uint16(125))
		write("FuzzFrameReadHeader", fmt.Sprintf("malformed-%02d", i), append(append([]byte{}, rfcFrames[0]...), b...), []byte{3})
	}
	var all []byte
	for _, b := range rfcFrames[:6] {
		all = append(all, b...)
	}
	write("FuzzFrameReadHeader", "rfc-all-bytewise", all, []byte{1})
	write("FuzzFrameReadHeader", "rfc-all-chunks", all, []byte{0, 5, 2, 17, 0, 0, 0, 9})

	for _, role := range []struct {
		target string
		masked bool
	}{{"FuzzConnServer", true}, {"FuzzConnClient", false}} {
		for i, s := range connSeeds(role.masked) {
			for _, mode := range []uint8{0, modeReader | modeChunk0, modePeerOpen | modeWrite, modeBuffered | 0x30 | modeChunk1,
				modeCompress, modeCompress | modeTakeover | modeReader} {
				write(role.target, fmt.Sprintf("stream-%02d-mode-%02x", i, mode), mode, s)
			}
		}
	}

	for _, role := range []struct {
		target string
		masked bool
	}{{"FuzzConnServer", true}, {"FuzzConnClient", false}} {
		for _, s := range lengthSeeds(role.masked) {
			modes := []uint8{0, modeReader | modeChunk0, modePeerOpen | modeWrite, modeBuffered | 0x30 | modeChunk1, modeCompress | modeReader}
			if s.rsv1 {
				modes = []uint8{0, modeCompress, modeCompress | modeTakeover | modeReader | modeChunk1}
			}
			for _, mode := range modes {
				write(role.target, fmt.Sprintf("%s-mode-%02x", s.name, mode), mode, s.stream)
			}
		}
	}
	for _, s := range connFramesIssue12Seeds() {
		write("FuzzConnFrames", "issue12-"+s.name, s.mode, s.client, s.spec)
	}
	for name, h := range lengthHeaders() {
		write("FuzzFrameHeader", name, h, uint8(0), uint16(0))
		write("FuzzFrameHeader", name+"-limit", h, uint8(frame.RSV1), uint16(connReadLimit))
		stream := append(append(append([]byte{}, rfcFrames[2]...), h...), noiseSeed(16)...)
		write("FuzzFrameReadHeader", name+"-after-fragment", stream, []byte{1})
		write("FuzzFrameReadHeader", name+"-after-fragment-chunks", stream, []byte{0, 5, 2, 17})
	}

	for name, r := range map[string]string{"chrome": chromeRequest, "firefox": firefoxRequest, "safari": safariRequest, "rfc6455": rfcRequest} {
		write("FuzzUpgradeConn", name, []byte(r), uint8(0x02))
		write("FuzzUpgradeConn", name+"-chunked", []byte(r), uint8(0x37))
	}
	for i, r := range badRequests {
		write("FuzzUpgradeConn", fmt.Sprintf("bad-%02d", i), []byte(r), uint8(0x02))
	}
	ok := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptPlaceholder + "\r\n"
	for name, r := range map[string]string{
		"ok":                ok + "\r\n",
		"ok-frame":          ok + "Sec-WebSocket-Protocol: chat\r\n\r\n\x81\x05Hello",
		"ok-deflate":        ok + "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=10\r\n\r\n",
		"bad-deflate":       ok + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
		"unoffered-ext":     ok + "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n",
		"bad-protocol":      ok + "Sec-WebSocket-Protocol: other\r\n\r\n",
		"wrong-accept":      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
		"forbidden":         "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nforbidden\n",
		"redirect":          "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n\r\n",
		"chunked-200":       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"huge-body":         "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 3000\r\n\r\n" + strings.Repeat("e", 3000),
		"http10":            "HTTP/1.0 101 Switching Protocols\r\n\r\n",
		"truncated":         "HTTP/1.1 101\r\n",
		"no-upgrade":        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptPlaceholder + "\r\n\r\n",
		"lf-only":           strings.ReplaceAll(ok+"\r\n", "\r\n", "\n"),
		"nginx-bad-gateway": "HTTP/1.1 502 Bad Gateway\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
	} {
		write("FuzzDialResponse", name, []byte(r), uint8(1))
		write("FuzzDialResponse", name+"-chunked", []byte(r), uint8(0x50))
	}

	for i, s := range []string{
		"permessage-deflate; client_max_window_bits",
		"permessage-deflate; client_max_window_bits=10; server_no_context_takeover, permessage-deflate",
		"permessage-deflate; server_max_window_bits=\"10\"\nx-webkit-deflate-frame",
		"foo, bar; baz=2;qux,  ,\t, quux ; a = \"b\"",
		"foo;", "foo; a=\"\"", "foo; a=\"b\\\"c\"", "foo; a=\"x\\y\"", "; a", ",,,", "foo bar", "foo; a=b=c", "foo; a=\"b",
	} {
		write("FuzzParseExtensions", fmt.Sprintf("%02d", i), s)
	}

	for name, p := range map[string]string{
		"empty": "", "one-byte": "\x03", "normal": "\x03\xe8", "normal-reason": "\x03\xe8bye", "1005": "\x03\xed",
		"1006": "\x03\xee", "1015": "\x03\xf7", "1016": "\x03\xf8", "2999": "\x0b\xb7", "3000": "\x0b\xb8app", "4999": "\x13\x87", "5000": "\x13\x88",
		"bad-utf8": "\x03\xe9\xff\xfe", "surrogate": "\x03\xe9\xed\xa0\x80", "max-reason": "\x03\xe8" + strings.Repeat("x", 123),
		"too-long": "\x03\xe8" + strings.Repeat("x", 124),
	} {
		write("FuzzClosePayload", name, []byte(p))
	}
	for name, a := range map[string]struct {
		c uint16
		r string
	}{"normal": {1000, ""}, "nostatus": {1005, ""}, "nostatus-reason": {1005, "x"}, "abnormal": {1006, ""},
		"private": {4000, "héllo"}, "max-reason": {1001, strings.Repeat("é", 61) + "x"}, "bad-utf8": {1011, "\xff"},
		"zero": {0, ""}, "tls": {uint16(closecode.TLSHandshake), ""}} {
		write("FuzzCloseAppend", name, a.c, a.r)
	}

	for name, a := range map[string]struct{ data, splits string }{
		"ascii": {"hello, world", "\x01\x02\x03"}, "greek": {"κόσμε", "\x01"},
		"surrogate": {"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited", "\x03\x00\x05"},
		"above-max": {"\xf4\x90\x80\x80", "\x01"}, "emoji-cut": {"\xf0\x9f\x98\x80\xf0\x9f", "\x05"},
		"overlong-3": {"\xe0\x80\xaf", "\x01"}, "overlong-2": {"\xc0\xaf", ""}, "max": {"\xef\xbf\xbf\xf4\x8f\xbf\xbf", "\x02\x02"},
		"autobahn-6.4.1": {"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80\x65\x64\x69\x74\x65\x64", "\x0b\x04\x06"},
	} {
		write("FuzzUTF8", name, []byte(a.data), []byte(a.splits))
	}

	write("FuzzMask", "rfc", uint32(0x37fa213d), uint8(0), uint8(0), []byte("Hello"), []byte{})
	write("FuzzMask", "unaligned", uint32(0xdeadbeef), uint8(3), uint8(1), []byte(strings.Repeat("\xaa", 100)), []byte{1, 7, 31, 33})
	write("FuzzMask", "long", uint32(1), uint8(1), uint8(7), []byte(strings.Repeat("0123456789abcdef", 80)), []byte{64, 0, 5})

	hello := compressedSeed("Hello, Hello, Hello!")
	two := compressedSeed("Hello, Hello, Hello!", "Hello again, Hello")
	write("FuzzDecompress", "two-messages", two, uint16(len(hello)), uint8(1), uint16(1000))
	write("FuzzDecompress", "rfc7692-hello", []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, uint16(0), uint8(0), uint16(10))
	write("FuzzDecompress", "rfc7692-hello-twice", []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xf2, 0x00, 0x11, 0x00, 0x01, 0x00}, uint16(7), uint8(1), uint16(10))
	write("FuzzDecompress", "rfc7692-stored", []byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}, uint16(0), uint8(0x21), uint16(3))
	write("FuzzDecompress", "bomb", compressedSeed(strings.Repeat("\x00", 1<<16)), uint16(0), uint8(0x60), uint16(4096))
	write("FuzzDecompress", "garbage", []byte{0xff, 0xff, 0xff}, uint16(1), uint8(1), uint16(10))
	write("FuzzDecompress", "final-block", []byte{0x03, 0x00}, uint16(0), uint8(0), uint16(0))
	write("FuzzDeflateRoundTrip", "hello", []byte("Hello, Hello, Hello! Hello again."), []byte{5, 0, 20}, uint16(0))
	write("FuzzDeflateRoundTrip", "repeat", []byte(strings.Repeat("abc", 1000)), []byte{255, 255, 1}, uint16(0x1234))
	write("FuzzDeflateRoundTrip", "empty", []byte{}, []byte{0, 0}, uint16(0xffff))
}
