package fuzz

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/mask"
)

// The fuzz input of FuzzConnFrames is a list of frame specs of specSize bytes
// each:
//
//	byte 0: the first byte of the header as sent: FIN, RSV1-3, opcode
//	byte 1: bits 0-3 the length class, bits 4-5 the payload fill,
//	        bits 6-7 the masking (see below)
//	byte 2, byte 3: parameters a and b of the length class
//
// followed, for the lengthRaw64 class, by the 8 bytes of the length, and for
// the fillLiteral fill by the payload bytes.
const specSize = 4

// Length classes: how a spec sets the declared payload length d, its
// encoding, and the number of payload bytes s actually sent. a and b are
// bytes 2 and 3 of the spec; int8(a) is a small signed offset.
const (
	lengthSmall      = iota // d = s = a%126, in the second byte
	length126               // d = s = 124..127: across the 7/16-bit boundary
	length16                // d = a<<8|b in 16 bits, minimal or not; s = min(d, maxSend)
	lengthNear16            // d = 2^16 + int8(a), minimal; s = min(d, 16*b)
	lengthNear32            // d = 2^32 + int8(a); s = 16*b
	lengthMax63             // d = 2^63-1-a; s = 16*b
	lengthMSB               // d = 2^63+a, or 2^64-1-a%128 when a >= 128: the MSB set; s = 16*b
	lengthNearLimit         // d = s = ReadLimit + int8(a)
	lengthLonger            // s = a, d = s + 1 + b: the header declares more than is sent
	lengthShorter           // s = 2*a, d = s - min(s, b): the rest is read as the next header
	lengthNonMinimal        // d = s = a%126 in 16 bits (b even) or 64 bits (b odd), or 2^16-1-a in 64 bits when b&2
	lengthRaw64             // d = the next 8 bytes of the input, in 64 bits; s = min(d, 16*b)
	lengthLimitEdge         // d = ReadLimit - (the message's declared length so far) + int8(a); s = min(d, maxSend)
	lengthSumEdge           // d = MaxInt64 - (the message's declared length so far) + 1 + int8(a); s = 16*b
	lengthCut               // the header of d = 5, 300 or 70000 (b%3), cut after a%size bytes: the stream ends there
	lengthZero              // d = s = 0
)

// Payload fills: what the s bytes sent are.
const (
	fillASCII   = iota // letters; for a close frame, code 1000 then letters
	fillUTF8           // "κόσμε " repeated across the frames of a message, cut anywhere
	fillLiteral        // the next s bytes of the input (zeros past its end)
	fillDeflate        // the next bytes of a DEFLATE stream: of text under the read limit for a text message, of noise over it for a binary one
)

// Maskings: bits 6-7 of byte 1.
const (
	maskRole  = iota // as the role needs, with a key from the spec
	maskRole2        // the same
	maskZero         // as the role needs, with the key 0 0 0 0
	maskWrong        // the other way round: a protocol error
)

const (
	maxSpecs  = 64      // frames per input
	maxSend   = 4 << 10 // payload bytes sent for one frame
	maxStream = 8 << 10 // bytes in the whole stream
)

// deflatedText and deflatedNoise are the DEFLATE streams of fillDeflate:
// UTF-8 text a little under the read limit, which a message must send whole
// and alone to be valid, and noise of several times the limit, which does not
// compress.
var deflatedText, deflatedNoise = sync.OnceValue(func() []byte {
	var b strings.Builder
	for i := 0; b.Len() < connReadLimit-20; i++ {
		b.WriteString([]string{"Hello, ", "κόσμε ", "world! ", "\U0001F600 ", "edited "}[i*7%5])
	}
	return compressedSeed(b.String())
}), sync.OnceValue(func() []byte { return compressedSeed(string(noiseSeed(maxSend))) })

