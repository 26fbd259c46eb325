package main

import (
	"math"
	"os"
	"runtime"
	"testing"
)

// The histogram's buckets are about 6 % wide: a quantile comes back within
// that of the value recorded.
func TestHistQuantile(t *testing.T) {
	for _, v := range []uint64{0, 1, 31, 32, 33, 100, 1000, 12345, 987654, 5e7} {
		var h hist
		h[bucket(v)]++
		got := h.quantile(0.5)
		if math.Abs(got-float64(v)) > 0.07*float64(v)+1 {
			t.Errorf("one value %d: p50 %.1f", v, got)
		}
		if h.max() != got {
			t.Errorf("one value %d: max %.1f, p50 %.1f", v, h.max(), got)
		}
	}
	var h hist
	for v := uint64(1); v <= 1000; v++ {
		h[bucket(v*1000)]++ // 1 ms .. 1 s
	}
	for _, q := range []struct{ q, want float64 }{{0.5, 500e3}, {0.99, 990e3}, {0.999, 999e3}} {
		if got := h.quantile(q.q); math.Abs(got-q.want) > 0.07*q.want {
			t.Errorf("p%v of 1..1000 ms: %.0f µs, want about %.0f", 100*q.q, got, q.want)
		}
	}
}

func TestParse(t *testing.T) {
	off, sent, ok := parse([]byte(`{"type":"message","topic":"chat","epoch":"e1","offset":42,"data":"1733100000123456789"}`))
	if !ok || off != 42 || sent != 1733100000123456789 {
		t.Errorf("parse: %d %d %v", off, sent, ok)
	}
	for _, m := range []string{
		`{"type":"joined","topic":"chat","epoch":"e1","offset":42,"recovery":"fresh"}`,
		`{"type":"message","topic":"chat","epoch":"e1","offset":42,"data":"hello"}`,
		`not json`,
	} {
		if _, _, ok := parse([]byte(m)); ok {
			t.Errorf("parse(%s) ok", m)
		}
	}
}

func TestCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the driver reads /proc/PID/stat, on Linux only")
	}
	d, err := cpu(os.Getpid())
	if err != nil || d < 0 {
		t.Fatalf("cpu: %v %v", d, err)
	}
}
