package deflate

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// text returns n bytes of deterministic, compressible text.
func text(seed uint64, n int) []byte {
	words := []string{"websocket", "frame", "deflate", "message", "window", "server", "client",
		"context", "takeover", `{"id":`, `"name":`, "}", ",", " ", "\n", "0123", "hybi"}
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, 0, n+16)
	for len(b) < n {
		b = append(b, words[r.IntN(len(words))]...)
	}
	return b[:n]
}

// inflate decompresses one message with d.
func inflate(t testing.TB, d *Decompressor, payload []byte) []byte {
	t.Helper()
	d.Reset(bytes.NewReader(payload))
	got, err := io.ReadAll(d)
	if err != nil {
		t.Fatalf("decompress: %v", err)
	}
	return got
}

// fragments splits b into pieces at random points.
func fragments(r *rand.Rand, b []byte) [][]byte {
	var fs [][]byte
	for len(b) > 0 {
		n := 1 + r.IntN(len(b))
		fs = append(fs, b[:n])
		b = b[n:]
	}
	return fs
}

func TestRoundTripTakeoverCombinations(t *testing.T) {
	for _, snct := range []bool{false, true} {
		for _, cnct := range []bool{false, true} {
			p := Params{ServerNoContextTakeover: snct, ClientNoContextTakeover: cnct, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}
			t.Run(fmt.Sprintf("snct=%v,cnct=%v", snct, cnct), func(t *testing.T) {
				var cfg *Config
				sc, sd := cfg.NewCompressor(p, true), NewDecompressor(p, true)
				cc, cd := cfg.NewCompressor(p, false), NewDecompressor(p, false)
				defer sc.Close()
				defer cc.Close()
				dirs := []struct {
					name     string
					c        *Compressor
					d        *Decompressor
					takeover bool
				}{{"server→client", sc, cd, !snct}, {"client→server", cc, sd, !cnct}}
				for _, dir := range dirs {
					msg := text(1, 2000)
					var sizes []int
					for i := range 4 {
						payload := dir.c.Compress(nil, msg)
						sizes = append(sizes, len(payload))
						if got := inflate(t, dir.d, payload); !bytes.Equal(got, msg) {
							t.Fatalf("%s message %d: round trip mismatch", dir.name, i)
						}
						if i == 2 {
							msg = text(2, 3000) // a different message
						}
					}
					// The same message again compresses much better with
					// context takeover, identically without.
					if dir.takeover && sizes[1] >= sizes[0]/4 {
						t.Errorf("%s: takeover sizes %v: second message not smaller", dir.name, sizes)
					}
					if !dir.takeover && sizes[1] != sizes[0] {
						t.Errorf("%s: no takeover sizes %v differ", dir.name, sizes)
					}
				}
				// Without takeover nothing is retained between messages.
				if (sc.fw != nil) == snct || (cc.fw != nil) == cnct {
					t.Errorf("writer retained: server %v client %v", sc.fw != nil, cc.fw != nil)
				}
				if (len(sd.window) > 0) == cnct || (len(cd.window) > 0) == snct {
					t.Errorf("window retained: server %d client %d", len(sd.window), len(cd.window))
				}
				if sd.inf != nil || cd.inf != nil {
					t.Error("flate reader retained after the message")
				}
			})
		}
	}
}

func TestLocalNoContextTakeover(t *testing.T) {
	// The peer allows context takeover, but the local Config declines it.
	c := (&Config{NoContextTakeover: true}).NewCompressor(defaultParams, true)
	d := NewDecompressor(defaultParams, false)
	msg := text(3, 1500)
	a := c.Compress(nil, msg)
	b := c.Compress(nil, msg)
	if !bytes.Equal(a, b) || c.fw != nil {
		t.Errorf("context kept: sizes %d %d, writer %v", len(a), len(b), c.fw != nil)
	}
	for _, m := range [][]byte{a, b} {
		if got := inflate(t, d, m); !bytes.Equal(got, msg) {
			t.Fatal("mismatch")
		}
	}
}

func TestLevels(t *testing.T) {
	msg := text(4, 5000)
	for _, level := range []int{0, flate.HuffmanOnly, flate.DefaultCompression, 1, 5, 9, 42, -7} {
		c := (&Config{Level: level}).NewCompressor(defaultParams, false)
		d := NewDecompressor(defaultParams, true)
		for range 3 {
			if got := inflate(t, d, c.Compress(nil, msg)); !bytes.Equal(got, msg) {
				t.Fatalf("level %d: mismatch", level)
			}
		}
		c.Close()
	}
}

