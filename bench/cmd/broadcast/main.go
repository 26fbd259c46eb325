// Command broadcast measures broadcasting one message to many connections:
// hybi's broadcast.Hub, hybi's WritePrepared in a loop, hybi's Write in a
// loop, gorilla's PreparedMessage in a loop and gws's Broadcaster, each
// sending -msgs messages of -size bytes of text to -conns clients, with and
// without permessage-deflate (no context takeover), in interleaved rounds.
//
// The clients are cheap raw readers in a child process (this command run
// with -child), so that the server's CPU time (getrusage of this process)
// is the server's alone. A run ends when every client got every message;
// the child counts them, and how many were compressed.
//
//	go run ./cmd/broadcast -conns 1000,10000 -rounds 5
//	go run ./cmd/broadcast -trap   # prepared and ordinary messages under context takeover, gws
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	child := flag.Bool("child", false, "run as the clients' process (internal)")
	conns := flag.String("conns", "1000,10000", "comma-separated numbers of clients")
	msgs := flag.Int("msgs", 200, "messages per run")
	size := flag.Int("size", 256, "message size in bytes")
	rounds := flag.Int("rounds", 5, "rounds (each runs every library once, in rotating order)")
	libs := flag.String("libs", strings.Join(allLibs, ","), "libraries to run")
	modes := flag.String("modes", "plain,deflate", "plain and/or deflate")
	interval := flag.Duration("interval", 0, "pause between broadcasts (0: send them all at once, a burst)")
	cpuprofile := flag.String("cpuprofile", "", "write the server's CPU profile to this file")
	trap := flag.Bool("trap", false, "check gws's Broadcaster interleaved with ordinary messages under context takeover, and exit")
	flag.Parse()
	if *child {
		runChild()
		return
	}
	if *trap {
		os.Exit(runTrap())
	}
	names := strings.Split(*libs, ",")
	for _, n := range names {
		if _, ok := servers[n]; !ok {
			log.Fatalf("unknown library %q (have %v)", n, allLibs)
		}
	}
	c, err := startChild()
	if err != nil {
		log.Fatal(err)
	}
	defer c.stop()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("# broadcast: %d messages of %d B text per run, %v between them, %d rounds, %s, GOMAXPROCS %d\n",
		*msgs, *size, *interval, *rounds, runtime.Version(), runtime.GOMAXPROCS(0))
	for _, ns := range strings.Split(*conns, ",") {
		n, err := strconv.Atoi(ns)
		if err != nil {
			log.Fatal(err)
		}
		for _, mode := range strings.Split(*modes, ",") {
			deflate := mode == "deflate"
			res := map[string][]result{}
			for r := range *rounds {
				load := loadavg()
				for i := range names {
					name := names[(i+r)%len(names)] // rotate the order each round
					rr, err := runOne(c, name, n, deflate, *msgs, *size, *interval)
					if err != nil {
						log.Fatalf("%s n=%d %s: %v", name, n, mode, err)
					}
					res[name] = append(res[name], rr)
					fmt.Fprintf(os.Stderr, "round %d load %s %-13s n=%-5d %-7s %s\n", r+1, load, name, n, mode, rr)
				}
			}
			report(n, mode, names, res)
		}
	}
}

// result is one run's measurements.
type result struct {
	wall       time.Duration
	cpu        time.Duration // server process, user + system
	mallocs    uint64
	delivered  int
	compressed int // messages the clients saw with RSV1
	broadcasts int
	note       string
}

func (r result) cpuPerMsg() float64 { return float64(r.cpu.Nanoseconds()) / float64(r.delivered) }
func (r result) allocsPerBroadcast() float64 {
	return float64(r.mallocs) / float64(r.broadcasts)
}

