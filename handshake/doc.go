// Package handshake implements the WebSocket opening handshake of RFC 6455
// (sections 4, 9.1 and 11.3) for both ends of a connection.
//
// On the server side, [Upgrader.Upgrade] validates a request received by a
// net/http server and hijacks its connection, while [Upgrader.UpgradeConn]
// reads and answers the request itself on a raw [net.Conn] with a bounded
// size and deadline and only a few allocations. Both write the appropriate
// HTTP error response when they refuse a request.
//
// On the client side, [Dialer.Dial] connects (directly, through TLS, or
// through an HTTP CONNECT proxy), sends the request and checks the answer.
//
// Both sides return a [Result] whose Buffered field holds the bytes that were
// read past the handshake: they are the beginning of the frame stream and
// must be consumed before reading from Result.Conn again.
//
// Extension negotiation is left to the caller: [ParseExtensions] and
// [FormatExtensions] handle the Sec-WebSocket-Extensions syntax, and the
// Upgrader.Negotiate and Dialer.AcceptExtensions hooks decide.
package handshake