func TestSmallWindowUsesHuffmanOnly(t *testing.T) {
	for bits := 8; bits <= 15; bits++ {
		p := Params{ServerMaxWindowBits: bits, ClientMaxWindowBits: 15}
		c := (&Config{Level: 9}).NewCompressor(p, true)
		wantLevel := 9
		if bits < 15 {
			wantLevel = flate.HuffmanOnly
		}
		if c.level != wantLevel || c.takeover != (bits == 15) {
			t.Errorf("bits %d: level %d takeover %v", bits, c.level, c.takeover)
		}
		// The client keeps a window of 2^bits (at least 512) bytes; a
		// HuffmanOnly stream never refers back, so any window works.
		d := NewDecompressor(p, false)
		if want := 1 << max(bits, 9); d.windowSize != want {
			t.Errorf("bits %d: window %d, want %d", bits, d.windowSize, want)
		}
		for i := range 3 {
			msg := text(uint64(i), 3000)
			if got := inflate(t, d, c.Compress(nil, msg)); !bytes.Equal(got, msg) {
				t.Fatalf("bits %d: mismatch", bits)
			}
			if len(d.window) > d.windowSize+d.windowSize/4 {
				t.Fatalf("window grew to %d", len(d.window))
			}
		}
	}
}

// RFC 7692 §7.2.3 examples.
func TestRFCExamples(t *testing.T) {
	hello := []byte("Hello")
	d := NewDecompressor(defaultParams, true)
	// §7.2.3.1: "Hello" compressed, whole or in two fragments.
	if got := inflate(t, d, []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}); !bytes.Equal(got, hello) {
		t.Errorf("7.2.3.1: %q", got)
	}
	// §7.2.3.2: with context takeover, a second "Hello" refers to the first.
	if got := inflate(t, d, []byte{0xf2, 0x00, 0x11, 0x00, 0x00}); !bytes.Equal(got, hello) {
		t.Errorf("7.2.3.2: %q", got)
	}
	// §7.2.3.3: a stored block.
	if got := inflate(t, d, []byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}); !bytes.Equal(got, hello) {
		t.Errorf("7.2.3.3: %q", got)
	}
	// §7.2.3.4: BFINAL set.
	if got := inflate(t, d, []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}); !bytes.Equal(got, hello) {
		t.Errorf("7.2.3.4: %q", got)
	}
	// §7.2.3.5: two DEFLATE blocks in one message.
	if got := inflate(t, d, []byte{0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00}); !bytes.Equal(got, hello) {
		t.Errorf("7.2.3.5: %q", got)
	}
	// Fragmented input: the same as 7.2.3.1 in two frames.
	d2 := NewDecompressor(defaultParams, true)
	d2.Reset(io.MultiReader(bytes.NewReader([]byte{0xf2, 0x48, 0xcd}), bytes.NewReader([]byte{0xc9, 0xc9, 0x07, 0x00})))
	if got, err := io.ReadAll(d2); err != nil || !bytes.Equal(got, hello) {
		t.Errorf("fragmented: %q, %v", got, err)
	}
	// An empty message.
	if got := inflate(t, d, []byte{0x00}); len(got) != 0 {
		t.Errorf("empty: %q", got)
	}
	// Our compressor produces the same as the RFC for "Hello".
	c := (&Config{Level: flate.BestCompression}).NewCompressor(defaultParams, true)
	if got := c.Compress(nil, hello); !bytes.Equal(got, []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}) {
		t.Errorf("Compress(Hello) = % x", got)
	}
}

func TestTail(t *testing.T) {
	c := (*Config)(nil).NewCompressor(defaultParams, false)
	d := NewDecompressor(defaultParams, true)
	// An empty message is the single byte 0x00.
	if got := c.Compress(nil, nil); !bytes.Equal(got, []byte{0}) {
		t.Errorf("empty message: % x", got)
	}
	if got := inflate(t, d, []byte{0}); len(got) != 0 {
		t.Errorf("empty: %q", got)
	}
	// Compress appends to dst.
	got := c.Compress([]byte("hdr"), []byte("Hello"))
	if !bytes.HasPrefix(got, []byte("hdr")) || bytes.HasSuffix(got, []byte(tail)) {
		t.Errorf("Compress = % x", got)
	}
	if m := inflate(t, d, got[3:]); string(m) != "Hello" {
		t.Errorf("got %q", m)
	}
	// A flushed fragment keeps its sync marker; an empty final fragment is
	// then the single byte 0x00.
	frag := c.Flush(c.Write(nil, []byte("Hello")))
	if !bytes.HasSuffix(frag, []byte(tail)) {
		t.Errorf("flushed fragment % x", frag)
	}
	last := c.Finish(nil)
	if !bytes.Equal(last, []byte{0}) {
		t.Errorf("final fragment % x", last)
	}
	d.Reset(io.MultiReader(bytes.NewReader(frag), bytes.NewReader(last)))
	if m, err := io.ReadAll(d); err != nil || string(m) != "Hello" {
		t.Errorf("fragmented = %q, %v", m, err)
	}
}