// buildFrames turns a list of frame specs into the byte stream a peer sends;
// masked is set when the peer is a client, which masks its frames. It emits
// any header, with lengths and encodings that frame.PutHeader refuses or never
// produces, and declared lengths that do not match the payload sent.
func buildFrames(spec []byte, masked bool) []byte {
	var out []byte
	var sum uint64        // declared length of the open data message's frames so far, wrapping
	var deflated []byte   // the DEFLATE stream of the current data message
	var dpos int          // how much of it has been sent
	var upos int          // how much UTF-8 fill the message has had
	var letter byte = 'a' // the next ASCII fill letter
	for i := 0; len(spec) >= specSize && i < maxSpecs && len(out) < maxStream; i++ {
		b0, b1, a, b := spec[0], spec[1], spec[2], spec[3]
		spec = spec[specSize:]
		fin, rsv, op := b0&0x80 != 0, b0&0x70, frame.Opcode(b0&0x0f)

		var d, s uint64
		var enc lenEncoding
		minimal := true
		cut := -1 // bytes of the header to keep, for lengthCut
		send16 := uint64(b) * 16
		switch b1 & 0x0f {
		case lengthSmall:
			d, s = uint64(a%126), uint64(a%126)
		case length126:
			d = 124 + uint64(a%4)
			s = d
		case length16:
			d, enc, minimal = uint64(a)<<8|uint64(b), len16, false
			s = min(d, maxSend)
		case lengthNear16:
			d = uint64(1<<16 + int64(int8(a)))
			s = min(d, send16)
		case lengthNear32:
			d, s = uint64(1<<32+int64(int8(a))), send16
		case lengthMax63:
			d, s = math.MaxInt64-uint64(a), send16
		case lengthMSB:
			d = 1<<63 + uint64(a)
			if a >= 128 {
				d = math.MaxUint64 - uint64(a%128)
			}
			s = send16
		case lengthNearLimit:
			d = uint64(connReadLimit + int64(int8(a)))
			s = d
		case lengthLonger:
			s = uint64(a)
			d = s + 1 + uint64(b)
		case lengthShorter:
			s = 2 * uint64(a)
			d = s - min(s, uint64(b))
		case lengthNonMinimal:
			d, enc, minimal = uint64(a%126), len16, false
			if b&1 != 0 {
				enc = len64
			}
			if b&2 != 0 {
				d, enc = 0xffff-uint64(a), len64
			}
			s = d
		case lengthRaw64:
			if len(spec) < 8 {
				spec = append(spec, make([]byte, 8-len(spec))...)
			}
			d, enc, minimal = binary.BigEndian.Uint64(spec), len64, false
			spec = spec[8:]
			s = min(d, send16)
		case lengthLimitEdge:
			d = uint64(connReadLimit) - sum + uint64(int64(int8(a)))
			s = min(d, maxSend)
		case lengthSumEdge:
			d = math.MaxInt64 - sum + 1 + uint64(int64(int8(a)))
			s = send16
		case lengthCut:
			d = []uint64{5, 300, 70000}[b%3]
			cut = int(a)
		case lengthZero:
		}
		if minimal {
			enc = minimalEncoding(d)
		}
		s = min(s, maxSend)

		// A new data message: its DEFLATE stream, and its sum of
		// lengths, start over.
		if op == frame.OpText || op == frame.OpBinary {
			sum, dpos, upos = 0, 0, 0
			deflated = deflatedNoise()
			if op == frame.OpText {
				deflated = deflatedText()
			}
		}

		payload := make([]byte, s)
		switch b1 >> 4 & 3 {
		case fillASCII:
			for j := range payload {
				payload[j] = letter
			}
			letter = 'a' + (letter-'a'+1)%26
			if op == frame.OpClose {
				copy(payload, "\x03\xe8")
			}
		case fillUTF8:
			for j := range payload {
				payload[j] = "κόσμε "[(upos+j)%len("κόσμε ")]
			}
			upos += len(payload)
		case fillLiteral:
			n := copy(payload, spec)
			spec = spec[n:]
		case fillDeflate:
			if deflated == nil {
				deflated = deflatedNoise()
			}
			dpos += copy(payload, deflated[min(dpos, len(deflated)):])
		}

		var key *[4]byte
		m := masked
		switch b1 >> 6 {
		case maskRole, maskRole2:
			key = &[4]byte{0x37, a, b, byte(i)}
		case maskZero:
			key = &[4]byte{}
		case maskWrong:
			key = &[4]byte{0x37, 0xfa, 0x21, 0x3d}
			m = !masked
		}
		if !m {
			key = nil
		}
		start := len(out)
		out = appendRawHeader(out, fin, rsv, byte(op), key, enc, d)
		if cut >= 0 {
			out = out[:start+cut%(len(out)-start)]
			break
		}
		start = len(out)
		out = append(out, payload...)
		if key != nil {
			// Bytes sent past the declared length are meant as the
			// next header: they are not masked.
			mask.Apply(*key, 0, out[start:start+int(min(s, d))])
		}

		if op == frame.OpText || op == frame.OpBinary || op == frame.OpContinuation {
			sum += d
		}
	}
	return out[:min(len(out), maxStream)]
}

