package deflate

import (
	"bytes"
	"cmp"
	"compress/flate"
	"io"
	"runtime"
	"testing"
)

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestDecompressionBomb(t *testing.T) {
	const size, limit = 10 << 20, 1 << 20
	c := (*Config)(nil).NewCompressor(defaultParams, true)
	payload := c.Compress(nil, make([]byte, size))
	c.Close()
	t.Logf("10 MiB of zeros compress to %d bytes", len(payload))
	for _, p := range []Params{defaultParams, {ServerNoContextTakeover: true}} {
		d := NewDecompressor(p, false)
		buf := make([]byte, 32<<10)
		src := &countingReader{r: bytes.NewReader(payload)}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		d.Reset(src)
		total := 0
		for total < limit {
			n, err := d.Read(buf[:min(len(buf), limit-total)])
			total += n
			if err != nil {
				t.Fatalf("after %d bytes: %v", total, err)
			}
		}
		runtime.ReadMemStats(&after)
		allocated := after.TotalAlloc - before.TotalAlloc
		t.Logf("takeover=%v: read %d bytes, consumed %d of %d compressed bytes, allocated %d bytes",
			!p.ServerNoContextTakeover, total, src.n, len(payload), allocated)
		if total != limit {
			t.Errorf("read %d bytes, want %d", total, limit)
		}
		// The decompressor inflated about what was asked: it consumed a
		// small part of the input (plus its 4 KiB read-ahead).
		if src.n > len(payload)/5+4096 {
			t.Errorf("consumed %d of %d compressed bytes for a tenth of the output", src.n, len(payload))
		}
		// Memory: a flate reader (~45 KiB) and the window (40 KiB) at most.
		if allocated > 200<<10 {
			t.Errorf("allocated %d bytes", allocated)
		}
		d.Close()
	}
}

// heapAfterGC returns the live heap after clearing the pools (two GCs).
func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestRetainedMemory measures what a connection keeps between messages: a
// server's compressor and decompressor, after one message each way (of
// 4 KiB, or of size), and after the compressor's Release if release is set.
func TestRetainedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates ~30 MiB")
	}
	const conns = 20
	cases := []struct {
		name      string
		cfg       *Config
		p         Params
		release   bool
		size      int
		maxPerCon uint64
		minPerCon uint64
	}{
		{"no context takeover", nil, Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true}, false, 0, 2 << 10, 0},
		{"takeover, compressor local no-takeover", &Config{NoContextTakeover: true}, defaultParams, false, 0, 48 << 10, 32 << 10},
		{"takeover, BestSpeed", nil, defaultParams, false, 0, 1400 << 10, 1 << 20},
		{"takeover, level 6", &Config{Level: 6}, defaultParams, false, 0, 950 << 10, 700 << 10},
		{"takeover, client window 9 bits", &Config{Level: 6}, Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 9}, false, 0, 950 << 10, 700 << 10},
		// Released: the compressor keeps its history (4 KiB here), the
		// decompressor its window.
		{"takeover, BestSpeed, released", nil, defaultParams, true, 0, 56 << 10, 40 << 10},
		{"takeover, level 6, released", &Config{Level: 6}, defaultParams, true, 0, 56 << 10, 40 << 10},
		// A full window each way: 32 KiB + 40 KiB.
		{"takeover, BestSpeed, released, 64 KiB messages", nil, defaultParams, true, 64 << 10, 80 << 10, 64 << 10},
	}
	for _, tc := range cases {
		msg := text(1, cmp.Or(tc.size, 4096))
		peer := (*Config)(nil).NewCompressor(tc.p, false)
		in := peer.Compress(nil, msg)
		base := heapAfterGC()
		cs := make([]*Compressor, conns)
		ds := make([]*Decompressor, conns)
		for i := range conns {
			cs[i] = tc.cfg.NewCompressor(tc.p, true)
			ds[i] = NewDecompressor(tc.p, true)
			cs[i].Compress(nil, msg)
			if tc.release {
				cs[i].Release()
			}
			ds[i].Reset(bytes.NewReader(in))
			if _, err := io.Copy(io.Discard, ds[i]); err != nil {
				t.Fatal(err)
			}
		}
		// Clamped: the heap may shrink by a few bytes meanwhile.
		per := uint64(max(0, int64(heapAfterGC()-base))) / conns
		t.Logf("%s: %d bytes retained per connection", tc.name, per)
		if per > tc.maxPerCon || per < tc.minPerCon {
			t.Errorf("%s: %d bytes per connection, want %d..%d", tc.name, per, tc.minPerCon, tc.maxPerCon)
		}
		for i := range conns {
			cs[i].Close()
			ds[i].Close()
		}
		runtime.KeepAlive(cs)
		runtime.KeepAlive(ds)
		peer.Close()
	}
}

func TestSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	var msgs [8][]byte
	for i := range msgs {
		msgs[i] = text(uint64(i), 1024)
	}
	for _, p := range []Params{defaultParams, {ServerNoContextTakeover: true, ClientNoContextTakeover: true}} {
		i := 0
		c := (*Config)(nil).NewCompressor(p, true)
		d := NewDecompressor(p, false)
		dst := make([]byte, 0, 4096)
		buf := make([]byte, 4096)
		var src bytes.Reader
		var payload []byte
		roundTrip := func() {
			i++
			payload = c.Compress(dst[:0], msgs[i%len(msgs)])
			src.Reset(payload)
			d.Reset(&src)
			for {
				if _, err := d.Read(buf); err != nil {
					break
				}
			}
		}
		for range 40 { // fills the 32 KiB history
			roundTrip()
		}
		compress := testing.AllocsPerRun(100, func() { i++; c.Compress(dst[:0], msgs[i%len(msgs)]) })
		both := testing.AllocsPerRun(100, roundTrip)
		released := testing.AllocsPerRun(100, func() { c.Release(); roundTrip() })
		t.Logf("takeover=%v: compress 1 KiB: %.1f allocs; compress+decompress: %.1f allocs (%d bytes compressed); after Release: %.1f allocs",
			!p.ServerNoContextTakeover, compress, both, len(payload), released)
		if compress != 0 {
			t.Errorf("compress: %.1f allocs per message", compress)
		}
		if released != both {
			t.Errorf("round trip after Release: %.1f allocs per message, %.1f without", released, both)
		}
		if both > 4 {
			t.Errorf("round trip: %.1f allocs per message", both)
		}
		c.Close()
		d.Close()
	}
}

// TestReleasedCompressorMemory measures an idle compressor alone, holding
// its writer and after Release, with a full window of history.
func TestReleasedCompressorMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates ~30 MiB")
	}
	const conns = 10
	msg := text(2, windowSize+1000)
	for _, level := range []int{flate.BestSpeed, 6} {
		for _, release := range []bool{false, true} {
			base := heapAfterGC()
			cs := make([]*Compressor, conns)
			for i := range cs {
				cs[i] = (&Config{Level: level}).NewCompressor(defaultParams, true)
				cs[i].Compress(nil, msg)
				if release {
					cs[i].Release()
				}
			}
			per := uint64(max(0, int64(heapAfterGC()-base))) / conns
			t.Logf("level %d, released %v: %d bytes retained per compressor", level, release, per)
			if release && (per < windowSize || per > windowSize+1<<10) || !release && per < 700<<10 {
				t.Errorf("level %d, released %v: %d bytes per compressor", level, release, per)
			}
			for _, c := range cs {
				c.Close()
			}
		}
	}
}