func TestStreamingMatchesWhole(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, takeover := range []bool{true, false} {
		p := Params{ServerNoContextTakeover: !takeover, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}
		whole := (*Config)(nil).NewCompressor(p, true)
		stream := (*Config)(nil).NewCompressor(p, true)
		dw, ds := NewDecompressor(p, false), NewDecompressor(p, false)
		for i := range 20 {
			msg := text(uint64(i%3), r.IntN(100000))
			var payload []byte
			var frames [][]byte
			for _, f := range fragments(r, msg) {
				out := stream.Write(nil, f)
				if r.IntN(2) == 0 {
					out = stream.Flush(out)
				}
				frames = append(frames, out)
			}
			frames = append(frames, stream.Finish(nil))
			var readers []io.Reader
			for _, f := range frames {
				payload = append(payload, f...)
				readers = append(readers, bytes.NewReader(f))
			}
			ds.Reset(io.MultiReader(readers...))
			got, err := io.ReadAll(ds)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("takeover %v message %d (%d bytes): streamed: err %v, equal %v", takeover, i, len(msg), err, bytes.Equal(got, msg))
			}
			if got := inflate(t, dw, whole.Compress(nil, msg)); !bytes.Equal(got, msg) {
				t.Fatalf("message %d: whole mismatch", i)
			}
		}
	}
}

func TestDecompressInputShapes(t *testing.T) {
	c := (*Config)(nil).NewCompressor(defaultParams, true)
	msg := text(5, 20000)
	payload := c.Compress(nil, msg)
	shapes := map[string]func(io.Reader) io.Reader{
		"one byte":  iotest.OneByteReader,
		"half":      iotest.HalfReader,
		"data+EOF":  iotest.DataErrReader,
		"zero-then": func(r io.Reader) io.Reader { return &zeroReader{r: r} },
	}
	for name, shape := range shapes {
		d := NewDecompressor(defaultParams, false)
		d.Reset(shape(bytes.NewReader(payload)))
		got, err := io.ReadAll(d)
		if err != nil || !bytes.Equal(got, msg) {
			t.Errorf("%s: err %v, equal %v", name, err, bytes.Equal(got, msg))
		}
	}
}

// zeroReader returns 0, nil every other call.
type zeroReader struct {
	r    io.Reader
	tick bool
}

func (z *zeroReader) Read(p []byte) (int, error) {
	z.tick = !z.tick
	if z.tick {
		return 0, nil
	}
	return z.r.Read(p)
}

type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

func TestDecompressErrors(t *testing.T) {
	d := NewDecompressor(defaultParams, true)
	if n, err := d.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read before Reset = %d, %v", n, err)
	}
	// Invalid DEFLATE data: reserved block type 3.
	d.Reset(bytes.NewReader([]byte{0x06, 0x00}))
	if _, err := io.ReadAll(d); !errors.Is(err, ErrInvalidData) {
		t.Errorf("BTYPE 3: %v", err)
	}
	// A truncated stored block (LEN 100, one byte of data).
	d = NewDecompressor(defaultParams, true)
	d.Reset(bytes.NewReader([]byte{0x00, 0x64, 0x00, 0x9b, 0xff, 0x48}))
	if _, err := io.ReadAll(d); !errors.Is(err, ErrInvalidData) {
		t.Errorf("truncated: %v", err)
	}
	// The error is sticky, and the context is lost under takeover.
	if _, err := d.Read(make([]byte, 1)); !errors.Is(err, ErrInvalidData) {
		t.Errorf("sticky: %v", err)
	}
	d.Reset(bytes.NewReader([]byte{0x00}))
	if _, err := d.Read(make([]byte, 1)); err != ErrContextLost {
		t.Errorf("after error: %v", err)
	}
	// Without takeover the next message is fine.
	p := Params{ClientNoContextTakeover: true}
	d = NewDecompressor(p, true)
	d.Reset(bytes.NewReader([]byte{0x06}))
	if _, err := io.ReadAll(d); !errors.Is(err, ErrInvalidData) {
		t.Errorf("BTYPE 3: %v", err)
	}
	if got := inflate(t, d, []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}); string(got) != "Hello" {
		t.Errorf("next message %q", got)
	}
	// The source's own errors pass through unchanged.
	errSrc := errors.New("frame error")
	d = NewDecompressor(defaultParams, true)
	d.Reset(io.MultiReader(bytes.NewReader([]byte{0xf2, 0x48}), iotest.ErrReader(errSrc)))
	if _, err := io.ReadAll(d); err != errSrc {
		t.Errorf("source error: %v", err)
	}
	d.Reset(stuckReader{})
	if _, err := io.ReadAll(d); err != ErrContextLost {
		t.Errorf("after source error: %v", err)
	}
	d = NewDecompressor(defaultParams, true)
	d.Reset(stuckReader{})
	if _, err := io.ReadAll(d); err != io.ErrNoProgress {
		t.Errorf("stuck source: %v", err)
	}
	// Abandoning a message loses the context too.
	c := (*Config)(nil).NewCompressor(defaultParams, false)
	d = NewDecompressor(defaultParams, true)
	d.Reset(bytes.NewReader(c.Compress(nil, text(1, 10000))))
	if _, err := d.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	d.Reset(bytes.NewReader(c.Compress(nil, []byte("x"))))
	if _, err := io.ReadAll(d); err != ErrContextLost {
		t.Errorf("after abandon: %v", err)
	}
	if d.Close() != nil || d.inf != nil || d.window != nil {
		t.Error("Close kept memory")
	}
}

