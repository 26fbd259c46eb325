package suite

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/mask"
)

func TestCatalogueCounts(t *testing.T) {
	want := map[string]int{"1": 16, "2": 11, "3": 7, "4": 10, "5": 20, "6": 145, "7": 37, "9": 54, "10": 1, "12": 90, "13": 126}
	ids, err := CaseIDs(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 517 {
		t.Errorf("%d cases, want 517", len(ids))
	}
	got := map[string]int{}
	for _, id := range ids {
		got[category(id)]++
	}
	for c, n := range want {
		if got[c] != n {
			t.Errorf("category %s: %d cases, want %d", c, got[c], n)
		}
	}
	sub := map[string]int{}
	for _, id := range ids {
		sub[id[:len(id)-len(id[lastDot(id):])]]++
	}
	for s, n := range map[string]int{"6.5": 5, "6.6": 11, "6.12": 8, "6.13": 5, "6.14": 10, "6.22": 34, "6.23": 7, "7.7": 13, "7.9": 9, "9.7": 6, "9.8": 6, "12.1": 18, "12.5": 18, "13.1": 18, "13.7": 18} {
		if sub[s] != n {
			t.Errorf("subcategory %s: %d cases, want %d", s, sub[s], n)
		}
	}
	if ids[0] != "1.1.1" || ids[len(ids)-1] != "13.7.18" || !slices.IsSortedFunc(ids, compareIDs) {
		t.Errorf("case order wrong: first %s, last %s", ids[0], ids[len(ids)-1])
	}
	for _, id := range ids {
		c := lookup(id)
		if c.desc == "" || c.expect == "" || c.open == nil {
			t.Errorf("case %s incomplete", id)
		}
	}
}

func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return 0
}

func TestCaseIDsPatterns(t *testing.T) {
	for _, tc := range []struct {
		in, ex []string
		n      int
		first  string
	}{
		{[]string{"1.*"}, nil, 16, "1.1.1"},
		{[]string{"6.4.*"}, nil, 4, "6.4.1"},
		{[]string{"1.*", "6.4.*"}, nil, 20, "1.1.1"},
		{[]string{"*"}, []string{"9.*"}, 463, "1.1.1"},
		{[]string{"1*"}, nil, 233, "1.1.1"}, // prefix match, as Autobahn: 1.x, 10.x, 12.x and 13.x
		{[]string{"2.10"}, nil, 1, "2.10"},
	} {
		ids, err := CaseIDs(tc.in, tc.ex)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != tc.n || ids[0] != tc.first {
			t.Errorf("CaseIDs(%q, %q) = %d cases from %s, want %d from %s", tc.in, tc.ex, len(ids), ids[0], tc.n, tc.first)
		}
	}
	if _, err := CaseIDs([]string{"99.1"}, nil); err == nil {
		t.Error("unknown case accepted")
	}
}

func TestUTF8Validator(t *testing.T) {
	for _, g := range utf8Groups("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5") {
		for _, s := range g.seqs {
			want := isValid(s)
			// whole, and byte by byte
			var v utf8Validator
			got := v.write([]byte(s)) && v.complete()
			var w utf8Validator
			ok := true
			for i := 0; i < len(s) && ok; i++ {
				ok = w.write([]byte{s[i]})
			}
			got2 := ok && w.complete()
			if got != want || got2 != want {
				t.Errorf("%x: whole %t, bytewise %t, want %t", s, got, got2, want)
			}
		}
	}
	// fail fast: the octet that makes the text invalid is rejected at once
	var v utf8Validator
	if !v.write([]byte("\xce\xba\xf4")) || v.write([]byte{0x90}) {
		t.Error("f4 90 not rejected at the second octet")
	}
}

func isValid(s string) bool { return utf8.ValidString(s) }

// frameRec is a frame as the peer saw it.
type frameRec struct {
	op      frame.Opcode
	fin     bool
	rsv     byte
	payload []byte
}

