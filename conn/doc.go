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
// # WebSocket over HTTP/2
//
// Accept also takes WebSockets over HTTP/2 (RFC 8441): an extended CONNECT
// request (method CONNECT, :protocol websocket), which browsers send on the
// page's HTTP/2 connection when the server advertises
// SETTINGS_ENABLE_CONNECT_PROTOCOL. The same options and checks apply
// (Origin, subprotocols, permessage-deflate); the answer is 200, with no
// Sec-WebSocket-Accept; the connection then runs over the stream, and
// everything above works the same. Register the handler for CONNECT too
// when the mux matches methods ("CONNECT /ws" beside "GET /ws").
//
// On HTTP/2 the stream ends when the handler returns (a hijacked HTTP/1.1
// connection outlives its handler): the handler must not return before
// the connection is done, for example by reading until Read fails, or by
// waiting for Done.
//
// net/http's server advertises the setting only when the process starts
// with GODEBUG=http2xconnect=1 in its environment (Go 1.24 to 1.26 at
// least). It is read once, when net/http initializes, so os.Setenv in main
// is too late, and it is no //go:debug setting. It turns extended CONNECT
// on for every HTTP/2 server of the process, net/http's and x/net's, and
// browsers then open every WebSocket to those servers over HTTP/2, with no
// fallback to HTTP/1.1 when that fails. So every WebSocket endpoint those
// servers reach must take extended CONNECT: hybi's Accept does, but
// httputil.ReverseProxy and the other Go WebSocket libraries do not (the
// proxy answers 502; see golang.org/issue/71128), and a reverse proxy that
// shares the server breaks the WebSockets it forwards. One process cannot
// have one HTTP/2 server with extended CONNECT and one without: run them
// as two processes, or, in the process with the switch, serve the others
// over HTTP/1.1 only (an http.Server whose Protocols has only HTTP1 set),
// where browsers never see the setting and upgrade as usual.
//
// Serving many WebSockets per HTTP/2 connection, raise the server's
// http.HTTP2Config.MaxConcurrentStreams (250 by default) and keep
// MaxReceiveBufferPerConnection above MaxReceiveBufferPerStream (both 1 MiB
// by default): the streams of a connection share its receive window, and
// a WebSocket whose application stops reading can hold its stream's
// share. On the server, a write cut by its context or deadline resets the
// stream (net/http cannot interrupt a blocked write otherwise), which ends
// the connection, as a write cut in the middle of a message does over TCP;
// reads cut by theirs leave it usable. Accept clears the ReadTimeout and
// WriteTimeout deadlines net/http sets on the stream.
//
// A client dials over HTTP/2 with DialOptions.Transport set to an HTTP/2
// round tripper that sends :protocol, such as golang.org/x/net/http2's
// Transport; its WebSockets to a server then share one connection. Dial's
// context bounds only the handshake. When the server does not advertise
// the setting, Dial fails with an error matching
// handshake.ErrExtendedConnect; dial again without Transport to use
// HTTP/1.1. x/net's transport keeps a request-body buffer per stream of the
// server's maximum frame size, up to 512 KiB (net/http advertises 1 MiB):
// a server setting HTTP2Config.MaxReadFrameSize to 16 KiB keeps a client's
// idle WebSocket near 16 KiB there.
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
//
// # In the browser
//
// Built for a web page (GOOS=js GOARCH=wasm), the package is a client over
// the browser's WebSocket object, with the same API, so that one client
// builds for a server and for a page (see Example_browser):
//
//	c, err := conn.Dial(ctx, "wss://example.com/feed", &conn.DialOptions{
//		Subprotocols: []string{"feed.v1"},
//	})
//	if err != nil {
//		return err
//	}
//	defer c.CloseNow()
//	err = c.Write(ctx, conn.Text, []byte("hello"))
//	typ, msg, err := c.Read(ctx, buf)
//
// The page loads the program with the wasm_exec.js of the Go toolchain
// that built it ($(go env GOROOT)/lib/wasm, misc/wasm before Go 1.24).
// The browser frames, masks, answers pings, compresses and runs the close
// handshake itself; Dial, Read, Write, Reader, Writer, Close, CloseNow,
// State, Subprotocol, Compression (what the browser negotiated), Done and
// NetConn work as described above, except that:
//
//   - Messages arrive whole, whether or not a Read waits, and are kept
//     until read. Reader reads a message from memory; Writer collects one
//     and hands it to the browser at Close (Flush sends nothing). A message
//     over Options.ReadLimit ends the connection with a *CloseError of code
//     1009; the browser cannot send that code, so it closes without one.
//   - The browser buffers what it has not sent yet: Conn.BufferedAmount (of
//     the browser build only) reports its bufferedAmount, and Write waits,
//     bounded by its context, while that is above 1 MiB. A Write cut by its
//     context has sent nothing and leaves the connection usable.
//   - Close sends only 1000, the codes 3000-4999, and closecode.NoStatus
//     (no status); the *CloseError reports the browser's CloseEvent: its
//     code, reason and wasClean (Clean). CloseNow ends the Conn at once,
//     while the browser completes a close handshake on its own.
//   - The browser tells nothing of why a handshake failed: Dial then
//     returns an error wrapping a *CloseError with code 1006.
//   - Text messages must be valid UTF-8, since the browser sends strings.
//
// What the browser cannot do is refused with an error matching
// ErrNotInBrowser, never ignored: the DialOptions fields Header, Origin,
// TLSConfig, Proxy and NetDial, the Options fields Compression (the
// browser negotiates permessage-deflate itself), ReadBufferSize,
// WriteBufferSize, MaxFrameSize, PongTimeout, Negotiated and a positive
// PingInterval (the browser sends no pings; a zero or negative one means
// none), any option field the browser build does not know of, Ping, other
// close codes, and the server side: Accept, AcceptConn and New.
package conn