// FuzzConnFrames is a structure-aware variant of FuzzConnServer and
// FuzzConnClient: the input is decoded (see specSize) into frames whose
// header fields, declared length (by classes at the edges: 7/16/64-bit
// boundaries, 2^16, 2^32, 2^63-1-k, the MSB, the read limit and the int64
// range minus the message's length so far, non-minimal encodings, and
// lengths larger or smaller than the payload sent), payload and masking it
// picks, and the stream is read by a conn.Conn of either role through
// fuzzConn, with the same mode byte and the same checks: the right close
// code, no panic, hang, spin (no progress for ~300 ms fails), leaked
// goroutine or unbounded allocation.
func FuzzConnFrames(f *testing.F) {
	for _, s := range connFramesSeeds() {
		f.Add(s.mode, s.client, s.spec)
	}
	f.Fuzz(func(t *testing.T, mode uint8, client bool, spec []byte) {
		defer watchdog()()
		role := frame.Server
		if client {
			role = frame.Client
		}
		fuzzConn(t, role, mode, buildFrames(spec, role == frame.Server))
	})
}

// frameSpec returns the spec of one frame; fill and masking are the
// fill* and mask* constants.
func frameSpec(b0 byte, class, fill, masking, a, b byte) []byte {
	return []byte{b0, class | fill<<4 | masking<<6, a, b}
}

// connFramesSeed is an input of FuzzConnFrames.
type connFramesSeed struct {
	name   string
	mode   uint8
	client bool
	spec   []byte
}