// capture runs case id as fuzzing server over a pipe and records the frames
// and the sizes of the writes the engine made. After msgs final frames the
// peer closes; it answers a close from the engine.
//
// Setup functions adjust the run before it starts.
func capture(t *testing.T, id string, msgs int, setup ...func(*run)) (frames []frameRec, writes []int) {
	t.Helper()
	a, b := net.Pipe()
	r := newRun(lookup(id), a, true)
	for _, f := range setup {
		f(r)
	}
	done := make(chan struct{})
	go func() { defer close(done); r.execute(nil) }()
	var buf []byte
	read := func(n int) []byte {
		for len(buf) < n {
			chunk := make([]byte, 1<<20)
			b.SetReadDeadline(time.Now().Add(5 * time.Second))
			k, err := b.Read(chunk)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			writes = append(writes, k)
			buf = append(buf, chunk[:k]...)
		}
		out := buf[:n]
		buf = buf[n:]
		return out
	}
	for {
		hb := read(2)
		need := 2
		if _, n, err := frame.ParseHeader(hb); err == frame.ErrShortHeader {
			need = n
		}
		hb = append(hb, read(need-2)...)
		h, _, err := frame.ParseHeader(hb)
		if err != nil {
			t.Fatal(err)
		}
		p := append([]byte(nil), read(int(h.Length))...)
		if h.Masked {
			mask.Apply(h.Key, 0, p)
		}
		frames = append(frames, frameRec{h.Opcode, h.Fin, h.Rsv, p})
		if h.Opcode == frame.OpClose {
			break
		}
		if h.Fin {
			if msgs--; msgs == 0 {
				break
			}
		}
	}
	go io.Copy(io.Discard, b)
	b.Write([]byte{0x88, 0x80, 0, 0, 0, 0}) // empty masked close
	<-done
	b.Close()
	return frames, writes
}

func describe(fs []frameRec) string {
	s := ""
	for _, f := range fs {
		s += fmt.Sprintf("[%d fin=%t rsv=%d len=%d]", f.op, f.fin, f.rsv>>4, len(f.payload))
	}
	return s
}

func TestWireFragments(t *testing.T) {
	// 6.2.3: 1-octet fragments of a 29-octet text, the last one followed by
	// an empty final frame (Autobahn's sendMessage when the size divides).
	fs, _ := capture(t, "6.2.3", 1)
	if len(fs) != 30 || fs[0].op != frame.OpText || fs[0].fin || fs[28].fin || !fs[29].fin || len(fs[29].payload) != 0 {
		t.Errorf("6.2.3 frames: %s", describe(fs))
	}
	// 10.1.1: 65536 octets auto-fragmented by 1300: 1 text + 50 continuation.
	fs, _ = capture(t, "10.1.1", 1)
	if len(fs) != 51 || fs[0].op != frame.OpText || len(fs[50].payload) != 65536%1300 || !fs[50].fin {
		t.Errorf("10.1.1 frames: %d", len(fs))
	}
	// 3.5: binary frame with RSV = 5.
	fs, _ = capture(t, "3.5", 1)
	if fs[0].op != frame.OpBinary || fs[0].rsv != 0x50 {
		t.Errorf("3.5 frames: %s", describe(fs))
	}
}

func TestWireChops(t *testing.T) {
	// 1.1.8: 65536 octets in chops of 997: every write but the last is 997.
	_, w := capture(t, "1.1.8", 1)
	if len(w) < 60 || w[0] != 997 || w[1] != 997 {
		t.Errorf("1.1.8 writes: %v", w[:min(len(w), 5)])
	}
	// 5.9: both frames in one write; 5.10: a write per frame.
	fs, w := capture(t, "5.9", 2)
	if len(fs) != 2 || w[0] != 2+24+2+13 {
		t.Errorf("5.9 writes: %v", w)
	}
	fs, w = capture(t, "5.10", 2)
	if len(fs) != 2 || w[0] != 2+24 || w[1] != 2+13 {
		t.Errorf("5.10 writes: %v", w)
	}
	// 2.6: octet by octet.
	_, w = capture(t, "2.6", 1)
	if len(w) < 127 || w[0] != 1 || w[126] != 1 {
		t.Errorf("2.6 writes: %v", w[:min(len(w), 5)])
	}
}

func TestWireCompressed(t *testing.T) {
	p := deflate.Params{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}
	negotiate := func(r *run) { r.pmce = newPMCE(p, true, "permessage-deflate") }
	compressionData[0].load() // before capture's read deadlines run

	// 12.1.11: 8192 characters of JSON, compressed, then cut in fragments
	// of 256 octets; only the first has RSV1.
	fs, _ := capture(t, "12.1.11", 1, negotiate)
	var z []byte
	for i, f := range fs {
		wantOp, wantRsv := frame.OpContinuation, byte(0)
		if i == 0 {
			wantOp, wantRsv = frame.OpText, frame.RSV1
		}
		last := i == len(fs)-1
		if f.op != wantOp || f.rsv != wantRsv || f.fin != last || (!last && len(f.payload) != 256) {
			t.Fatalf("12.1.11 frames: %s", describe(fs))
		}
		z = append(z, f.payload...)
	}
	got, err := newPMCE(p, false, "").decompress(nil, z)
	if td := compressionData[0]; err != nil || !bytes.Equal(got, td.data[:8192]) {
		t.Errorf("12.1.11 message does not decompress to the data (%v)", err)
	}
	// Without permessage-deflate the case sends nothing and closes.
	fs, _ = capture(t, "12.1.11", 1)
	if len(fs) != 1 || fs[0].op != frame.OpClose {
		t.Errorf("12.1.11 without compression: %s", describe(fs))
	}
}
