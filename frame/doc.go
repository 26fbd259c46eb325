// Package frame encodes and decodes the WebSocket frame header of
// RFC 6455 §5.2 and checks received headers against the rules a receiver
// must enforce.
//
// The package handles headers only; payload bytes, masking and message
// assembly belong to the caller. ParseHeader works on a byte slice without
// I/O; ReadHeader, PutHeader, AppendHeader and WriteHeader are the I/O and
// buffer variants. None of them allocates when used with a *bufio.Reader, a
// *bufio.Writer or a big-enough slice.
//
// Faults of the peer are reported as *closecode.Error values carrying the
// close code with which the connection must be failed.
package frame