// connFramesSeeds returns the f.Add seeds of FuzzConnFrames: ordinary
// messages, fragments, compressed messages, control frames between
// fragments, and each length class at least once. None of them makes the
// message's length sum overflow: see connFramesIssue12Seeds.
func connFramesSeeds() []connFramesSeed {
	const (
		text   = byte(frame.OpText)
		binary = byte(frame.OpBinary)
		cont   = byte(frame.OpContinuation)
		ping   = byte(frame.OpPing)
		closeF = byte(frame.OpClose)
		fin    = 0x80
		rsv1   = frame.RSV1
	)
	cat := func(specs ...[]byte) []byte { return bytes.Join(specs, nil) }
	closeNormal := frameSpec(fin|closeF, lengthSmall, fillASCII, maskRole, 5, 0)
	var seeds []connFramesSeed
	add := func(name string, mode uint8, spec []byte) {
		seeds = append(seeds, connFramesSeed{name: name, mode: mode, spec: spec},
			connFramesSeed{name: name + "-client", mode: mode, client: true, spec: spec})
	}
	// small returns the spec of a frame of n bytes of the given fill, in
	// the length class that sends n bytes.
	small := func(b0 byte, n int, fill byte) []byte {
		if n < 126 {
			return frameSpec(b0, lengthSmall, fill, maskRole, byte(n), 0)
		}
		return frameSpec(b0, length16, fill, maskRole, byte(n>>8), byte(n))
	}
	dtext := len(deflatedText())
	add("text-close", 0, cat(frameSpec(fin|text, lengthSmall, fillUTF8, maskRole, 11, 0), closeNormal))
	add("fragments-ping", modeReader, cat(
		frameSpec(text, lengthSmall, fillASCII, maskRole, 10, 0),
		frameSpec(fin|ping, lengthSmall, fillASCII, maskRole, 4, 0),
		frameSpec(cont, length126, fillASCII, maskZero, 2, 0),
		frameSpec(fin|cont, lengthSmall, fillASCII, maskRole, 10, 0),
		closeNormal))
	add("fragments-utf8", modeChunk0, cat(
		frameSpec(text, lengthSmall, fillUTF8, maskRole, 7, 0),
		frameSpec(fin|cont, lengthSmall, fillUTF8, maskRole, 4, 0)))
	add("binary-16bit", modeBuffered|0x30, cat(frameSpec(fin|binary, length16, fillASCII, maskRole, 1, 44), closeNormal))
	add("compressed", modeCompress|modeTakeover, cat(small(fin|rsv1|text, dtext, fillDeflate), small(fin|rsv1|text, dtext, fillDeflate), closeNormal))
	add("compressed-fragments", modeCompress, cat(
		small(rsv1|text, 7, fillDeflate),
		frameSpec(fin|ping, lengthSmall, fillASCII, maskRole, 4, 0),
		small(cont, 10, fillDeflate),
		small(fin|cont, dtext-17, fillDeflate),
		closeNormal))
	add("compressed-over-limit", modeCompress, cat(frameSpec(fin|rsv1|binary, length16, fillDeflate, maskRole, 4, 0), closeNormal))
	add("limit-edge", modeWrite, cat(
		frameSpec(binary, length16, fillASCII, maskRole, 2, 88),
		frameSpec(fin|cont, lengthLimitEdge, fillASCII, maskRole, 0, 0),
		frameSpec(binary, length16, fillASCII, maskRole, 2, 88),
		frameSpec(fin|cont, lengthLimitEdge, fillASCII, maskRole, 1, 0)))
	add("near-limit", modeChunk1, cat(frameSpec(fin|text, lengthNearLimit, fillASCII, maskRole, 0, 0)))
	add("near-16", 0, cat(frameSpec(fin|binary, lengthNear16, fillASCII, maskRole, 0xff, 64)))
	add("near-32", modeReader, cat(frameSpec(fin|binary, lengthNear32, fillASCII, maskRole, 1, 64)))
	add("max63", 0, cat(frameSpec(fin|text, lengthMax63, fillASCII, maskRole, 5, 63)))
	add("msb", 0, cat(frameSpec(fin|binary, lengthMSB, fillASCII, maskRole, 0, 1)))
	add("longer", 0, cat(frameSpec(fin|binary, lengthLonger, fillASCII, maskRole, 10, 3), closeNormal))
	add("shorter", 0, cat(frameSpec(fin|binary, lengthShorter, fillLiteral, maskRole, 4, 2), []byte("abcdef\x88\x00")))
	add("non-minimal-16", 0, cat(frameSpec(fin|text, lengthNonMinimal, fillASCII, maskRole, 5, 0), closeNormal))
	add("non-minimal-64", 0, cat(frameSpec(fin|text, lengthNonMinimal, fillASCII, maskRole, 5, 1), closeNormal))
	add("raw64", 0, append(frameSpec(fin|binary, lengthRaw64, fillASCII, maskRole, 0, 4), 0, 0, 0, 0, 0, 1, 0, 0))
	add("cut-header", 0, cat(frameSpec(fin|text, lengthSmall, fillASCII, maskRole, 3, 0), frameSpec(fin|binary, lengthCut, fillASCII, maskRole, 3, 2)))
	add("empty-fragments", 0, cat(
		frameSpec(text, lengthZero, fillASCII, maskRole, 0, 0),
		frameSpec(cont, lengthZero, fillASCII, maskRole, 0, 0),
		frameSpec(fin|cont, lengthZero, fillASCII, maskRole, 0, 0), closeNormal))
	add("sum-edge-single", 0, cat(frameSpec(fin|binary, lengthSumEdge, fillASCII, maskRole, 0xff, 63)))
	add("wrong-mask", 0, cat(frameSpec(fin|text, lengthSmall, fillASCII, maskWrong, 5, 0)))
	add("reserved", 0, cat(frameSpec(fin|0x20|text, lengthSmall, fillASCII, maskRole, 5, 0), frameSpec(fin|0x3, lengthSmall, fillASCII, maskRole, 5, 0)))
	add("close-literal", modePeerOpen, cat(frameSpec(fin|closeF, lengthSmall, fillLiteral, maskRole, 4, 0), []byte("\x03\xe8ok")))
	return seeds
}

