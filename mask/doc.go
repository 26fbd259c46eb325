// Package mask implements WebSocket payload masking as defined in
// RFC 6455, section 5.3.
//
// Every frame sent from a client to a server carries a 4-byte masking key,
// and its payload is XORed octet by octet with that key, repeated. Because
// XOR is its own inverse, the same operation masks and unmasks.
//
// [Apply] works in place and can continue in the middle of the key, so a
// payload that arrives in pieces can be unmasked piece by piece: feed the
// position returned by one call into the next.
//
// On amd64 the work is done by assembly routines using SSE2, and AVX2 for
// longer buffers when the processor and operating system support it. Other
// architectures, and builds with the purego build tag, use a portable Go
// implementation that processes eight bytes at a time.
package mask
