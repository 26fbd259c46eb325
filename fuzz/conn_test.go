package fuzz

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/frame"
	"github.com/hybi/ws/handshake"
	"github.com/hybi/ws/mask"
)

// Bits of the mode argument of the conn targets.
const (
	modeReader   = 1 << iota // read with Reader in small reads instead of Read
	modePeerOpen             // the peer stays open after its input and answers a close; the test then calls Close
	modeWrite                // the application writes a message while reading
	modeBuffered             // the first bytes of the input are passed to New as already read
	modeCompress             // permessage-deflate, through Accept or Dial
	modeTakeover             // with compression: context takeover both ways (else none)
	modeChunk0               // with modeChunk1: the size of the peer's writes
	modeChunk1
)

// appMessage is the message the application writes with modeWrite.
const appMessage = "hello from the application"

// connMaxAlloc bounds the memory allocated while handling one input of at
// most 64 KiB: buffers, a flate writer (about 1.2 MiB) and reader, messages
// under connReadLimit.
const connMaxAlloc = 32 << 20

// connReadLimit is the ReadLimit of the fuzzed connections.
const connReadLimit = 1000

// connCloseTimeout is the CloseTimeout of the fuzzed connections: short, so
// that inputs after which the conn waits for a close frame in vain are cheap.
var connCloseTimeout = 5 * time.Millisecond

// connInputTimeout bounds the handling of one input that keeps making
// progress; a conn that stops making progress is caught sooner, by a
// stallWatch.
const connInputTimeout = 5 * time.Second

// connStallTicks is the number of stallTicks without progress after which
// fuzzConn fails: stallTicks, plus twice the close timeout, the longest a
// correct conn may wait without I/O.
//
// Goroutines that earlier inputs left behind (Reads spinning for good) starve
// the goroutines of later inputs, which then go longer without progress
// through no fault of theirs: the bound grows with their number, until
// connInputTimeout is the shorter one.
func connStallTicks() int {
	return (stallTicks + int(2*connCloseTimeout/stallTick)) * (1 + int(leakedReads.Load()))
}

// leakedReads counts the inputs whose goroutines did not end.
var leakedReads atomic.Int32

// stallTeardownWait bounds the wait for the test's goroutines after a stall
// or a hang: a Read that spins never returns, and waiting longer would only
// run into the fuzzing engine's own limit of 10 s per input.
const stallTeardownWait = 200 * time.Millisecond

// maskFrame returns a frame of the given opcode and payload, masked with a
// fixed key when masked is set.
func maskFrame(fin bool, op frame.Opcode, rsv byte, masked bool, payload []byte) []byte {
	h := frame.Header{Fin: fin, Opcode: op, Rsv: rsv, Masked: masked, Length: int64(len(payload))}
	if masked {
		h.Key = [4]byte{0x37, 0xfa, 0x21, 0x3d}
	}
	b := frame.AppendHeader(nil, h)
	p := append([]byte(nil), payload...)
	if masked {
		mask.Apply(h.Key, 0, p)
	}
	return append(b, p...)
}

