package deflate

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

func TestHistory(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h history
	var all []byte
	for i := range 300 {
		var n int
		switch i % 5 {
		case 0:
			n = r.IntN(100)
		case 1:
			n = r.IntN(5000)
		case 2:
			n = windowSize - r.IntN(10)
		case 3:
			n = windowSize + r.IntN(3000)
		default:
			n = r.IntN(20000)
		}
		p := make([]byte, n)
		for j := range p {
			p[j] = byte(r.Uint32())
		}
		h.add(p)
		all = append(all, p...)
		want := all[max(0, len(all)-windowSize):]
		older, newer := h.parts()
		if got := append(append([]byte(nil), older...), newer...); !bytes.Equal(got, want) {
			t.Fatalf("add %d (%d bytes): history of %d bytes differs from the last %d", i, n, len(got), len(want))
		}
		if cap(h.buf) > windowSize {
			t.Fatalf("history capacity %d", cap(h.buf))
		}
	}
}

// releaseSeq returns messages that refer to each other: pieces of a few
// texts, of sizes from 0 to more than the window.
func releaseSeq(r *rand.Rand) [][]byte {
	srcs := [][]byte{text(10, 50<<10), text(11, 3000), bytes.Repeat([]byte("abcdefgh"), 9000)}
	sizes := []int{0, 1, 17, 1000, 1000, 5000, 31 << 10, 40 << 10, 200, 3000, 3000, 12 << 10, 1}
	msgs := make([][]byte, 0, 2*len(sizes))
	for range 2 {
		for _, n := range sizes {
			src := srcs[r.IntN(len(srcs))]
			n = min(n, len(src))
			off := r.IntN(len(src) - n + 1)
			msgs = append(msgs, src[off:off+n])
		}
	}
	return msgs
}

// TestReleaseRoundTrip compresses messages with Release calls between some
// of them, and decompresses them with context takeover, by a Decompressor
// and by a single compress/flate reader of the whole stream.
func TestReleaseRoundTrip(t *testing.T) {
	params := []struct {
		name string
		p    Params
	}{
		{"15 bits", defaultParams},
		{"9 bits", Params{ServerMaxWindowBits: 9}}, // HuffmanOnly: no history
	}
	for _, level := range []int{flate.BestSpeed, flate.DefaultCompression, flate.BestCompression} {
		for _, pc := range params {
			for _, streaming := range []bool{false, true} {
				name := fmt.Sprintf("level %d/%s/streaming=%v", level, pc.name, streaming)
				t.Run(name, func(t *testing.T) {
					testReleaseRoundTrip(t, &Config{Level: level}, pc.p, streaming)
				})
			}
		}
	}
}

func testReleaseRoundTrip(t *testing.T, cfg *Config, p Params, streaming bool) {
	r := rand.New(rand.NewPCG(3, 4))
	c := cfg.NewCompressor(p, true)
	defer c.Close()
	d := NewDecompressor(p, false)
	defer d.Close()
	var stream, plain []byte
	released := 0
	for i, msg := range releaseSeq(r) {
		var payload []byte
		if !streaming {
			payload = c.Compress(nil, msg)
		} else {
			for _, f := range fragments(r, msg) {
				payload = c.Write(payload, f)
				c.Release() // in the middle of a message: does nothing
				if c.fw == nil {
					t.Fatalf("message %d: Release dropped the writer of a message in flight", i)
				}
				if r.IntN(3) == 0 {
					payload = c.Flush(payload)
				}
			}
			payload = c.Finish(payload)
		}
		if got := inflate(t, d, payload); !bytes.Equal(got, msg) {
			t.Fatalf("message %d (%d bytes, %d released before): Decompressor mismatch", i, len(msg), released)
		}
		stream = append(append(stream, payload...), tail...)
		plain = append(plain, msg...)
		if r.IntN(2) == 0 {
			c.Release()
			released++
			if c.fw != nil {
				t.Fatalf("message %d: writer held after Release", i)
			}
		}
	}
	if c.takeover != (p.ServerMaxWindowBits == 15) {
		t.Fatalf("takeover %v", c.takeover)
	}
	if !c.takeover && c.hist.buf != nil {
		t.Errorf("history of %d bytes kept without context takeover", len(c.hist.buf))
	}
	// One flate stream: the messages with their tails, then a final block.
	fr := flate.NewReader(bytes.NewReader(append(stream, "\x01\x00\x00\xff\xff"...)))
	got, err := io.ReadAll(fr)
	if err != nil {
		t.Fatalf("compress/flate: %v", err)
	}
	if !bytes.Equal(got, plain) {
		t.Fatalf("compress/flate: %d bytes, want %d; mismatch", len(got), len(plain))
	}
	t.Logf("%d messages, %d releases: %d bytes in %d", len(releaseSeq(rand.New(rand.NewPCG(3, 4)))), released, len(plain), len(stream))
}

