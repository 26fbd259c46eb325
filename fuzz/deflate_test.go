package fuzz

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/handshake"
)

// deflateTail ends a permessage-deflate message for a plain flate reader:
// the 4 bytes RFC 7692 §7.2.2 has the receiver append, then an empty final
// stored block.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// referenceInflate decompresses a message with compress/flate alone, given the
// preset dictionary, stopping after limit+1 bytes. It reports whether the
// message is valid (its end reached without error).
func referenceInflate(msg, dict []byte, limit int) ([]byte, bool) {
	r := flate.NewReaderDict(io.MultiReader(bytes.NewReader(msg), bytes.NewReader(deflateTail)), dict)
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if len(out) > limit {
		return out, true
	}
	return out, err == nil
}

// compressedSeed returns msg compressed as a permessage-deflate payload.
func compressedSeed(msgs ...string) []byte {
	var cfg deflate.Config
	c := cfg.NewCompressor(deflate.Params{}, true)
	defer c.Close()
	var out []byte
	for _, m := range msgs {
		out = c.Compress(out, []byte(m))
	}
	return out
}

// FuzzDecompress decompresses arbitrary data as two consecutive messages (cut
// at split) with a deflate.Decompressor, under parameters taken from mode
// (context takeover or not, window bits), reading in chunks of a size from
// mode and stopping, as a read limit would, once more than limit bytes came
// out. It checks that it never panics, that no Read returns more than asked,
// that errors are io.EOF, ErrInvalidData or ErrContextLost (after an
// unfinished message under context takeover, and only then), and, with a
// 15-bit window, that the output is exactly what compress/flate alone
// decompresses from the same bytes and preset dictionary.
func FuzzDecompress(f *testing.F) {
	two := compressedSeed("Hello, Hello, Hello!", "Hello again, Hello")
	one := compressedSeed(strings.Repeat("abcdefgh", 100))
	f.Add(two, uint16(len(compressedSeed("Hello, Hello, Hello!"))), uint8(1), uint16(1000))
	f.Add(one, uint16(0), uint8(0x40), uint16(100))
	f.Add([]byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, uint16(0), uint8(0), uint16(10)) // RFC 7692 §7.2.3.1 "Hello"
	f.Add([]byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xf2, 0x00, 0x11, 0x00, 0x01, 0x00}, uint16(7), uint8(1), uint16(10))
	f.Add([]byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}, uint16(0), uint8(0x21), uint16(3)) // stored block
	f.Add([]byte{0xff, 0xff, 0xff}, uint16(1), uint8(1), uint16(10))
	f.Add([]byte{0x02, 0x00}, uint16(0), uint8(0), uint16(0)) // empty, BFINAL set
	f.Fuzz(func(t *testing.T, data []byte, split uint16, mode uint8, limit uint16) {
		defer watchdog()()
		takeover := mode&1 != 0
		bits := 15
		if mode&0x10 != 0 {
			bits = 8 + int(mode>>1&7)
		}
		p := deflate.Params{ServerNoContextTakeover: !takeover, ServerMaxWindowBits: bits}
		chunk := []int{1, 7, 100, 4096}[mode>>5&3]
		d := deflate.NewDecompressor(p, false) // a client decompresses under server_*
		defer d.Close()
		cut := int(split) % (len(data) + 1)
		msgs := [][]byte{data[:cut], data[cut:]}

		var history []byte // output of the messages read to their end
		lost := false      // an earlier message was not finished under takeover
		buf := make([]byte, chunk)
		for i, msg := range msgs {
			d.Reset(bytes.NewReader(msg))
			var out []byte
			var err error
			for len(out) <= int(limit) {
				var n int
				n, err = d.Read(buf)
				if n < 0 || n > len(buf) {
					t.Fatalf("message %d: Read of %d bytes returned %d", i, len(buf), n)
				}
				out = append(out, buf[:n]...)
				if err != nil {
					break
				}
			}
			switch {
			case lost:
				if err != deflate.ErrContextLost || len(out) != 0 {
					t.Fatalf("message %d after an unfinished one: %d bytes, %v; want ErrContextLost", i, len(out), err)
				}
				continue
			case err == nil: // stopped at the limit
			case err == io.EOF:
			case errors.Is(err, deflate.ErrInvalidData):
			default:
				t.Fatalf("message %d: %v", i, err)
			}
			if bits == 15 {
				var dict []byte
				if takeover {
					dict = history[max(0, len(history)-32768):]
				}
				want, valid := referenceInflate(msg, dict, int(limit))
				capped := len(want) > int(limit) // the reference stopped at the limit
				common := min(len(out), len(want))
				good := bytes.Equal(out[:common], want[:common])
				switch {
				case err == nil: // the read limit was passed
					good = good && capped
				case err == io.EOF:
					good = good && (capped || valid && len(out) == len(want))
				default: // ErrInvalidData
					good = good && (capped || !valid)
				}
				if !good {
					t.Fatalf("message %d (% x), limit %d: %d bytes, %v; compress/flate: %d bytes, valid %v\n%q\n%q", i, msg, limit, len(out), err, len(want), valid, out, want)
				}
			}
			if err != io.EOF {
				lost = takeover
			}
			history = append(history, out...)
		}
	})
}