func TestGarbageNeverPanics(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 4096)
	for i := range 2000 {
		in := make([]byte, r.IntN(200))
		for j := range in {
			in[j] = byte(r.Uint32())
		}
		if i%2 == 0 && len(in) > 0 {
			in[0] &^= 0x06 // a stored block header: more often valid-looking
		}
		d := NewDecompressor(Params{ServerNoContextTakeover: i%3 == 0}, false)
		for m := range 3 {
			d.Reset(bytes.NewReader(in[m*len(in)/3:]))
			total := 0
			for {
				n, err := d.Read(buf)
				total += n
				if err != nil || total > 1<<20 {
					break
				}
			}
		}
	}
}

func FuzzDecompress(f *testing.F) {
	f.Add([]byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, []byte{0xf2, 0x00, 0x11, 0x00, 0x00})
	f.Add([]byte{0x00}, []byte{0x06})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		d := NewDecompressor(defaultParams, true)
		buf := make([]byte, 1000)
		for _, m := range [][]byte{a, b} {
			d.Reset(bytes.NewReader(m))
			for total := 0; total < 1<<20; {
				n, err := d.Read(buf)
				total += n
				if err != nil {
					break
				}
			}
		}
		d.Close()
	})
}

func TestCompressorCloseMidMessage(t *testing.T) {
	c := (*Config)(nil).NewCompressor(defaultParams, true)
	d := NewDecompressor(defaultParams, false)
	first := text(1, 5000)
	if got := inflate(t, d, c.Compress(nil, first)); !bytes.Equal(got, first) {
		t.Fatal("mismatch")
	}
	c.Write(nil, text(2, 3000)) // abandoned: never sent
	c.Close()
	if c.fw != nil {
		t.Fatal("writer kept after Close")
	}
	// A fresh writer drops the context, which the peer's window tolerates.
	if got := inflate(t, d, c.Compress(nil, first)); !bytes.Equal(got, first) {
		t.Fatal("mismatch after Close")
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("Hello"), uint8(3), uint8(0))
	f.Add([]byte{}, uint8(0), uint8(1))
	f.Add([]byte("Hello, Hello, Hello"), uint8(0x85), uint8(0x7e))
	f.Fuzz(func(t *testing.T, msg []byte, cut, mode uint8) {
		p := Params{ServerNoContextTakeover: mode&1 != 0, ServerMaxWindowBits: 8 + int(mode>>1)%8}
		c := (&Config{Level: int(mode>>4)%11 - 1}).NewCompressor(p, true)
		defer c.Close()
		d := NewDecompressor(p, false)
		for range 2 {
			k := min(int(cut), len(msg))
			frag := c.Flush(c.Write(nil, msg[:k]))
			last := c.Finish(c.Write(nil, msg[k:]))
			d.Reset(io.MultiReader(bytes.NewReader(frag), bytes.NewReader(last)))
			got, err := io.ReadAll(d)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("round trip: err %v, equal %v", err, bytes.Equal(got, msg))
			}
			if cut&0x80 != 0 {
				c.Release() // the next message primes a fresh writer
			}
		}
	})
}

// The window stays right whatever the caller's read sizes.
func TestWindowWithSmallReads(t *testing.T) {
	c := (*Config)(nil).NewCompressor(defaultParams, true)
	defer c.Close()
	d := NewDecompressor(defaultParams, false)
	r := rand.New(rand.NewPCG(3, 3))
	for i := range 30 {
		msg := text(uint64(i%4), 1+r.IntN(50000))
		d.Reset(bytes.NewReader(c.Compress(nil, msg)))
		var got []byte
		var err error
		if i%2 == 0 {
			got, err = io.ReadAll(iotest.OneByteReader(d))
		} else {
			got, err = io.ReadAll(d)
		}
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("message %d: err %v, equal %v", i, err, bytes.Equal(got, msg))
		}
		if len(d.window) > d.windowSize+d.windowSize/4 {
			t.Fatalf("window grew to %d", len(d.window))
		}
	}
}
