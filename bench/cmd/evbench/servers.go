package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/evented"
	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

// libs are the servers compared, each an echo server with its library's
// defaults (keepalive included).
var libs = map[string]func(ln net.Listener, open *atomic.Int64) error{
	"hybi-evented": serveEvented,
	"nbio":         serveNbio,
	"hybi-raw":     serveGoroutines,
}

// serveEvented is package evented: Serve on the listener, the handshake on
// the loops, OnMessage writing the message back.
func serveEvented(ln net.Listener, open *atomic.Int64) error {
	s := &evented.Server{
		InsecureSkipOriginCheck: true,
		OnOpen:                  func(*evented.Conn) { open.Add(1) },
		OnMessage:               func(c *evented.Conn, typ evented.MessageType, data []byte) { c.Write(typ, data) },
		OnClose:                 func(*evented.Conn, *evented.CloseError) { open.Add(-1) },
	}
	go s.Serve(ln)
	return nil
}

// serveNbio is lesismal/nbio v1.6.8's nbhttp engine in non-blocking mode
// with its websocket Upgrader.
func serveNbio(ln net.Listener, open *atomic.Int64) error {
	logging.SetLevel(logging.LevelNone)
	up := websocket.NewUpgrader()
	up.CheckOrigin = func(*http.Request) bool { return true }
	// nbio sends no pings: its keepalive closes a connection that sent
	// nothing for KeepaliveTime (120 s by default). The idle clients here
	// only answer pings, so it would drop them while the others are dialed.
	up.KeepaliveTime = time.Hour
	up.OnMessage(func(c *websocket.Conn, mt websocket.MessageType, data []byte) { c.WriteMessage(mt, data) })
	up.OnClose(func(*websocket.Conn, error) { open.Add(-1) })
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := up.Upgrade(w, r, nil); err == nil {
			open.Add(1)
		}
	})
	e := nbhttp.NewEngine(nbhttp.Config{
		Network: "tcp",
		Addrs:   []string{ln.Addr().String()},
		Handler: h,
		IOMod:   nbhttp.IOModNonBlocking,
		// The engine's read deadline too (see KeepaliveTime above).
		KeepaliveTime: time.Hour,
		Listen:        func(string, string) (net.Listener, error) { return ln, nil },
	})
	return e.Start()
}

// serveGoroutines is hybi's goroutine driver: conn.AcceptConn on each
// accepted connection, then a Read/Write loop in its goroutine.
func serveGoroutines(ln net.Listener, open *atomic.Int64) error {
	opts := &conn.AcceptOptions{InsecureSkipOriginCheck: true}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c, err := conn.AcceptConn(context.Background(), nc, opts)
				if err != nil {
					return
				}
				open.Add(1)
				defer open.Add(-1)
				defer c.CloseNow()
				ctx := context.Background()
				var buf []byte
				for {
					typ, b, err := c.Read(ctx, buf)
					if err != nil {
						return
					}
					buf = b
					if c.Write(ctx, typ, buf) != nil {
						return
					}
				}
			}()
		}
	}()
	return nil
}

// listenReusePort listens on addr with SO_REUSEPORT, so that several
// server processes share the port (the kernel spreads the connections).
func listenReusePort(addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, 0xf /* SO_REUSEPORT */, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	return lc.Listen(context.Background(), "tcp", addr)
}

// serveMain is the server process: it serves one library on addr, prints
// "addr host:port", and answers each line on stdin: "stats" with its
// memory after GC, "cpu" with its CPU time so far (no GC).
func serveMain(args []string) {
	lib, addr := args[0], args[1]
	serve, ok := libs[lib]
	if !ok {
		fatalf("unknown library %q", lib)
	}
	ln, err := listenReusePort(addr)
	if err != nil {
		fatalf("listen: %v", err)
	}
	var open atomic.Int64
	if err := serve(ln, &open); err != nil {
		fatalf("serve: %v", err)
	}
	fmt.Printf("addr %s\n", ln.Addr())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "cpu":
			fmt.Printf("cpu %d %d\n", open.Load(), cpuTime().Nanoseconds())
		default:
			heap, stack := memory()
			fmt.Printf("stats %d %d %d %d %d\n", open.Load(), heap, stack, rss(), runtime.NumGoroutine())
		}
	}
}

var memSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
	{Name: "/memory/classes/heap/stacks:bytes"},
}

// memory returns the heap in use (objects plus the unused part of their
// spans: MemStats.HeapInuse) and the stacks, from runtime/metrics after
// a GC.
func memory() (heap, stack int64) {
	runtime.GC()
	debug.FreeOSMemory()
	metrics.Read(memSamples)
	return int64(memSamples[0].Value.Uint64() + memSamples[1].Value.Uint64()), int64(memSamples[2].Value.Uint64())
}

// rss returns VmRSS from /proc/self/status, in bytes.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}

// cpuTime is the user plus system CPU time of the process (getrusage).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "evbench: "+format+"\n", a...)
	os.Exit(1)
}

// raiseNoFile lifts the soft open-file limit to the hard one.
func raiseNoFile() {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil {
		rl.Cur = rl.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
}