// connFramesIssue12Seeds returns inputs of FuzzConnFrames that reproduce
// issue 12, defect 1: a non-final data frame, then a continuation whose
// 64-bit length makes the message's total overflow int64, then more than
// ReadLimit payload bytes. On cf22e26, Read spins. They are corpus files,
// written by TestWriteCorpus.
func connFramesIssue12Seeds() []connFramesSeed {
	var seeds []connFramesSeed
	for _, c := range []struct {
		name        string
		first, cont []byte
	}{
		// MaxInt64-5 after 10 bytes, as in the issue; 16*63 bytes sent.
		{"binary-10-then-maxint64-5", frameSpec(byte(frame.OpBinary), lengthSmall, fillASCII, maskRole, 10, 0),
			frameSpec(0x80|byte(frame.OpContinuation), lengthMax63, fillASCII, maskRole, 5, 63)},
		{"text-10-then-maxint64-5", frameSpec(byte(frame.OpText), lengthSmall, fillASCII, maskRole, 10, 0),
			frameSpec(0x80|byte(frame.OpContinuation), lengthMax63, fillASCII, maskRole, 5, 63)},
		// The least length that overflows after 10 bytes.
		{"binary-10-then-sum-edge", frameSpec(byte(frame.OpBinary), lengthSmall, fillASCII, maskRole, 10, 0),
			frameSpec(byte(frame.OpContinuation), lengthSumEdge, fillASCII, maskRole, 0, 63)},
	} {
		for _, mode := range []uint8{0, modeReader} {
			for _, client := range []bool{false, true} {
				name := c.name
				if mode != 0 {
					name += "-reader"
				}
				if client {
					name += "-client"
				}
				seeds = append(seeds, connFramesSeed{name: name, mode: mode, client: client, spec: append(append([]byte{}, c.first...), c.cont...)})
			}
		}
	}
	return seeds
}

// TestConnFramesSeeds checks that buildFrames builds what the seeds of
// FuzzConnFrames mean, from what the conn makes of them: the messages' sizes
// and the close code.
func TestConnFramesSeeds(t *testing.T) {
	defer func(d time.Duration) { connCloseTimeout = d }(connCloseTimeout)
	connCloseTimeout = time.Second // no spurious timeouts on a loaded machine
	type want struct {
		msgs []int
		code closecode.Code
	}
	tooBig := want{nil, closecode.MessageTooBig}
	proto := want{nil, closecode.ProtocolError}
	wants := map[string]want{
		"text-close":            {[]int{11}, closecode.Normal},
		"fragments-ping":        {[]int{146}, closecode.Normal},
		"fragments-utf8":        {[]int{11}, closecode.Abnormal},
		"binary-16bit":          {[]int{300}, closecode.Normal},
		"compressed":            {[]int{983, 983}, closecode.Normal},
		"compressed-fragments":  {[]int{983}, closecode.Normal},
		"compressed-over-limit": tooBig,
		"limit-edge":            {[]int{1000}, closecode.MessageTooBig},
		"near-limit":            {[]int{1000}, closecode.Abnormal},
		"near-16":               tooBig,
		"near-32":               tooBig,
		"max63":                 tooBig,
		"msb":                   proto,
		"longer":                {[]int{14}, closecode.ProtocolError},
		"shorter":               {[]int{6}, closecode.ProtocolError},
		"shorter-client":        {[]int{6}, closecode.NoStatus}, // the bytes after the declared 6 are a close frame
		"non-minimal-16":        proto,
		"non-minimal-64":        proto,
		"raw64":                 tooBig,
		"cut-header":            {[]int{3}, closecode.Abnormal},
		"empty-fragments":       {[]int{0}, closecode.Normal},
		"sum-edge-single":       tooBig,
		"wrong-mask":            proto,
		"reserved":              proto,
		"close-literal":         {nil, closecode.Normal},
	}
	for _, s := range connFramesSeeds() {
		w, ok := wants[s.name]
		if !ok {
			w, ok = wants[strings.TrimSuffix(s.name, "-client")]
		}
		if !ok {
			t.Errorf("%s: no expected outcome", s.name)
			continue
		}
		role := frame.Server
		if s.client {
			role = frame.Client
		}
		out := fuzzConn(t, role, s.mode, buildFrames(s.spec, role == frame.Server))
		var sizes []int
		for _, m := range out.msgs {
			sizes = append(sizes, len(m))
		}
		if !slices.Equal(sizes, w.msgs) || out.end.Code != w.code {
			t.Errorf("%s: messages of %v bytes, then %v; want %v, then code %d", s.name, sizes, out.end, w.msgs, w.code)
		}
	}
}
