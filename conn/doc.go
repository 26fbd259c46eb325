// Package conn is hybi's message-level WebSocket connection (RFC 6455): the
// package applications use.
//
// A server calls Accept from an http.Handler, or AcceptConn on a connection
// from a net.Listener (AcceptOptions.OnRequest sees the request first, to
// authenticate, route or refuse it); a client calls Dial; code that has
// upgraded a connection by other means wraps it with New; a unit test takes
// both ends of a connection in memory from Pipe. Each returns a *Conn, which
// reads and writes whole messages (Read, Write) or streams them (Reader,
// Writer), and ends with a close handshake (Close) or at once (CloseNow).
//
// A Conn drives a protocol.Protocol, hybi's WebSocket state machine without
// I/O: reads hand it the bytes that arrive and act on its events, writes
// send the frames it encodes, and one timer per connection acts on its
// deadlines (keepalive, close handshake). Other drivers of the same state
// machine serve connections without a goroutine each.
//
// # Reading
//
// Control frames are handled inside the read calls: pings are answered with
// pongs, pongs are matched to Ping calls and keepalive, and a close frame is
// answered and ends the connection. So a connection must have a goroutine
// reading from it, as with every Go WebSocket library, even when the
// application only writes; otherwise neither pongs nor the peer's close are
// seen, and keepalive will tear the connection down. CloseRead starts that
// goroutine for an application that only writes. Options.OnPing and
// Options.OnPong see the control frames as they arrive, and Latency reads
// the round-trip time that keepalive measures. SetReadLimit changes the
// read limit of a live connection.
//
// Text messages are validated as UTF-8 while they arrive and the connection
// is failed with 1007 as soon as the bytes received cannot be valid. A
// message larger than Options.ReadLimit fails the connection with 1009
// before its memory is allocated. Large payloads are read from the network
// straight into the caller's buffer.
//
// # Writing
//
// Messages go out in frames of at most Options.MaxFrameSize bytes (64 KiB
// by default): Write and the Writer fragment anything larger. The control
// frames (pongs, keepalive pings, close frames) go out between two frames
// of a message, so they wait behind at most one frame of a long write to a
// slow reader, never behind the whole message. A pong that cannot go out
// at once is sent right after the frame being written. With compression
// negotiated, WriteCompressed and WriterCompressed choose it per message.
//
// Every write is bounded: a message by its caller's context, and the
// writes no caller waits for (control frames, coalesced messages) by
// Options.CloseTimeout. A write that cannot go out within its bound tears
// the connection down; the end is reported with ErrWriteTimeout when the
// peer stopped reading.
//
// # Contexts
//
// Every blocking call takes a context.Context. A read aborted by its context
// before any byte of a new message was consumed returns the context's error
// and leaves the connection usable. A read aborted in the middle of a message,
// or a write aborted after part of a message went out, leaves the stream in a
// state that cannot be resumed, so the connection is torn down and later calls
// report a *CloseError with code 1006.
//
// # Closing
//
// Close sends a close frame, waits (at most Options.CloseTimeout) for the
// peer's close frame, and closes the TCP connection: the server first, the
// client after it sees the server do so, again bounded by the timeout.
// CloseNow tears the connection down at once. Both are safe to call from any
// goroutine, any number of times. How the connection ended is reported by
// every read after the end as a *CloseError holding the code, the reason and
// whether the close handshake completed (the browser's wasClean). The codes
// 1005 (no status) and 1006 (abnormal closure) are reported but never sent.
//
// # Memory and throughput
//
// An idle connection holds no I/O buffer: on TCP and Unix connections a
// Read waiting for the next message holds none until bytes arrive. The
// lowest memory per connection comes from accepting raw connections from
// a net.Listener with AcceptConn; with Accept, reading from a goroutine of
// its own and returning from the handler lets net/http release its
// per-connection state, which it keeps while the handler runs.
//
// When a peer pipelines messages, so that a Read returns with more input
// already buffered, the writes that follow are coalesced into one system
// call, sent before the reader waits for the network again, when the buffer
// fills, and at the latest after a millisecond.
//
// # Serving safely
//
// Serve Accept from an http.Server with ReadHeaderTimeout set, not from
// http.ListenAndServe: the opening handshake is an HTTP request, and
// without that timeout net/http waits for ever for its head, so clients
// that send it a byte at a time (slowloris) hold a socket and a goroutine
// each for as long as they like:
//
//	srv := &http.Server{
//		Addr:              ":8080",
//		Handler:           mux,
//		ReadHeaderTimeout: 10 * time.Second,
//		IdleTimeout:       time.Minute,
//	}
//
// ReadHeaderTimeout also bounds the TLS handshake; IdleTimeout closes
// keep-alive connections left idle between requests. ReadTimeout and
// WriteTimeout are not needed: they bound whole requests and responses,
// which would cut any other long response of the server, and they do not
// limit a WebSocket, as Accept clears the deadlines they set on the
// connection it upgrades. AcceptConn bounds the handshake itself (10 s, 8
// KiB). On the client side, Dial is bounded by its context, or by
// handshake.DefaultDialTimeout (45 s) when the context has no deadline.
//
// # Keepalive
//
// By default a connection pings its peer every Options.PingInterval and
// tears the connection down when nothing arrives within Options.PongTimeout
// after a ping; the read then fails with a *CloseError wrapping
// ErrKeepaliveTimeout. Keepalive uses one timer per connection, not a
// goroutine.
//
// Any byte from the peer counts as life, not only the pong: a peer busy
// sending a long message is alive. A ping counts as unanswered only from
// the moment it was written, which a long write delays by at most one
// frame. Bytes count even when no Read is in progress: when the peer's
// answer waits unread because the application pauses between reads, the
// keepalive timer reads what the network holds into the read buffer, where
// the next Read finds it. So a live peer is never torn down by keepalive,
// however slow the handler or long the write; a dead one is noticed within
// PingInterval plus PongTimeout.
//
// # Byte streams
//
// NetConn turns a Conn into a net.Conn. Its deadlines follow the net.Conn
// contract: an expired one returns an error whose Timeout method reports
// true and leaves the connection usable, even in the middle of a message.
// A write sends a message per MaxFrameSize bytes; when its deadline cuts one
// on the wire, the rest of that frame is kept and goes out before anything
// else, and the write reports the bytes accepted.
// Its uncompressed messages have no size limit, since the stream's memory
// is its reader's buffers.
package conn