// TestReleaseKeepsContext checks that a writer primed after Release refers
// back into the earlier messages.
func TestReleaseKeepsContext(t *testing.T) {
	msg := make([]byte, 1024)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range msg {
		msg[i] = byte(r.Uint32()) // incompressible on its own
	}
	for _, level := range []int{flate.BestSpeed, flate.DefaultCompression, flate.BestCompression} {
		c := (&Config{Level: level}).NewCompressor(defaultParams, true)
		d := NewDecompressor(defaultParams, false)
		first := c.Compress(nil, msg)
		c.Release()
		if c.fw != nil {
			t.Fatalf("level %d: writer held after Release", level)
		}
		c.Release() // twice: nothing held
		second := c.Compress(nil, msg)
		c.Release()
		third := c.Compress(nil, text(7, 2000))
		c.Release()
		fourth := c.Compress(nil, msg) // 2 KiB back
		t.Logf("level %d: 1 KiB of random bytes: %d bytes, then after Release %d; 2 KiB later %d",
			level, len(first), len(second), len(fourth))
		// BestSpeed emits literals around its matches: 64 bytes, as
		// without Release.
		limit := 16
		if level == flate.BestSpeed {
			limit = 80
		}
		if len(first) < 1024 || len(second) > limit || len(fourth) > limit {
			t.Errorf("level %d: sizes %d, %d, %d: history not used after Release", level, len(first), len(second), len(fourth))
		}
		for i, p := range [][]byte{first, second, third, fourth} {
			want := msg
			if i == 2 {
				want = text(7, 2000)
			}
			if got := inflate(t, d, p); !bytes.Equal(got, want) {
				t.Fatalf("level %d: message %d mismatch", level, i)
			}
		}
		// Close drops the context: the next message stands alone.
		c.Close()
		if c.hist.buf != nil {
			t.Errorf("level %d: history kept after Close", level)
		}
		if fifth := c.Compress(nil, msg); len(fifth) < 1024 {
			t.Errorf("level %d: %d bytes after Close: context kept", level, len(fifth))
		} else if got := inflate(t, d, fifth); !bytes.Equal(got, msg) {
			t.Fatalf("level %d: mismatch after Close", level)
		}
		c.Close()
		d.Close()
	}
}

func TestReleaseWithoutTakeover(t *testing.T) {
	for _, p := range []Params{{ServerNoContextTakeover: true}, {ServerMaxWindowBits: 10}} {
		c := (*Config)(nil).NewCompressor(p, true)
		d := NewDecompressor(p, false)
		msg := text(8, 3000)
		for range 3 {
			c.Release()
			if got := inflate(t, d, c.Compress(nil, msg)); !bytes.Equal(got, msg) {
				t.Fatalf("%+v: mismatch", p)
			}
			if c.fw != nil || c.hist.buf != nil {
				t.Fatalf("%+v: writer %v, history %d bytes", p, c.fw != nil, len(c.hist.buf))
			}
		}
	}
}
