// Command evbench measures the event-driven server (package evented)
// against lesismal/nbio v1.6.8 (non-blocking mode) and hybi's goroutine
// driver (conn), each server in processes of its own, the clients in
// others, as bench/EVENTED.md reports:
//
//	go run ./cmd/evbench idle    # memory per idle connection, 10k and 19.9k per process
//	go run ./cmd/evbench many    # 100k in all: server processes on one SO_REUSEPORT port
//	go run ./cmd/evbench echo    # echo throughput, 1k and 10k active connections
//	go run ./cmd/evbench latency # p50/p99/p999 at 1,000 connections × 100 msg/s
//
// Every mode runs its rounds interleaved over the libraries (-libs) and
// prints one line per measurement. -h after the mode lists its flags.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

func main() {
	raiseNoFile()
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: evbench idle|many|echo|latency [flags]")
		os.Exit(2)
	}
	mode, args := os.Args[1], os.Args[2:]
	switch mode {
	case "serve": // a server process
		serveMain(args)
	case "clients": // a client process
		clientsMain(args)
	case "idle":
		idleMain(args)
	case "many":
		manyMain(args)
	case "echo":
		echoMain(args)
	case "latency":
		latencyMain(args)
	default:
		fatalf("unknown mode %q", mode)
	}
}

// proc is a child process of evbench, spoken to by lines.
type proc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func start(args ...string) *proc {
	self, err := os.Executable()
	if err != nil {
		fatalf("%v", err)
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		fatalf("%v", err)
	}
	return &proc{cmd: cmd, in: in, out: bufio.NewScanner(out)}
}

// line reads the next line of the child, which must start with prefix.
func (p *proc) line(prefix string) string {
	if !p.out.Scan() {
		fatalf("%v: no answer", p.cmd.Args[1:])
	}
	s, ok := strings.CutPrefix(p.out.Text(), prefix+" ")
	if !ok {
		fatalf("%v said %q", p.cmd.Args[1:], p.out.Text())
	}
	return s
}

func (p *proc) stop() {
	p.in.Close()
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// server is a server process.
type server struct{ *proc }

type stats struct{ open, heap, stack, rss, goroutines int64 }

func startServer(lib, addr string) (*server, string) {
	p := start("serve", lib, addr)
	return &server{p}, p.line("addr")
}

func (s *server) stats() stats {
	fmt.Fprintln(s.in, "stats")
	var st stats
	fmt.Sscan(s.line("stats"), &st.open, &st.heap, &st.stack, &st.rss, &st.goroutines)
	return st
}

// cpu returns the server's open connections and CPU time so far.
func (s *server) cpu() (int64, time.Duration) {
	fmt.Fprintln(s.in, "cpu")
	var open, ns int64
	fmt.Sscan(s.line("cpu"), &open, &ns)
	return open, time.Duration(ns)
}

// startClients starts client processes opening n connections to addr in
// all, at most per each, each from its own source address 127.0.0.<2+i>,
// and waits until they are ready. It returns the processes and the
// connections opened.
func startClients(addr string, n, per int) ([]*proc, int) {
	var ps []*proc
	for i := 0; n > 0; i++ {
		k := min(n, per)
		n -= k
		ps = append(ps, start("clients", addr, fmt.Sprintf("127.0.0.%d", 2+i), fmt.Sprint(k)))
	}
	total := 0
	for _, p := range ps {
		var ok, failed int
		fmt.Sscan(p.line("ready"), &ok, &failed)
		total += ok
	}
	return ps, total
}

func stopAll(ps []*proc) {
	for _, p := range ps {
		p.stop()
	}
}

func libsFlag(fs *flag.FlagSet) *string {
	return fs.String("libs", "hybi-evented,nbio,hybi-raw", "servers to compare, in each round's order")
}

func intList(s string) []int {
	var r []int
	for _, f := range strings.Split(s, ",") {
		var n int
		fmt.Sscan(f, &n)
		r = append(r, n)
	}
	return r
}

// waitOpen waits until the servers see n connections in all.
func waitOpen(servers []*server, n int) int64 {
	var open int64
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		open = 0
		for _, s := range servers {
			o, _ := s.cpu()
			open += o
		}
		if open >= int64(n) {
			break
		}
	}
	return open
}