// connSeeds returns streams of frames a peer of role peer (the one that masks
// when it is the client) might send, valid and invalid.
func connSeeds(masked bool) [][]byte {
	fr := func(fin bool, op frame.Opcode, p string) []byte { return maskFrame(fin, op, 0, masked, []byte(p)) }
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	closeP := func(code closecode.Code, reason string) string {
		b, _ := closecode.Append(nil, code, reason)
		return string(b)
	}
	hello := compressedSeed("Hello")
	return [][]byte{
		cat(fr(true, frame.OpText, "Hello"), fr(true, frame.OpClose, closeP(closecode.Normal, "bye"))),
		cat(fr(false, frame.OpText, "Hel"), fr(true, frame.OpPing, "ping"), fr(true, frame.OpContinuation, "lo")),
		cat(fr(true, frame.OpBinary, strings.Repeat("x", 300)), fr(true, frame.OpPong, ""), fr(true, frame.OpClose, "")),
		cat(fr(true, frame.OpText, "κόσμε"), fr(true, frame.OpClose, closeP(4000, "app"))),
		cat(fr(true, frame.OpText, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited")),
		cat(fr(false, frame.OpText, "\xf0\x9f"), fr(true, frame.OpContinuation, "\x98\x80")),
		cat(fr(true, frame.OpBinary, strings.Repeat("y", connReadLimit+1))),
		cat(fr(false, frame.OpBinary, strings.Repeat("y", 600)), fr(true, frame.OpContinuation, strings.Repeat("y", 600))),
		cat(fr(true, frame.OpContinuation, "orphan")),
		cat(fr(false, frame.OpText, "a"), fr(true, frame.OpText, "b")),
		cat(fr(false, frame.OpPing, "frag")),
		cat(fr(true, frame.OpClose, "\x03")),
		cat(fr(true, frame.OpClose, "\x03\xed")),
		cat(fr(true, frame.OpClose, "\x03\xe8\xff")),
		cat(fr(true, 0x3, "reserved")),
		cat(maskFrame(true, frame.OpText, frame.RSV2, masked, []byte("rsv2"))),
		cat(maskFrame(true, frame.OpText, frame.RSV1, masked, hello), fr(true, frame.OpText, "plain")),
		cat(maskFrame(false, frame.OpBinary, frame.RSV1, masked, hello[:2]), fr(true, frame.OpContinuation, string(hello[2:]))),
		cat(maskFrame(true, frame.OpPing, frame.RSV1, masked, hello)),
		cat(maskFrame(true, frame.OpText, 0, !masked, []byte("wrong masking"))),
		cat(fr(true, frame.OpText, "Hello")[:4]),
		{0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4},
	}
}

// FuzzConnServer feeds a byte stream, as a client would send it, to a
// server-side conn.Conn; see fuzzConn.
func FuzzConnServer(f *testing.F) {
	for i, s := range connSeeds(true) {
		f.Add(uint8(i*37), s)
	}
	f.Fuzz(func(t *testing.T, mode uint8, stream []byte) {
		defer watchdog()()
		fuzzConn(t, frame.Server, mode, stream)
	})
}

// FuzzConnClient feeds a byte stream, as a server would send it, to a
// client-side conn.Conn; see fuzzConn.
func FuzzConnClient(f *testing.F) {
	for i, s := range connSeeds(false) {
		f.Add(uint8(i*37), s)
	}
	f.Fuzz(func(t *testing.T, mode uint8, stream []byte) {
		defer watchdog()()
		fuzzConn(t, frame.Client, mode, stream)
	})
}

// fuzzConn runs a conn.Conn of the given role, with a small ReadLimit, a short
// CloseTimeout and no keepalive, over a net.Pipe whose other end (the peer)
// writes stream in chunks and records everything the conn sends. mode picks
// the variations: Read or Reader, compression negotiated through Accept or
// Dial, bytes passed as already buffered, a concurrent application write, and
// whether the peer then ends its side (EOF) or stays open and answers the
// close that the test then starts.
//
// Whatever the input, the conn never panics, hangs or spins (a stallWatch
// fails the input once the conn has made no progress, no byte read or written
// and no payload returned, for about 300 ms while the application is still
// reading; connInputTimeout bounds the rest) or leaks goroutines; reading yields messages (text ones valid UTF-8, none over the
// limit) then a *conn.CloseError whose code is ValidOnWire, NoStatus or
// Abnormal; what it sent is well-formed frames for its role, with at most one
// close frame, last, whose payload is empty or has a code that is
// ValidOnWire and a UTF-8 reason.
func fuzzConn(t *testing.T, role frame.Role, mode uint8, stream []byte) connOutcome {
	if len(stream) > 1<<16 {
		return connOutcome{}
	}
	baseline := runtime.NumGoroutine()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	allocBefore := mem.TotalAlloc
	pings := pingPayloads(stream)
	ctx, cancel := context.WithTimeout(context.Background(), connInputTimeout)
	defer cancel()

	stall := watchStall(connStallTicks())
	defer stall.Stop()
	teardownWait := connInputTimeout
	// failStall fails the input after a stall: it cancels ctx, which ends
	// a harness loop over a Reader that keeps returning nothing, and does
	// not wait long for the goroutines, as a spinning Read never returns.
	failStall := func(what string) {
		t.Helper()
		cancel()
		teardownWait = stallTeardownWait
		dumpAndFail(t, what+": "+stall.why)
	}

	p1, p2 := net.Pipe()
	local := &halfConn{Conn: p1, progress: stall.progress}
	opts := conn.Options{
		ReadLimit:    connReadLimit,
		CloseTimeout: connCloseTimeout,
		PingInterval: -1,
	}
	if mode&modeBuffered != 0 {
		opts.ReadBufferSize = 256 // the smallest
	}
	compress := mode&modeCompress != 0
	if compress {
		opts.Compression = &deflate.Config{
			NoContextTakeover:     mode&modeTakeover == 0,
			PeerNoContextTakeover: mode&modeTakeover == 0,
			Threshold:             4,
		}
	}
	chunk := []int{0, 1, 3, 64}[mode/modeChunk0&3]
	var buffered []byte
	if mode&modeBuffered != 0 && !compress {
		n := min(len(stream), int(mode>>4)+1)
		buffered, stream = stream[:n], stream[n:]
	}

	var wg sync.WaitGroup
	defer func() {
		// Whatever happened, tear down and wait for every goroutine.
		p1.Close()
		p2.Close()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(teardownWait):
			leakedReads.Add(1)
			t.Errorf("goroutines of the test did not end within %v", teardownWait)
		}
	}()

	// The peer: one goroutine records what the conn sends (after the
	// handshake response or request, if any), answering its close frame
	// when asked; another writes the stream.
	peer := &peerState{role: role, respond: mode&modePeerOpen != 0, headDone: make(chan struct{}), writerDone: make(chan struct{})}
	if !compress {
		close(peer.headDone)
		peer.skipHead = false
	} else {
		peer.skipHead = true
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		peer.record(p2)
	}()
	go func() {
		defer wg.Done()
		defer func() {
			if !peer.respond {
				local.closeRead()
			}
			close(peer.writerDone)
		}()
		if compress && role == frame.Client {
			// Answer the client's handshake request first.
			select {
			case <-peer.headDone:
			case <-ctx.Done():
				return
			}
			resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
				"Sec-WebSocket-Accept: " + handshake.AcceptKey(peer.key()) + "\r\n" +
				"Sec-WebSocket-Extensions: permessage-deflate"
			if mode&modeTakeover == 0 {
				resp += "; server_no_context_takeover; client_no_context_takeover"
			}
			if _, err := p2.Write([]byte(resp + "\r\n\r\n")); err != nil {
				return
			}
		}
		for rest := stream; len(rest) > 0; {
			n := len(rest)
			if chunk > 0 {
				n = min(n, chunk)
			}
			if _, err := p2.Write(rest[:n]); err != nil {
				return
			}
			rest = rest[n:]
		}
	}()

	// The conn.
	var c *conn.Conn
	switch {
	case !compress:
		c = conn.New(local, buffered, role, &opts)
	case role == frame.Server:
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(
			"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
				"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
				"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n")))
		if err != nil {
			t.Fatal(err)
		}
		w := &hijackWriter{c: local, header: http.Header{}}
		c, err = conn.Accept(w, req, &conn.AcceptOptions{Options: opts})
		if err != nil {
			t.Fatalf("Accept: %v", err)
		}
		close(peer.headDone) // the response precedes the frames
	default:
		var err error
		c, err = conn.Dial(ctx, "ws://example.com/chat", &conn.DialOptions{
			Options: opts,
			NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) { return local, nil },
		})
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		if _, ok := c.Compression(); !ok {
			t.Fatalf("Dial did not negotiate compression")
		}
	}
	defer c.CloseNow()

	// The application.
	if mode&modeWrite != 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Write(ctx, conn.Text, []byte(appMessage))
		}()
	}
	readErr := make(chan error, 1)
	var msgs []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		var err error
		msgs, err = readAll(ctx, t, c, mode&modeReader != 0, stall.progress)
		readErr <- err
	}()
	if mode&modePeerOpen != 0 {
		select {
		case <-peer.writerDone:
		case <-ctx.Done():
		case <-stall.stalled:
			failStall("the stream was not read to the end")
		}
		err := c.Close(closecode.Normal, "bye")
		var ce *conn.CloseError
		if err != nil && !errors.As(err, &ce) {
			t.Errorf("Close: %v", err)
		}
	}
	var err error
	select {
	case err = <-readErr:
	case <-ctx.Done():
		teardownWait = stallTeardownWait
		dumpAndFail(t, "reading did not end")
	case <-stall.stalled:
		failStall("reading did not end")
	}
	stall.Stop()
	var ce *conn.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("reading ended with %v (%T), not a *conn.CloseError", err, err)
	}
	if !ce.Code.ValidOnWire() && ce.Code != closecode.NoStatus && ce.Code != closecode.Abnormal {
		t.Fatalf("reading ended with %v: code %d", ce, ce.Code)
	}
	c.CloseNow()
	select {
	case <-c.Done():
	case <-time.After(connInputTimeout):
		teardownWait = stallTeardownWait
		dumpAndFail(t, "CloseNow did not tear the connection down")
	}
	p2.Close()
	wg.Wait()

	sent := peer.frames()
	if err := checkSent(role, sent, pings); err != nil {
		t.Fatalf("the %v sent % x: %v\n(the stream ended with %v)", role, sent, err, ce)
	}
	if ce.Clean && !peer.sawClose() {
		t.Fatalf("reading ended with a clean close %v, but the conn sent no close frame", ce)
	}

	// No goroutine left behind by the conn.
	for deadline := time.Now().Add(time.Second); runtime.NumGoroutine() > baseline; {
		if time.Now().After(deadline) {
			dumpAndFail(t, fmt.Sprintf("%d goroutines left, %d before", runtime.NumGoroutine(), baseline))
		}
		time.Sleep(time.Millisecond)
	}
	runtime.ReadMemStats(&mem)
	if a := mem.TotalAlloc - allocBefore; a > connMaxAlloc {
		t.Fatalf("%d bytes allocated for an input of %d bytes", a, len(stream))
	}
	return connOutcome{msgs: msgs, end: ce, sent: sent}
}