// FuzzDeflateRoundTrip negotiates permessage-deflate between a client and a
// server whose preferences come from mode (level, context takeover, window
// bits), then sends the messages cut from data at the sizes given by cuts both
// ways: each is compressed whole (Compress) or in pieces (Write, with a Flush
// after some, then Finish), and must decompress to itself.
func FuzzDeflateRoundTrip(f *testing.F) {
	f.Add([]byte("Hello, Hello, Hello! Hello again."), []byte{5, 0, 20}, uint16(0))
	f.Add([]byte(strings.Repeat("abc", 1000)), []byte{255, 255, 1}, uint16(0x1234))
	f.Add([]byte{}, []byte{0, 0}, uint16(0xffff))
	f.Fuzz(func(t *testing.T, data, cuts []byte, mode uint16) {
		defer watchdog()()
		levels := []int{flate.BestSpeed, 2, 5, flate.BestCompression, flate.DefaultCompression, flate.HuffmanOnly, 0, 42}
		client := deflate.Config{
			Level:                 levels[mode&7],
			NoContextTakeover:     mode&0x8 != 0,
			PeerNoContextTakeover: mode&0x10 != 0,
			PeerMaxWindowBits:     int(mode >> 5 & 15),
		}
		server := deflate.Config{
			Level:                 levels[mode>>9&7],
			NoContextTakeover:     mode&0x1000 != 0,
			PeerNoContextTakeover: mode&0x2000 != 0,
			PeerMaxWindowBits:     8 + int(mode>>14&3)*3,
		}
		resp, sp, ok := server.Negotiate(client.Offers())
		if !ok {
			t.Fatalf("server refused the client's offers %v", client.Offers())
		}
		cp, ok, err := client.Accept([]handshake.Extension{resp})
		if err != nil || !ok || cp != sp {
			t.Fatalf("client accepted %v as %+v, %v, %v; server agreed on %+v", resp, cp, ok, err, sp)
		}
		var msgs [][]byte
		rest := data
		for i := 0; len(rest) > 0 || i < 2; i++ {
			n := len(rest)
			if len(cuts) > 0 {
				n = min(n, int(cuts[i%len(cuts)])*8)
			}
			msgs = append(msgs, rest[:n])
			rest = rest[n:]
			if i > 64 {
				msgs = append(msgs, rest)
				break
			}
		}
		for _, dir := range []struct {
			name string
			cfg  *deflate.Config
			srv  bool
		}{{"server to client", &server, true}, {"client to server", &client, false}} {
			comp := dir.cfg.NewCompressor(sp, dir.srv)
			dec := deflate.NewDecompressor(sp, !dir.srv)
			for i, msg := range msgs {
				var payload []byte
				if i%2 == 0 {
					payload = comp.Compress(nil, msg)
					if len(msg) == 0 && !bytes.Equal(payload, []byte{0}) {
						t.Fatalf("%s: empty message compressed to % x", dir.name, payload)
					}
				} else {
					for j, piece := 0, msg; len(piece) > 0; j++ {
						n := min(len(piece), 1+j*37%100)
						payload = comp.Write(payload, piece[:n])
						if j%3 == 1 {
							payload = comp.Flush(payload)
						}
						piece = piece[n:]
					}
					payload = comp.Finish(payload)
				}
				dec.Reset(bytes.NewReader(payload))
				got, err := io.ReadAll(dec)
				if err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("%s, params %+v, level %d: message %d of %d bytes came back as %d bytes, %v", dir.name, sp, dir.cfg.Level, i, len(msg), len(got), err)
				}
			}
			comp.Close()
			dec.Close()
		}
	})
}
