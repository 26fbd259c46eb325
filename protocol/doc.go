// Package protocol is hybi's WebSocket connection state machine (RFC 6455,
// RFC 7692 permessage-deflate) without I/O: bytes received go in, events
// come out, and bytes to send are appended to the caller's buffers. It does
// no I/O, starts no goroutine and no timer, and takes no lock; the time is
// an input too. A driver owns the transport (a net.Conn, an epoll loop, an
// HTTP/2 stream) and moves bytes between it and a Protocol.
//
// A Protocol starts Open, after the opening handshake, with the negotiated
// compression parameters if any (see Config and New).
//
// # Reading
//
// The driver gives every byte it reads to Parse, in any chunking, down to
// one byte at a time. Parse returns one Event per call and the number of
// input bytes it consumed; the driver calls it again with the rest, and
// with nil once the input is used up, until it returns EventNone. A data
// message is EventMessageStart, EventData chunks and EventMessageEnd;
// control frames in between come as EventPing, EventPong and EventClose.
// Payloads are unmasked in place and the data of an uncompressed message
// points into the driver's buffer, so reading copies nothing; a compressed
// message is inflated at its final frame, in chunks of the Protocol's own.
// Text is validated as UTF-8 as it arrives and fails as soon as it cannot
// be valid. A fault of the peer is returned as a *closecode.Error with the
// code the connection fails with; the close frame answering it is then
// queued. Before Parse, the driver calls Alive with the time the bytes
// arrived: any byte proves the peer alive.
//
// # Writing
//
// A data message is StartMessage followed by AppendFrame calls, each of
// which appends one frame (masked with a fresh key for a client, compressed
// when the message is) to the driver's buffer, until the final one; the
// driver writes the buffer. AppendMessage does it for a whole message. On a
// server, an uncompressed message can skip the copy: AppendHeader produces
// only the headers and the driver sends its own payload after each one
// (writev). Frames carry at most Config.MaxFrameSize bytes each.
//
// The automatic answers (the pong to the latest ping, the echo of the
// peer's close frame, the close frame failing the connection) and the
// keepalive pings are queued, not written: HasPending tells there are some,
// AppendPending appends them, and the driver writes them between the frames
// of its messages, then reports it with PendingWritten.
//
// # Time
//
// Deadline tells when the Protocol next has something to do: send a
// keepalive ping, give up waiting for the answer to one, or end a step of
// the close handshake. The driver arms one timer (or a slot in a timing
// wheel) for it and calls Tick when it fires; Deadline is re-read after
// every batch of calls. Alive, PendingWritten, Tick and Close take the time
// as an argument; deadlines started by Parse count from the latest of them.
//
// # Closing
//
// Close queues our close frame and moves to Closing; the peer's close frame
// is answered (its status code echoed). A server is Closed once both close
// frames went, a client once the server closed the transport, at the latest
// CloseTimeout later; a failed connection asks for its write side to be
// shut down (HalfClose) and waits for the peer to close the transport. The
// driver reports the transport's end with TransportClosed, and ends the
// connection for reasons of its own with Abort. Once the state is Closed
// the driver closes the transport, and Result holds how the connection
// ended, as a *CloseError: the code, the reason, whether the handshake was
// clean, and the cause. The codes 1005, 1006 and 1015 are reported, never
// sent.
//
// # Allocation
//
// In steady state, reading and writing messages, masked or not, compressed
// or not, and control frames allocate nothing, given output buffers with
// room for a frame. A compressed message holds its compressed payload and a
// 16 KiB inflate buffer while it is read; they are kept between messages up
// to 64 KiB and released, along with the compressor's flate.Writer, by Tick
// once the connection has been idle for a second or two, keepalive or not
// (Deadline schedules that check only while there is something to
// release).
//
// A Protocol is not safe for concurrent use: a driver calling it from a
// reading and a writing goroutine serializes the calls with a mutex.
package protocol
