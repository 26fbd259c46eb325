// Package fuzz holds hybi's fuzz targets: one go test -fuzz target for every
// parser of untrusted input, written against the exported API of the packages
// they exercise (and internal/utf8valid). The package has no non-test code.
//
// The targets are:
//
//	FuzzFrameHeader      frame.ParseHeader: short-input contract, re-encoding, frame.Rules in both roles
//	FuzzFrameReadHeader  frame.ReadHeader over a bufio.Reader and a plain reader, with random chunking
//	FuzzConnServer       a whole incoming byte stream read by a server-side conn.Conn
//	FuzzConnClient       the same for a client-side conn.Conn
//	FuzzConnFrames       a conn.Conn of either role reading frames built from fuzzed specs (header bits, length classes, payload, masking)
//	FuzzProtocolChunks   protocol.Protocol.Parse: one stream whole, byte by byte and in random chunks gives the same events and output
//	FuzzProtocolInput    a protocol.Protocol fed arbitrary bytes in both roles, with and without compression, with driver calls between
//	FuzzProtocolRoundTrip a client and a server protocol.Protocol exchange messages by every write path, then close cleanly
//	FuzzUpgradeConn      handshake.Upgrader.UpgradeConn on a fuzzed request
//	FuzzUpgradePaths     UpgradeConn against net/http + Upgrader.Upgrade on the same request
//	FuzzDialResponse     handshake.Dialer.Dial reading a fuzzed response
//	FuzzParseExtensions  handshake.ParseExtensions and its FormatExtensions round trip
//	FuzzClosePayload     closecode.Parse and its Append round trip
//	FuzzCloseAppend      closecode.Append of any code and reason, parsed back
//	FuzzUTF8             internal/utf8valid against unicode/utf8 under many chunkings
//	FuzzMask             mask.Apply against a byte loop, any key, position, alignment and chunking
//	FuzzDecompress       deflate.Decompressor on arbitrary data, against compress/flate
//	FuzzDeflateRoundTrip deflate negotiation, then Compressor to Decompressor round trips
//
// Each target states in its comment what it checks. Every target also runs
// under a watchdog: an input that takes more than 10 s panics the process, so
// that the fuzzing engine records a hang as a crasher. The conn targets fail
// sooner: an input after which the conn makes no progress (no byte read or
// written, no payload returned) for about 300 ms while the application still
// reads fails as blocked or spinning, by the CPU time used meanwhile.
//
// The seed corpora live in testdata/fuzz/<Target>/ (go's "go test fuzz v1"
// format), next to the f.Add seeds in the code: the RFC 6455 §5.7 frames,
// Chrome, Firefox and Safari handshake requests, the malformed cases of the
// unit tests, and streams of valid and invalid frames for the connection
// targets. The files named seed-* are written by TestWriteCorpus
// (HYBI_WRITE_CORPUS=1 go test ./fuzz/ -run TestWriteCorpus); those named
// cache-* are a sample of the interesting inputs of earlier campaigns, taken
// from the fuzz cache, so that short runs start from a good coverage; every
// crasher found is added there under the name go test gives it, so that a plain
//
//	go test ./fuzz/
//
// (or go test ./...) replays the whole corpus as regression tests.
//
// Every crasher ever found stays in its target's corpus under testdata/fuzz,
// so the replay checks its fix.
//
// To fuzz one target, from the module root:
//
//	go test ./fuzz/ -run '^$' -fuzz '^FuzzConnServer$' -fuzztime 1m
//
// A crasher is written to fuzz/testdata/fuzz/<Target>/ and replayed with
//
//	go test ./fuzz/ -run '^FuzzConnServer/<file name>$' -v
//
// To fuzz every target of the module (those of this package and any other
// Fuzz function, such as frame's own FuzzParseHeader) one after the other, use
// the runner, which reports executions, new interesting inputs and crashes per
// target and exits non-zero on a crash:
//
//	go run ./fuzz/cmd/fuzzall -fuzztime 15s
//
// (go run ./fuzz/cmd/fuzzall -list lists them.)
//
// A long campaign runs each target for longer, optionally only some of them,
// with as many fuzzing workers as there are cores (the default of -parallel),
// keeping the interesting inputs in the fuzz cache (go env GOCACHE) between
// runs:
//
//	go run ./fuzz/cmd/fuzzall -fuzztime 10m
//	go run ./fuzz/cmd/fuzzall -fuzztime 1h -run 'Conn|Upgrade' -parallel 4
package fuzz