// connOutcome is what fuzzConn saw: the messages read, how reading ended and
// the frames the conn sent.
type connOutcome struct {
	msgs []string
	end  *conn.CloseError
	sent []byte
}

// readAll reads messages from c until an error, checking each one. It calls
// progress for every read that returns payload or ends a message.
func readAll(ctx context.Context, t *testing.T, c *conn.Conn, streaming bool, progress func()) ([]string, error) {
	var buf []byte
	var msgs []string
	for {
		var typ conn.MessageType
		var err error
		if streaming {
			var r io.Reader
			typ, r, err = c.Reader(ctx)
			if err == nil {
				buf = buf[:0]
				small := make([]byte, 7)
				for {
					n, rerr := r.Read(small)
					if n > 0 {
						progress()
					}
					buf = append(buf, small[:n]...)
					if rerr == io.EOF {
						break
					}
					if rerr != nil {
						err = rerr
						break
					}
				}
			}
		} else {
			typ, buf, err = c.Read(ctx, buf)
		}
		if err != nil {
			return msgs, err
		}
		progress()
		if len(msgs) < 100 {
			msgs = append(msgs, string(buf))
		}
		if typ != conn.Text && typ != conn.Binary {
			t.Errorf("message of type %d", typ)
		}
		if len(buf) > connReadLimit {
			t.Errorf("message of %d bytes, over the limit of %d", len(buf), connReadLimit)
		}
		if typ == conn.Text && !utf8.Valid(buf) {
			t.Errorf("text message % x is not UTF-8", buf)
		}
	}
}

