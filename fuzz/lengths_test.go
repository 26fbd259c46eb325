package fuzz

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/hybi/ws/frame"
)

// extremeLengths are payload lengths at the edges of the header's length
// fields and of int64 arithmetic: a frame announcing one of them, alone or
// after the first frames of a message, must be refused as too big (or
// rejected as malformed) without an overflow in the sum of the message's
// frame lengths.
var extremeLengths = []struct {
	name string
	n    uint64
}{
	{"maxint64", math.MaxInt64},
	{"maxint64-1", math.MaxInt64 - 1},
	{"maxint64-5", math.MaxInt64 - 5},
	{"maxint64-126", math.MaxInt64 - 126},
	{"pow32-1", 1<<32 - 1},
	{"pow32+1", 1<<32 + 1},
	{"pow16-1", 1<<16 - 1},
	{"pow16", 1 << 16},
	{"pow16+1", 1<<16 + 1},
}

// lengthSeed is a stream of frames for the conn targets.
type lengthSeed struct {
	name   string
	stream []byte
	rsv1   bool // it has compressed frames: worth running with compression
}

// noiseSeed returns n bytes that look random and do not compress.
func noiseSeed(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// lengthSeeds returns, for every extreme length, streams in which a peer of
// the role that masks when masked is set announces it: in a single text,
// binary or compressed binary frame, and in a continuation after a non-final
// text or binary frame of 10 bytes, a binary one of 200 bytes (more than
// 126, so that MaxInt64-126 plus it overflows too) or a compressed one. Each
// frame that announces the length is followed by connReadLimit+1 payload
// bytes, enough to reach the read limit if the announced length got past it.
func lengthSeeds(masked bool) []lengthSeed {
	over := []byte(strings.Repeat("a", connReadLimit+1))
	deflated := compressedSeed(string(noiseSeed(connReadLimit + 100)))
	small := func(fin bool, rsv, op byte, p []byte) []byte {
		return rawFrame(fin, rsv, op, masked, minimalEncoding(uint64(len(p))), uint64(len(p)), p)
	}
	var seeds []lengthSeed
	for _, l := range extremeLengths {
		big := func(fin bool, rsv, op byte, p []byte) []byte {
			return rawFrame(fin, rsv, op, masked, minimalEncoding(l.n), l.n, p)
		}
		add := func(shape string, rsv1 bool, frames ...[]byte) {
			seeds = append(seeds, lengthSeed{name: fmt.Sprintf("len-%s-%s", l.name, shape), stream: bytes.Join(frames, nil), rsv1: rsv1})
		}
		// cont adds an uncompressed message of a first frame of n bytes
		// and a continuation announcing l.n.
		cont := func(shape string, op byte, n int) {
			add(shape, false, small(false, 0, op, over[:n]), big(true, 0, byte(frame.OpContinuation), over))
		}
		text, binary := byte(frame.OpText), byte(frame.OpBinary)
		add("text", false, big(true, 0, text, over))
		add("binary", false, big(true, 0, binary, over))
		add("binary-rsv1", true, big(true, frame.RSV1, binary, deflated))
		cont("cont-after-text-10", text, 10)
		cont("cont-after-binary-10", binary, 10)
		cont("cont-after-binary-200", binary, 200)
		add("cont-after-binary-rsv1-10", true, small(false, frame.RSV1, binary, deflated[:10]), big(true, 0, byte(frame.OpContinuation), deflated[10:]))
	}
	return seeds
}

// lengthHeaders returns frame headers, unmasked and masked, that announce
// the extreme lengths, also in non-minimal encodings and with the most
// significant bit of the 64-bit length set, for the frame targets.
func lengthHeaders() map[string][]byte {
	hs := map[string][]byte{}
	for _, masked := range []bool{false, true} {
		m := "unmasked"
		var key *[4]byte
		if masked {
			m, key = "masked", &seedKey
		}
		for _, l := range extremeLengths {
			hs[fmt.Sprintf("len-%s-%s", l.name, m)] = appendRawHeader(nil, true, 0, byte(frame.OpBinary), key, minimalEncoding(l.n), l.n)
			hs[fmt.Sprintf("len-%s-cont-%s", l.name, m)] = appendRawHeader(nil, false, 0, byte(frame.OpContinuation), key, minimalEncoding(l.n), l.n)
		}
		for name, n := range map[string]uint64{
			"msb":         1 << 63,
			"msb+5":       1<<63 + 5,
			"maxuint64":   math.MaxUint64,
			"maxuint64-5": math.MaxUint64 - 5,
		} {
			hs[fmt.Sprintf("len-%s-%s", name, m)] = appendRawHeader(nil, true, 0, byte(frame.OpBinary), key, len64, n)
		}
		hs["len-pow16-1-in-64-bits-"+m] = appendRawHeader(nil, true, 0, byte(frame.OpBinary), key, len64, 1<<16-1)
		hs["len-125-in-16-bits-"+m] = appendRawHeader(nil, true, 0, byte(frame.OpBinary), key, len16, 125)
		hs["len-126-in-64-bits-"+m] = appendRawHeader(nil, true, 0, byte(frame.OpBinary), key, len64, 126)
	}
	return hs
}