func (r result) String() string {
	return fmt.Sprintf("total %7.1f ms  cpu/msg %6.2f µs  allocs/broadcast %8.1f  compressed %d/%d %s",
		float64(r.wall.Microseconds())/1000, r.cpuPerMsg()/1000, r.allocsPerBroadcast(), r.compressed, r.delivered, r.note)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// runOne runs library name once: n clients, msgs messages.
func runOne(c *childProc, name string, n int, deflate bool, msgs, size int, interval time.Duration) (result, error) {
	srv, err := servers[name](deflate)
	if err != nil {
		return result{}, err
	}
	defer srv.close()
	if err := c.cmd("dial %s %d %v %d", srv.addr(), n, deflate, msgs); err != nil {
		return result{}, err
	}
	if err := srv.wait(n, 60*time.Second); err != nil {
		return result{}, err
	}
	payloads := make([][]byte, msgs)
	for i := range payloads {
		payloads[i] = message(i, size)
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0, t0 := cpuTime(), time.Now()
	for i, p := range payloads {
		if i > 0 && interval > 0 {
			time.Sleep(interval)
		}
		if err := srv.broadcast(p); err != nil {
			return result{}, err
		}
	}
	line, err := c.wait("done")
	if err != nil {
		return result{}, err
	}
	wall, cpu := time.Since(t0), cpuTime()-cpu0
	runtime.ReadMemStats(&m1)
	r := result{wall: wall, cpu: cpu, mallocs: m1.Mallocs - m0.Mallocs, delivered: n * msgs, broadcasts: msgs, note: srv.note()}
	fmt.Sscanf(line, "done %d", &r.compressed)
	if err := c.cmd("close"); err != nil {
		return r, err
	}
	if _, err := c.wait("closed"); err != nil {
		return r, err
	}
	return r, nil
}

// message returns the i-th message: a price tick padded to size bytes of
// text, different for each i.
func message(i, size int) []byte {
	b := fmt.Appendf(nil, `{"seq":%d,"sym":"HYBI","bid":%d.%02d,"ask":%d.%02d,"vol":%d,"pad":"`, i, 100+i%7, i%100, 101+i%7, (i*7)%100, 1000+i*13)
	for len(b) < size-2 {
		b = append(b, "abcdefghij"[len(b)%10])
	}
	return append(b[:min(len(b), size-2)], `"}`...)
}

func report(n int, mode string, names []string, res map[string][]result) {
	fmt.Printf("\n## %d clients, %s\n\n", n, mode)
	fmt.Println("| library | total ms (median) | server CPU per delivered message (median [min..max]) | allocs per broadcast | compressed | vs hybi-hub CPU (per-round ratio median [min..max]) |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	hub := res["hybi-hub"]
	for _, name := range names {
		rs := res[name]
		walls, cpus, allocs := make([]float64, len(rs)), make([]float64, len(rs)), make([]float64, len(rs))
		var ratios []float64
		comp := true
		for i, r := range rs {
			walls[i] = float64(r.wall.Microseconds()) / 1000
			cpus[i] = r.cpuPerMsg() / 1000
			allocs[i] = r.allocsPerBroadcast()
			comp = comp && r.compressed == r.delivered
			if i < len(hub) {
				ratios = append(ratios, r.cpuPerMsg()/hub[i].cpuPerMsg())
			}
		}
		cs := "none"
		if comp {
			cs = "all"
		} else if rs[0].compressed > 0 {
			cs = "some"
		}
		ratio := "-"
		if len(ratios) > 0 {
			ratio = fmt.Sprintf("%.2f× [%.2f..%.2f]", median(ratios), slices.Min(ratios), slices.Max(ratios))
		}
		fmt.Printf("| %s | %.0f | %.2f µs [%.2f..%.2f] | %.1f | %s | %s |\n", name,
			median(walls), median(cpus), slices.Min(cpus), slices.Max(cpus), median(allocs), cs, ratio)
	}
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := slices.Clone(x)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// childProc is the clients' process, driven by lines on its stdin; it
// answers with lines on its stdout.
type childProc struct {
	cmdp *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
}

func startChild() (*childProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-child")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &childProc{cmdp: cmd, in: in, out: bufio.NewScanner(out)}, nil
}

func (c *childProc) cmd(format string, args ...any) error {
	_, err := fmt.Fprintf(c.in, format+"\n", args...)
	return err
}

// wait returns the child's next line, which must start with want.
func (c *childProc) wait(want string) (string, error) {
	if !c.out.Scan() {
		return "", fmt.Errorf("child ended: %v", c.out.Err())
	}
	line := c.out.Text()
	if !strings.HasPrefix(line, want) {
		return line, fmt.Errorf("child said %q, want %q", line, want)
	}
	return line, nil
}

func (c *childProc) stop() {
	c.in.Close()
	c.cmdp.Wait()
}