// checkSent checks the frames an endpoint of the given role sent.
// A pong's payload must be that of a ping the peer sent; a data frame without
// RSV1 is the application's message.
func checkSent(role frame.Role, b []byte, pings map[string]bool) error {
	peerRules := frame.Rules{Role: frame.Client, AllowedRsv: frame.RSV1} // what the peer accepts
	if role == frame.Client {
		peerRules.Role = frame.Server
	}
	closed := false
	for len(b) > 0 {
		h, n, err := frame.ParseHeader(b)
		if err == frame.ErrShortHeader {
			return nil // cut short by the teardown
		}
		if err != nil {
			return fmt.Errorf("bad header: %v", err)
		}
		if err := peerRules.Check(h); err != nil {
			return fmt.Errorf("frame %+v: %v", h, err)
		}
		if closed {
			return fmt.Errorf("frame %+v after the close frame", h)
		}
		b = b[n:]
		if int64(len(b)) < h.Length {
			return nil
		}
		payload := append([]byte(nil), b[:h.Length]...)
		b = b[h.Length:]
		if h.Masked {
			mask.Apply(h.Key, 0, payload)
		}
		switch {
		case h.Opcode == frame.OpPong && !pings[string(payload)]:
			return fmt.Errorf("pong % x answers no ping", payload)
		case h.Opcode == frame.OpText && h.Rsv == 0 && string(payload) != appMessage:
			return fmt.Errorf("text frame %q is not the application's message", payload)
		case h.Opcode == frame.OpBinary || h.Opcode == frame.OpContinuation:
			return fmt.Errorf("%v frame %q: the application sent none", h.Opcode, payload)
		}
		if h.Opcode == frame.OpClose {
			closed = true
			if len(payload) == 0 {
				continue
			}
			code, _, err := closecode.Parse(payload)
			if err != nil || !code.ValidOnWire() {
				return fmt.Errorf("close frame with payload % x: %v", payload, err)
			}
		}
	}
	return nil
}

