package bench

import (
	"errors"
	"io"
	"os"
	"slices"
	"sync"
)

// Client is the client side of one connection of one library. Send writes
// msg as one binary message; Recv reads one message into a reused buffer
// and returns its length. One goroutine may Send while another Receives.
type Client interface {
	Send(msg []byte) error
	Recv() (int, error)
	Close() error
}

// Lib is one library used in one style: an echo server and a client that
// use the same API.
type Lib struct {
	// Name is the row name in the tables: the library, and after a dash the
	// style when the library is benchmarked in two.
	Name string
	// Serve starts an echo server; compress turns permessage-deflate on.
	Serve func(compress bool) (*Server, error)
	// Dial connects a client to addr (host:port).
	Dial func(addr string, compress bool) (Client, error)
	// Deflate tells whether the library takes part in the compressed
	// scenarios.
	Deflate bool
	// Note is a remark shown under the tables.
	Note string
}

// Libs lists every library and style, the plain-TCP floor first.
func Libs() []Lib {
	ls := libs()
	if os.Getenv(ReverseEnv) == "1" {
		slices.Reverse(ls)
	}
	return ls
}

// ReverseEnv, set to 1, reverses the order of Libs, and so the order in
// which the benchmarks run the libraries: benchrun alternates it from
// round to round, so that no library always runs first or last.
const ReverseEnv = "HYBI_BENCH_REVERSE"

func libs() []Lib {
	return []Lib{
		{Name: "tcp", Serve: serveTCP, Dial: dialTCP, Note: "plain TCP echo, no WebSocket: the floor"},
		{Name: "hybi", Serve: serveHybi(false, false), Dial: dialHybi(false, false), Deflate: true,
			Note: "conn.Read into a reused buffer + conn.Write"},
		{Name: "hybi-raw", Serve: serveHybiRaw, Dial: dialHybi(false, false), Deflate: true,
			Note: "hybi server without net/http: conn.AcceptConn on each accepted conn, then Read/Write (client: conn.Dial)"},
		{Name: "hybi-stream", Serve: serveHybi(true, false), Dial: dialHybi(true, false),
			Note: "conn.Reader + conn.Writer"},
		{Name: "hybi-nct", Serve: serveHybi(false, true), Dial: dialHybi(false, true), Deflate: true,
			Note: "hybi with deflate.Config{NoContextTakeover, PeerNoContextTakeover} (compressed scenarios only)"},
		{Name: "gorilla", Serve: serveGorilla(false), Dial: dialGorilla(false), Deflate: true,
			Note: "ReadMessage + WriteMessage; compression: EnableCompression (no context takeover, the only mode)"},
		{Name: "gorilla-stream", Serve: serveGorilla(true), Dial: dialGorilla(true),
			Note: "NextReader + NextWriter"},
		{Name: "coder", Serve: serveCoder, Dial: dialCoder, Deflate: true,
			Note: "Reader + Writer; compression: CompressionContextTakeover"},
		{Name: "gobwas-wsutil", Serve: serveGobwas(false), Dial: dialGobwas(false),
			Note: "wsutil.ReadClientData / WriteServerMessage (README style) on the raw conn"},
		{Name: "gobwas-ws", Serve: serveGobwas(true), Dial: dialGobwas(true),
			Note: "low level: ws.ReadHeader/WriteHeader over 4 KiB bufio, payload buffer reused, ws.Cipher"},
		{Name: "hybi-evented", Serve: serveEvented, Dial: dialHybi(false, false), Deflate: true,
			Note: "hybi's event-driven server (package evented): epoll loops, OnMessage + Conn.Write (client: conn.Dial)"},
		{Name: "nbio", Serve: serveNbio, Dial: dialHybi(false, false),
			Note: "lesismal/nbio v1.6.8 nbhttp engine, IOModNonBlocking, websocket.Upgrader OnMessage + WriteMessage (client: conn.Dial)"},
		{Name: "gws", Serve: serveGWS, Dial: dialGWS, Deflate: true,
			Note: "event-driven gws.Server / OnMessage; compression: PermessageDeflate with context takeover both ways"},
	}
}

// LibByName returns the library called name.
func LibByName(name string) (Lib, bool) {
	for _, l := range Libs() {
		if l.Name == name {
			return l, true
		}
	}
	return Lib{}, false
}

// errShort reports an echo that came back with the wrong length.
var errShort = errors.New("bench: echo has the wrong length")

// readAll reads r to EOF into *buf, reusing and growing it, and returns the
// number of bytes read.
func readAll(r io.Reader, buf *[]byte) (int, error) {
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			*buf = b
			return len(b), nil
		}
		if err != nil {
			*buf = b
			return len(b), err
		}
	}
}

// copyPool holds the buffers copyMessage uses, so that an idle streaming
// server holds none.
var copyPool = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// copyMessage copies one message from r to w through a pooled buffer.
func copyMessage(w io.Writer, r io.Reader) error {
	buf := copyPool.Get().(*[32 << 10]byte)
	_, err := io.CopyBuffer(w, r, buf[:])
	copyPool.Put(buf)
	return err
}
