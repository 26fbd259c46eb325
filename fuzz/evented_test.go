package fuzz

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/evented"
	"github.com/hybi/ws/frame"
)

// FuzzEventedServer streams bytes, as a client would send them after its
// handshake request, into hybi's event-driven server over loopback TCP;
// see fuzzEvented.
func FuzzEventedServer(f *testing.F) {
	for i, s := range connSeeds(true) {
		f.Add(uint8(i*37), s)
	}
	f.Fuzz(func(t *testing.T, mode uint8, stream []byte) {
		defer watchdog()()
		fuzzEvented(t, mode, stream)
	})
}

// eventedOutcome is what the server's callbacks saw of one connection.
type eventedOutcome struct {
	mu     sync.Mutex
	conn   *evented.Conn
	msgs   []string
	bad    []string
	opened chan struct{}
	closed chan *evented.CloseError
}

// eventedServers are the servers of the target, one per compression
// setting, shared by the inputs: routes maps a client's local address to
// the outcome of its connection.
var (
	eventedMu      sync.Mutex
	eventedServers = map[uint8]string{}
	eventedRoutes  sync.Map // string -> *eventedOutcome
)

// eventedServer returns the address of the server for the compression
// bits of mode, starting it on first use.
func eventedServer(t *testing.T, mode uint8) string {
	key := mode & (modeCompress | modeTakeover)
	if key&modeCompress == 0 {
		key = 0
	}
	eventedMu.Lock()
	defer eventedMu.Unlock()
	if addr, ok := eventedServers[key]; ok {
		return addr
	}
	route := func(c *evented.Conn) *eventedOutcome {
		o, _ := eventedRoutes.Load(c.RemoteAddr().String())
		return o.(*eventedOutcome)
	}
	s := &evented.Server{
		ReadLimit:    connReadLimit,
		CloseTimeout: connCloseTimeout,
		PingInterval: -1,
		Loops:        1,
		Workers:      2,
		OnOpen: func(c *evented.Conn) {
			o := route(c)
			o.mu.Lock()
			o.conn = c
			o.mu.Unlock()
			close(o.opened)
		},
		OnMessage: func(c *evented.Conn, typ evented.MessageType, data []byte) {
			o := route(c)
			o.mu.Lock()
			defer o.mu.Unlock()
			switch {
			case typ != evented.Text && typ != evented.Binary:
				o.bad = append(o.bad, fmt.Sprintf("message of type %d", typ))
			case len(data) > connReadLimit:
				o.bad = append(o.bad, fmt.Sprintf("message of %d bytes, over the limit of %d", len(data), connReadLimit))
			case typ == evented.Text && !utf8.Valid(data):
				o.bad = append(o.bad, fmt.Sprintf("text message % x is not UTF-8", data))
			}
			if len(o.msgs) < 100 {
				o.msgs = append(o.msgs, string(data))
			}
		},
		OnClose: func(c *evented.Conn, err *evented.CloseError) {
			route(c).closed <- err
		},
	}
	if key&modeCompress != 0 {
		s.Compression = &deflate.Config{
			NoContextTakeover:     key&modeTakeover == 0,
			PeerNoContextTakeover: key&modeTakeover == 0,
			Threshold:             4,
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln) // for the life of the process
	addr := ln.Addr().String()
	// A first connection, opened and dropped, makes sure the server's
	// goroutines run before any input counts them.
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	o := &eventedOutcome{opened: make(chan struct{}), closed: make(chan *evented.CloseError, 1)}
	eventedRoutes.Store(nc.LocalAddr().String(), o)
	defer eventedRoutes.Delete(nc.LocalAddr().String())
	nc.Write([]byte(eventedRequest + "\r\n"))
	<-o.opened
	nc.Close()
	<-o.closed
	eventedServers[key] = addr
	return addr
}

const eventedRequest = "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"

// fuzzEvented sends a handshake request, then stream in chunks, to the
// event-driven server, with a small ReadLimit, a short CloseTimeout and no
// keepalive. mode picks the variations: compression negotiated (with or
// without context takeover), the first bytes of the stream sent with the
// request, an application message written when the connection opens, and
// whether the peer then ends its side (EOF) or stays open and answers the
// close that the test then starts.
//
// Whatever the input, the server never panics or hangs (the connection
// ends within connInputTimeout) or leaks goroutines; the callbacks see
// messages (text ones valid UTF-8, none over the limit) then a
// *CloseError whose code is ValidOnWire, NoStatus or Abnormal; what it
// sent is well-formed frames for a server, with at most one close frame,
// last, whose payload is empty or has a code that is ValidOnWire and a
// UTF-8 reason.
func fuzzEvented(t *testing.T, mode uint8, stream []byte) {
	if len(stream) > 1<<16 {
		return
	}
	addr := eventedServer(t, mode)
	baseline := runtime.NumGoroutine()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	allocBefore := mem.TotalAlloc
	pings := pingPayloads(stream)
	compress := mode&modeCompress != 0
	chunk := []int{0, 1, 3, 64}[mode/modeChunk0&3]

	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	tc := nc.(*net.TCPConn)
	defer tc.Close()
	o := &eventedOutcome{opened: make(chan struct{}), closed: make(chan *evented.CloseError, 1)}
	key := tc.LocalAddr().String()
	eventedRoutes.Store(key, o)
	defer eventedRoutes.Delete(key)

	req := eventedRequest
	if compress {
		req += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
	}
	first := []byte(req + "\r\n")
	if mode&modeBuffered != 0 {
		n := min(len(stream), int(mode>>4)+1)
		first, stream = append(first, stream[:n]...), stream[n:]
	}

	peer := &peerState{role: frame.Server, respond: mode&modePeerOpen != 0, skipHead: true,
		headDone: make(chan struct{}), writerDone: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(2)
	recorded := make(chan struct{})
	go func() {
		defer wg.Done()
		defer close(recorded)
		peer.record(tc)
	}()
	opened := false
	go func() {
		defer wg.Done()
		defer close(peer.writerDone)
		if _, err := tc.Write(first); err != nil {
			return
		}
		for rest := stream; len(rest) > 0; {
			n := len(rest)
			if chunk > 0 {
				n = min(n, chunk)
			}
			if _, err := tc.Write(rest[:n]); err != nil {
				return
			}
			rest = rest[n:]
		}
		if !peer.respond {
			tc.CloseWrite()
		}
	}()
	select {
	case <-o.opened:
		opened = true
	case <-time.After(connInputTimeout):
		dumpAndFail(t, "the connection did not open")
	}
	if opened && mode&modeWrite != 0 {
		o.conn.Write(evented.Text, []byte(appMessage))
	}
	if mode&modePeerOpen != 0 {
		select {
		case <-peer.writerDone:
		case <-time.After(connInputTimeout):
			dumpAndFail(t, "the stream was not written to the end")
		}
		if err := o.conn.Close(closecode.Normal, "bye"); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	var ce *evented.CloseError
	select {
	case ce = <-o.closed:
	case <-time.After(connInputTimeout):
		dumpAndFail(t, "the connection did not end")
	}
	if ce == nil {
		t.Fatal("OnClose with a nil *CloseError")
	}
	if !ce.Code.ValidOnWire() && ce.Code != closecode.NoStatus && ce.Code != closecode.Abnormal {
		t.Fatalf("the connection ended with %v: code %d", ce, ce.Code)
	}
	o.mu.Lock()
	if len(o.bad) > 0 {
		t.Errorf("bad messages delivered:\n%s", strings.Join(o.bad, "\n"))
	}
	o.mu.Unlock()
	// The server closed the connection: what it sent is all read when
	// the recorder meets the end.
	select {
	case <-recorded:
	case <-time.After(connInputTimeout):
		dumpAndFail(t, "the server did not close the TCP connection")
	}
	tc.Close()
	wg.Wait()

	sent := peer.frames()
	if err := checkSent(frame.Server, sent, pings); err != nil {
		t.Fatalf("the server sent % x: %v\n(the connection ended with %v)", sent, err, ce)
	}
	if ce.Clean && !peer.sawClose() {
		t.Fatalf("the connection ended with a clean close %v, but the server sent no close frame", ce)
	}

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
}