// dumpAndFail fails the test with the stacks of all goroutines.
func dumpAndFail(t *testing.T, msg string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	fmt.Fprintf(os.Stderr, "%s\n", buf)
	t.Fatal(msg)
}

// peerState is the peer's end of the pipe: it records what the conn sends.
type peerState struct {
	role       frame.Role // the conn's role
	respond    bool       // answer the conn's close frame
	skipHead   bool       // an HTTP head precedes the frames
	headDone   chan struct{}
	writerDone chan struct{}

	mu        sync.Mutex
	head      []byte // the HTTP head, if any
	buf       []byte // the frames after it
	closeSeen bool
}

// record reads from p until an error.
func (p *peerState) record(c net.Conn) {
	b := make([]byte, 4096)
	for {
		n, err := c.Read(b)
		p.mu.Lock()
		if p.skipHead {
			p.head = append(p.head, b[:n]...)
			if i := bytes.Index(p.head, []byte("\r\n\r\n")); i >= 0 {
				p.buf = append(p.buf, p.head[i+4:]...)
				p.head = p.head[:i+4]
				p.skipHead = false
				if p.role == frame.Client {
					close(p.headDone) // the request: the writer can answer
				}
			}
		} else {
			p.buf = append(p.buf, b[:n]...)
		}
		answer, closeNow := false, false
		if !p.closeSeen && hasClose(p.buf) {
			p.closeSeen = true
			closeNow = true
			answer = p.respond
		}
		p.mu.Unlock()
		if closeNow {
			// The conn sent its close frame: the peer stops sending
			// (a write in progress fails), and answers if asked to, as a
			// peer would: echo 1000, then the server closes the
			// connection.
			c.SetWriteDeadline(aLongTimeAgo)
		}
		if answer {
			go func() {
				<-p.writerDone
				c.SetWriteDeadline(time.Time{})
				c.Write(maskFrame(true, frame.OpClose, 0, p.role == frame.Server, []byte{0x03, 0xe8}))
				if p.role == frame.Client {
					c.Close()
				}
			}()
		}
		if err != nil {
			return
		}
	}
}

