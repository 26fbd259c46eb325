// Command hybid turns a program that reads standard input and writes
// standard output into a WebSocket server, in the manner of websocketd:
// every connection runs its own process of the program; each line the
// program writes becomes a text message, and each message received is
// written to the program's input followed by a newline.
//
//	hybid -addr 127.0.0.1:8080 sh ./counter.sh
//
// With -binary, output is sent as binary messages as it comes (no line
// splitting) and received messages are written to the program's input as
// they are, without a newline.
//
// The program's exit closes the connection: with 1000 when it exited with
// status 0, with 1011 and the status as the reason otherwise, once all its
// output was sent. The client's close (or a lost connection) closes the
// program's input and sends SIGTERM to its process group, then SIGKILL
// after -grace. When the program's output cannot be sent, or its input
// cannot be written, within -write-timeout, the connection is closed and
// the program stopped the same way: a slow client slows the program down
// (it blocks writing its output; nothing is buffered beyond the pipe and a
// few buffers), a stuck one ends it.
//
// At most -max-procs programs run at once; further handshakes are refused
// with 503. Cross-origin browser requests are refused with 403 unless
// their origin matches -origin (or -any-origin is set). -static serves a
// directory to requests that are not WebSocket handshakes, for the page
// that talks to the program. -tls-cert and -tls-key serve HTTPS and wss.
//
// The program runs with an environment of its own, CGI style as websocketd
// sets it (RFC 3875 names), plus the variables -passenv lists:
//
//	REQUEST_METHOD, REQUEST_URI, PATH_INFO, QUERY_STRING, SCRIPT_NAME
//	SERVER_NAME, SERVER_PORT, SERVER_PROTOCOL, SERVER_SOFTWARE
//	GATEWAY_INTERFACE, REMOTE_ADDR, REMOTE_HOST, REMOTE_PORT
//	HTTPS ("on" over TLS), UNIQUE_ID (per connection)
//	HTTP_<NAME> for every request header, such as HTTP_ORIGIN, HTTP_COOKIE
//
// The program's standard error is hybid's. On SIGINT or SIGTERM hybid stops
// accepting, closes every connection with 1001 and stops the programs.
package main
