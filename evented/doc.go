// Package evented is hybi's event-driven WebSocket server: many
// connections on a few event loops (Linux epoll, through the standard
// library's syscall package), for servers holding many mostly idle
// connections (chat, market data, games, dashboards).
//
// A Server calls its callbacks, OnOpen, OnMessage and OnClose, for each
// connection, in order, on a bounded pool of worker goroutines. A
// connection idle between messages holds no goroutine, no read buffer and
// no write buffer: only the state machine of package protocol, its socket,
// and a few hundred bytes of bookkeeping. Readable sockets are read into a
// buffer of their event loop and fed to the state machine; a message is
// collected in a pooled buffer and handed to OnMessage.
//
// # Connections
//
// Serve accepts from any net.Listener; ServeConn takes over a connection
// accepted elsewhere, before its opening handshake; ServeHTTP (a Server is
// an http.Handler) upgrades a request that an http.ServeMux routed on its
// path and headers, then takes the connection over. The opening handshake
// of Serve and ServeConn is read incrementally on the event loop
// (handshake.RequestReader): a client that sends its request a byte at a
// time holds neither a goroutine nor a worker, and is cut at
// HandshakeTimeout. The same holds for a peer that trickles a frame.
//
// The input of a connection stops at each message's end until OnMessage
// for it returned. So what a callback writes in answer to a message goes
// out before the server reacts to the bytes that follow (a ping's pong,
// the echo of a close frame, the failure of a bad frame), and a connection
// has at most one message waiting for a worker: a slow handler slows its
// own peer down (TCP flow control), buffering at most 4 KiB of its input.
// A slow handler is not a dead peer: at a keepalive deadline, what the peer
// sent meanwhile (its pong) is read into that small buffer and shows it
// alive, and so does input waiting in the socket beyond it. A live peer is
// never torn down by keepalive because its handler is slow.
//
// # Writing
//
// Conn.Write may be called from any goroutine, the callbacks included; it
// never blocks. It encodes the message into the connection's output queue
// and writes what the socket takes at once, without waiting; the loop
// writes the rest when the socket is writable again. Buffered tells how
// many bytes are still queued (the browser's bufferedAmount). The queue is
// bounded by MaxQueuedBytes: a peer that stops reading fills it, and then
// a message that does not fit is refused with ErrQueueFull, the
// connection staying open; with CloseOnQueueFull the connection is also
// closed with 1008 (policy violation). Control frames (pongs, keepalive
// pings, close frames) are never refused; a close frame that cannot reach
// a peer that reads nothing ends the connection after CloseTimeout.
//
// # Closing
//
// OnClose reports how a connection ended with the same *CloseError as
// package conn: the code, the reason, whether the close handshake
// completed, and the cause of an end that was not clean. A callback that
// panics has its connection closed with 1011; the server goes on.
// Shutdown closes every connection with 1001 (going away) and returns once
// they ended, each bounded by CloseTimeout.
//
// # Keepalive and compression
//
// Keepalive has conn's defaults (a ping every 25 s, 15 s for the answer)
// and reports a dead peer as conn does, with ErrKeepaliveTimeout. All the
// deadlines of a loop's connections (keepalive, close handshake, opening
// handshake) live in one timer heap, not a timer each.
//
// Compression (permessage-deflate) is negotiated as conn negotiates it.
// The keepalive tick frees the compressor of a connection that sent no
// compressed message for a whole interval, so an idle compressed connection
// keeps at most its 32 KiB window, and nothing without context takeover.
//
// # TLS and other systems
//
// crypto/tls needs a blocking connection, so the event loops serve ws://:
// the common deployment puts TLS in front, in nginx, a load balancer or a
// CDN. wss:// is served by the same Server with the same callbacks: give
// Serve a tls.Listener, or mount the Server in an http.Server that
// serves TLS. Connections that are not plain TCP or Unix sockets (TLS
// ones, or any net.Conn wrapper), and every connection on systems other
// than Linux, run on goroutines of their own (a reader, and a writer while
// output is queued) with the same semantics. Only their memory differs:
// such a connection holds a goroutine and a 4 KiB read buffer.
package evented