// idleMain: one server process per library and count, the clients in
// processes of their own (one echo each, then idle); memory after -idle.
func idleMain(args []string) {
	fs := flag.NewFlagSet("idle", flag.ExitOnError)
	libList := libsFlag(fs)
	counts := fs.String("conns", "10000,19900", "connections per measurement")
	rounds := fs.Int("rounds", 2, "rounds")
	idle := fs.Duration("idle", 3*time.Second, "idle time before measuring")
	fs.Parse(args)
	for r := range *rounds {
		for _, n := range intList(*counts) {
			for _, lib := range strings.Split(*libList, ",") {
				srv, addr := startServer(lib, "127.0.0.1:0")
				base := srv.stats()
				clients, ok := startClients(addr, n, 10000)
				open := waitOpen([]*server{srv}, ok)
				time.Sleep(*idle)
				st := srv.stats()
				d := float64(open)
				fmt.Printf("idle round=%d lib=%s conns=%d open=%d heap+stack=%.0f heap=%.0f stack=%.0f rss=%.0f B/conn goroutines=%d\n",
					r, lib, n, open, float64(st.heap+st.stack-base.heap-base.stack)/d,
					float64(st.heap-base.heap)/d, float64(st.stack-base.stack)/d, float64(st.rss-base.rss)/d, st.goroutines)
				stopAll(clients)
				srv.stop()
			}
		}
	}
}

// manyMain: -servers processes of one library sharing a port with
// SO_REUSEPORT, -total connections from client processes on several
// source addresses; memory per server process and summed, then the
// servers' CPU per idle connection per second over -cpu.
func manyMain(args []string) {
	fs := flag.NewFlagSet("many", flag.ExitOnError)
	libList := libsFlag(fs)
	nservers := fs.Int("servers", 6, "server processes")
	totals := fs.String("total", "50000,100000", "connections in all, per measurement")
	per := fs.Int("per-client", 17000, "connections per client process")
	idle := fs.Duration("idle", 3*time.Second, "idle time before measuring")
	cpuWin := fs.Duration("cpu", 0, "window for the idle CPU measurement (0: none)")
	fs.Parse(args)
	for _, total := range intList(*totals) {
		for _, lib := range strings.Split(*libList, ",") {
			first, addr := startServer(lib, "127.0.0.1:0")
			servers := []*server{first}
			for len(servers) < *nservers {
				s, _ := startServer(lib, addr)
				servers = append(servers, s)
			}
			bases := make([]stats, len(servers))
			for i, s := range servers {
				bases[i] = s.stats()
			}
			t0 := time.Now()
			clients, ok := startClients(addr, total, *per)
			open := waitOpen(servers, ok)
			dial := time.Since(t0)
			time.Sleep(*idle)
			var sum stats
			for i, s := range servers {
				st := s.stats()
				b := bases[i]
				d := float64(st.open)
				fmt.Printf("many lib=%s total=%d server=%d open=%d heap+stack=%d rss=%d (%.0f, %.0f B/conn)\n",
					lib, total, i, st.open, st.heap+st.stack-b.heap-b.stack, st.rss-b.rss,
					float64(st.heap+st.stack-b.heap-b.stack)/d, float64(st.rss-b.rss)/d)
				sum.open += st.open
				sum.heap += st.heap + st.stack - b.heap - b.stack
				sum.rss += st.rss - b.rss
			}
			fmt.Printf("many lib=%s total=%d servers=%d clients=%d open=%d dialed-in=%v heap+stack=%d rss=%d sum (%.0f, %.0f B/conn)\n",
				lib, total, len(servers), len(clients), sum.open, dial.Round(time.Second), sum.heap, sum.rss,
				float64(sum.heap)/float64(sum.open), float64(sum.rss)/float64(sum.open))
			if *cpuWin > 0 {
				var c0, c1 time.Duration
				for _, s := range servers {
					_, c := s.cpu()
					c0 += c
				}
				time.Sleep(*cpuWin)
				var open1 int64
				for _, s := range servers {
					o, c := s.cpu()
					c1 += c
					open1 += o
				}
				fmt.Printf("many lib=%s total=%d idle-cpu=%v over %v open-after=%d: %.1f ns per connection per second\n",
					lib, total, c1-c0, *cpuWin, open1, float64(c1-c0)/float64(open)/cpuWin.Seconds())
			}
			stopAll(clients)
			for _, s := range servers {
				s.stop()
			}
			_ = open
		}
	}
}

// percentile returns the p-quantile of sorted d.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(p * float64(len(d)))
	return d[min(i, len(d)-1)]
}

func sortDurations(d []time.Duration) { sort.Slice(d, func(i, j int) bool { return d[i] < d[j] }) }
