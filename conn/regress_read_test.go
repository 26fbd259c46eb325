//go:build !js

package conn

import (
	"bytes"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
)

// Regression tests for the read-side defects of issue 12.

// readOrStall runs read in the background. If it has not returned after
// wait, the connection is torn down with CloseNow, which must make it
// return at once; the test fails if it does not return even then.
func readOrStall(t *testing.T, c *Conn, wait time.Duration, read func() error) error {
	t.Helper()
	ch := make(chan error, 1)
	go func() { ch <- read() }()
	select {
	case err := <-ch:
		return err
	case <-time.After(wait):
	}
	c.CloseNow()
	select {
	case err := <-ch:
		t.Fatalf("the read returned only after CloseNow: %v", err)
		return err
	case <-time.After(2 * time.Second):
		t.Fatal("the read does not return, not even after CloseNow (spinning?)")
		return nil
	}
}

// A continuation whose declared length, added to the message so far,
// overflows int64 must fail with 1009 like any other oversized message
// (issue 12, defect 1: it made Read spin forever).
func TestContinuationLengthOverflow(t *testing.T) {
	for _, rd := range readers {
		for _, k := range []int64{0, 1, 5, 126} {
			t.Run(fmt.Sprintf("%s/MaxInt64-%d", rd.name, k), func(t *testing.T) {
				checkGoroutines(t)
				c, p := rawPair(t, frame.Server, nil) // the defaults: 1 MiB limit
				go func() {
					p.send(false, 0, frame.OpBinary, []byte("ab"))
					p.sendBytes(frame.AppendHeader(nil, frame.Header{Opcode: frame.OpContinuation, Fin: true, Masked: true, Length: math.MaxInt64 - k}))
					p.nc.Write(make([]byte, DefaultReadLimit+1))
				}()
				res := make(chan error, 1)
				go func() {
					_, _, err := rd.read(c)
					res <- err
				}()
				p.failedWith(closecode.MessageTooBig)
				err := readOrStall(t, c, 3*time.Second, func() error { return <-res })
				wantCloseError(t, err, closecode.MessageTooBig, false)
			})
		}
	}
}

// Every value a caller can give ReadLimit works (issue 12, defect 2:
// math.MaxInt64 panicked with "slice bounds out of range").
func TestReadLimitExtremes(t *testing.T) {
	for _, limit := range []int64{math.MaxInt64, math.MaxInt64 - 1, math.MaxInt64 / 2, 1<<62 + 1, 1, -1, math.MinInt64} {
		for _, rd := range readers {
			checkGoroutines(t)
			o := shortOpts()
			o.ReadLimit = limit
			c, p := rawPair(t, frame.Server, o)
			for _, size := range []int{0, 1, 5000, 70000} {
				want := bytes.Repeat([]byte{'x'}, size)
				res := async(t, func() readRes {
					typ, msg, err := rd.read(c)
					return readRes{typ, msg, err}
				})
				p.send(false, 0, frame.OpText, want[:size/2])
				p.send(true, 0, frame.OpContinuation, want[size/2:])
				r := res()
				switch {
				case limit == 1 && size > 1:
					wantCloseError(t, r.err, closecode.MessageTooBig, false)
				case r.err != nil || !bytes.Equal(r.msg, want):
					t.Fatalf("limit %d %s: %d bytes: got %d bytes, %v", limit, rd.name, size, len(r.msg), r.err)
				}
				if r.err != nil {
					break
				}
			}
		}
	}
}

// While a read waits for the rest of a message, it waits in the network:
// the process burns no CPU whatever lengths the peer announced (the
// invariant behind issue 12, defect 1: no read loop iterates without
// consuming input, returning or failing). The read returns at once when
// the connection is torn down.
func TestStalledReadDoesNotSpin(t *testing.T) {
	long := func(n int64) []byte {
		return frame.AppendHeader(nil, frame.Header{Opcode: frame.OpContinuation, Fin: true, Masked: true, Length: n})
	}
	cases := []struct {
		name  string
		limit int64
		send  func(p *rawPeer)
	}{
		{"mid-frame", 0, func(p *rawPeer) {
			b := p.frameBytes(true, 0, frame.OpBinary, make([]byte, 3000))
			p.sendBytes(b[:1000])
		}},
		{"mid-header", 0, func(p *rawPeer) {
			p.sendBytes(long(1 << 40)[:5])
		}},
		{"no limit, 2^63-1 continuation", -1, func(p *rawPeer) {
			p.send(false, 0, frame.OpBinary, []byte("ab"))
			p.sendBytes(long(math.MaxInt64))
			p.sendBytes(make([]byte, 70000))
		}},
		{"max limit, 2^63-3 continuation", math.MaxInt64, func(p *rawPeer) {
			p.send(false, 0, frame.OpText, []byte("ab"))
			p.sendBytes(long(math.MaxInt64 - 2))
			p.sendBytes(bytes.Repeat([]byte{'a'}, 70000))
		}},
		{"2^32+1 frame", -1, func(p *rawPeer) {
			p.sendBytes(frame.AppendHeader(nil, frame.Header{Opcode: frame.OpBinary, Fin: true, Masked: true, Length: 1<<32 + 1}))
			p.sendBytes(make([]byte, 5000))
		}},
	}
	for _, tt := range cases {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				checkGoroutines(t)
				o := shortOpts()
				o.ReadLimit = tt.limit
				c, p := rawPair(t, frame.Server, o)
				ch := make(chan error, 1)
				go func() {
					_, _, err := rd.read(c)
					ch <- err
				}()
				tt.send(p)
				time.Sleep(100 * time.Millisecond) // let the read take in what was sent
				before := cpuTime()
				start := time.Now()
				select {
				case err := <-ch:
					t.Fatalf("read returned while the peer was still sending: %v", err)
				case <-time.After(300 * time.Millisecond):
				}
				used := time.Duration(cpuTime() - before)
				if wall := time.Since(start); used > wall/3 {
					t.Errorf("the process burned %v of CPU in %v while a read waited for input", used, wall)
				}
				c.CloseNow()
				select {
				case err := <-ch:
					wantCloseError(t, err, closecode.Abnormal, false)
				case <-time.After(2 * time.Second):
					t.Fatal("the read does not return after CloseNow")
				}
			})
		}
	}
}