func (p *peerState) frames() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.buf...)
}

func (p *peerState) sawClose() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return hasClose(p.buf)
}

// key returns the Sec-WebSocket-Key of the recorded request.
func (p *peerState) key() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m := keyLine.FindSubmatch(p.head); m != nil {
		return string(m[1])
	}
	return ""
}

// pingPayloads returns the payloads of the pings in stream, as far as it
// parses as frames.
func pingPayloads(b []byte) map[string]bool {
	pings := map[string]bool{}
	for len(b) > 0 {
		h, n, err := frame.ParseHeader(b)
		if err != nil || int64(len(b)-n) < h.Length {
			break
		}
		p := append([]byte(nil), b[n:n+int(h.Length)]...)
		b = b[n+int(h.Length):]
		if h.Opcode == frame.OpPing {
			if h.Masked {
				mask.Apply(h.Key, 0, p)
			}
			pings[string(p)] = true
		}
	}
	return pings
}

// hasClose reports whether the frames in b include a close frame.
func hasClose(b []byte) bool {
	for len(b) > 0 {
		h, n, err := frame.ParseHeader(b)
		if err != nil {
			return false
		}
		if h.Opcode == frame.OpClose {
			return true
		}
		if int64(len(b)-n) < h.Length {
			return false
		}
		b = b[n+int(h.Length):]
	}
	return false
}

// halfConn is the conn's end of the pipe. After closeRead, reads return
// io.EOF, as after the peer half-closed a TCP connection, while writes still
// go through. It calls progress, if set, after every read and every write
// that moved bytes (not after errors: a loop of failing reads is no progress).
type halfConn struct {
	net.Conn
	progress func()
	mu       sync.Mutex
	eof      bool
}

func (h *halfConn) moved(n int) {
	if h.progress != nil && n > 0 {
		h.progress()
	}
}

func (h *halfConn) Write(p []byte) (int, error) {
	n, err := h.Conn.Write(p)
	h.moved(n)
	return n, err
}

var aLongTimeAgo = time.Unix(1, 0)

func (h *halfConn) closeRead() {
	h.mu.Lock()
	h.eof = true
	h.Conn.SetReadDeadline(aLongTimeAgo) // wake a blocked read
	h.mu.Unlock()
}

func (h *halfConn) isEOF() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.eof
}

func (h *halfConn) Read(p []byte) (int, error) {
	if h.isEOF() {
		return 0, io.EOF
	}
	n, err := h.Conn.Read(p)
	h.moved(n)
	if err != nil && h.isEOF() {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return n, io.EOF
		}
	}
	return n, err
}

func (h *halfConn) SetDeadline(t time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	err := h.Conn.SetDeadline(t)
	if h.eof {
		h.Conn.SetReadDeadline(aLongTimeAgo)
	}
	return err
}

func (h *halfConn) SetReadDeadline(t time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.eof {
		t = aLongTimeAgo
	}
	return h.Conn.SetReadDeadline(t)
}

// hijackWriter is an http.ResponseWriter whose connection can be hijacked,
// for conn.Accept.
type hijackWriter struct {
	c      net.Conn
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *hijackWriter) Header() http.Header         { return w.header }
func (w *hijackWriter) WriteHeader(status int)      { w.status = status }
func (w *hijackWriter) Write(p []byte) (int, error) { return w.body.Write(p) }

func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.c, bufio.NewReadWriter(bufio.NewReader(w.c), bufio.NewWriter(w.c)), nil
}
