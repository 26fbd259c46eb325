// Command loadtest measures broadcast across nodes through Redis, bounded in
// time: one redis-server on a free loopback port with a temporary
// directory, two chat nodes (the server of redisbroker/cmd/chat) as child
// processes, one more child process holding -conns client connections on
// each node, and a publisher in this process that sends -rate messages a
// second through node A, each carrying its send time. It reports the
// delivery latency (p50, p99, p99.9, max) to the clients of node A
// (same node) and of node B (across nodes, through Redis), the CPU time per
// second of each node, of redis-server and of the clients' process, and
// the messages delivered against those expected.
//
//	go build -o /tmp/loadtest ./cmd/loadtest
//	/tmp/loadtest -conns 5000 -rate 50 -duration 20s
//
// It is a command, not a test: go test never runs it. The processes share
// the machine's cores, so a node's CPU figure is its own (from
// /proc/PID/stat), but its latency includes waiting for a core.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/bits"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hybi/ws/broker"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/examples/chat/chatserver"
	"github.com/hybi/ws/redisbroker"
	"github.com/redis/go-redis/v9"
)

// roleEnv selects what a child process of the driver is.
const roleEnv = "HYBI_LOADTEST_ROLE"

func main() {
	switch os.Getenv(roleEnv) {
	case "node":
		runNode()
	case "clients":
		runClients()
	default:
		runDriver()
	}
}

// runNode is redisbroker/cmd/chat: chatserver on a Redis broker.
func runNode() {
	addr := flag.String("redis", "", "Redis address")
	chatserver.Main(func() (broker.Broker, string, error) {
		c := redis.NewClient(&redis.Options{Addr: *addr, DialTimeout: time.Second, ReadTimeout: 2 * time.Second,
			WriteTimeout: 2 * time.Second, MaxRetries: 1})
		return redisbroker.New(c, nil), "Redis broker at " + *addr, nil
	})
}

// Latency histogram: microseconds, 16 sub-buckets per power of two (about
// 6 % wide).
const nBuckets = 16 * 40

type hist [nBuckets]uint64

func bucket(us uint64) int {
	if us < 32 {
		return int(us)
	}
	shift := bits.Len64(us) - 5
	i := 16*(shift+1) + int((us>>shift)&15)
	if i >= nBuckets {
		i = nBuckets - 1
	}
	return i
}

// bucketMid is the middle of bucket i, in microseconds.
func bucketMid(i int) float64 {
	if i < 32 {
		return float64(i)
	}
	shift := i/16 - 1
	lo := uint64(16+i%16) << shift
	return float64(lo) + float64(uint64(1)<<shift)/2
}

func (h *hist) quantile(q float64) float64 {
	var n uint64
	for _, c := range h {
		n += c
	}
	if n == 0 {
		return 0
	}
	want := uint64(q*float64(n-1)) + 1
	var s uint64
	for i, c := range h {
		s += c
		if s >= want {
			return bucketMid(i)
		}
	}
	return 0
}

func (h *hist) max() float64 {
	for i := nBuckets - 1; i >= 0; i-- {
		if h[i] != 0 {
			return bucketMid(i)
		}
	}
	return 0
}

// group is what the clients of one node saw.
type group struct {
	Conns    int
	Received uint64 // messages of the publisher received, all connections
	Gaps     uint64 // offsets skipped inside a connection's stream
	Dups     uint64 // offsets received again or out of order
	Closed   int    // connections the server closed during the run
	CloseWhy map[string]int
	Hist     hist
}

type clientConn struct {
	received, gaps, dups uint64
	last                 uint64
	closed               string
	c                    *conn.Conn
	hist                 hist
}

// runClients holds the connections: flags -url (repeated per node, comma
// separated) and -conns. It prints "ready" when all are connected, answers
// "stat" on stdin with "stat RECEIVED CLOSED", and on "stop" prints the
// groups as JSON and exits.
func runClients() {
	fs := flag.NewFlagSet("clients", flag.ExitOnError)
	urls := fs.String("urls", "", "comma-separated WebSocket URLs, one per node")
	n := fs.Int("conns", 1000, "connections per node")
	fs.Parse(os.Args[1:])
	var total atomic.Uint64
	var closed atomic.Int64
	groups := strings.Split(*urls, ",")
	conns := make([][]*clientConn, len(groups))
	var wg, dialing sync.WaitGroup
	sem := make(chan struct{}, 32)
	read := func(cc *clientConn) {
		defer wg.Done()
		c := cc.c
		defer c.CloseNow()
		buf := make([]byte, 0, 512)
		for {
			_, msg, err := c.Read(context.Background(), buf)
			now := time.Now().UnixNano()
			if err != nil {
				if stopping.Load() {
					return
				}
				var ce *conn.CloseError
				if errors.As(err, &ce) {
					cc.closed = fmt.Sprintf("%d %s", ce.Code, ce.Reason)
				} else {
					cc.closed = err.Error()
				}
				closed.Add(1)
				return
			}
			buf = msg
			off, sent, ok := parse(msg)
			if !ok {
				continue
			}
			switch {
			case cc.last == 0 || off == cc.last+1:
			case off <= cc.last:
				cc.dups++
				continue
			default:
				cc.gaps += off - cc.last - 1
			}
			cc.last = off
			cc.received++
			total.Add(1)
			d := now - sent
			if d < 0 {
				d = 0
			}
			cc.hist[bucket(uint64(d/1000))]++
		}
	}
	for g, u := range groups {
		conns[g] = make([]*clientConn, *n)
		for i := range *n {
			cc := &clientConn{}
			conns[g][i] = cc
			sem <- struct{}{}
			dialing.Add(1)
			go func() {
				defer dialing.Done()
				defer func() { <-sem }()
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				c, err := conn.Dial(ctx, u, nil)
				cancel()
				if err != nil {
					log.Fatalf("dial %s (connection %d): %v", u, i, err)
				}
				// Wait for the joined message, so that every connection
				// follows the topic before anything is published.
				_, msg, err := c.Read(context.Background(), nil)
				if err != nil || !strings.Contains(string(msg), `"type":"joined"`) {
					log.Fatalf("join %s (connection %d): %q %v", u, i, msg, err)
				}
				cc.c = c
				wg.Add(1)
				go read(cc)
			}()
		}
	}
	dialing.Wait()
	fmt.Println("ready")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "stat":
			fmt.Printf("stat %d %d\n", total.Load(), closed.Load())
		case "stop":
			// Close every connection, and wait for the readers, which
			// own their counts, to end.
			stopping.Store(true)
			for g := range conns {
				for _, cc := range conns[g] {
					cc.c.CloseNow()
				}
			}
			wg.Wait()
			out := make([]group, len(groups))
			for g := range conns {
				out[g].Conns = len(conns[g])
				out[g].CloseWhy = map[string]int{}
				for _, cc := range conns[g] {
					out[g].Received += cc.received
					out[g].Gaps += cc.gaps
					out[g].Dups += cc.dups
					if cc.closed != "" {
						out[g].Closed++
						out[g].CloseWhy[cc.closed]++
					}
					for i, c := range cc.hist {
						out[g].Hist[i] += c
					}
				}
			}
			b, _ := json.Marshal(out)
			fmt.Printf("result %s\n", b)
			return
		}
	}
}

// stopping is set when runClients closes its connections itself.
var stopping atomic.Bool

// parse reads the offset and the send time out of
// {"type":"message",…,"offset":N,"data":"SENT"}.
func parse(msg []byte) (off uint64, sent int64, ok bool) {
	s := string(msg) // no copy: the compiler sees it only read
	if !strings.HasPrefix(s, `{"type":"message"`) {
		return 0, 0, false
	}
	i := strings.Index(s, `"offset":`)
	j := strings.Index(s, `"data":"`)
	if i < 0 || j < 0 {
		return 0, 0, false
	}
	o := s[i+len(`"offset":`):]
	if k := strings.IndexByte(o, ','); k >= 0 {
		o = o[:k]
	}
	d := s[j+len(`"data":"`):]
	if k := strings.IndexByte(d, '"'); k >= 0 {
		d = d[:k]
	}
	off, err1 := strconv.ParseUint(o, 10, 64)
	sent, err2 := strconv.ParseInt(d, 10, 64)
	return off, sent, err1 == nil && err2 == nil
}

// proc is a child process whose CPU time is measured.
type proc struct {
	name string
	cmd  *exec.Cmd
}

// cpu returns the process's user and system time, from /proc/PID/stat.
func cpu(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: the fields
	// counted from 3 (state) follow the last ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseUint(f[11], 10, 64) // field 14
	stime, _ := strconv.ParseUint(f[12], 10, 64) // field 15
	const hz = 100                               // sysconf(_SC_CLK_TCK) on Linux
	return time.Duration(utime+stime) * time.Second / hz, nil
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func runDriver() {
	conns := flag.Int("conns", 1000, "client connections per node")
	rate := flag.Float64("rate", 100, "messages published per second, through node A")
	dur := flag.Duration("duration", 20*time.Second, "how long to publish")
	drain := flag.Duration("drain", 10*time.Second, "how long to wait, at most, for the last deliveries")
	redisBin := flag.String("redis-server", "redis-server", "the redis-server binary")
	flag.Parse()
	if *conns <= 0 || *rate <= 0 || *dur <= 0 {
		log.Fatal("-conns, -rate and -duration must be positive")
	}
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "hybi-loadtest-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	var procs []*proc
	defer func() {
		for _, p := range procs {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	}()
	fail := func(format string, args ...any) {
		for _, p := range procs {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
		log.Printf("logs kept in %s", dir)
		log.Fatalf(format, args...)
	}
	start := func(name string, env string, args ...string) *proc {
		bin := self
		if env == "" {
			bin = args[0]
			args = args[1:]
		}
		cmd := exec.Command(bin, args...)
		if env != "" {
			cmd.Env = append(os.Environ(), roleEnv+"="+env)
		}
		logf, err := os.Create(filepath.Join(dir, name+".log"))
		if err != nil {
			fail("%v", err)
		}
		cmd.Stderr = logf
		if name != "clients" {
			cmd.Stdout = logf
		}
		p := &proc{name: name, cmd: cmd}
		return p
	}
	run := func(p *proc) {
		if err := p.cmd.Start(); err != nil {
			fail("%s: %v", p.name, err)
		}
		procs = append(procs, p)
	}

	// redis-server, as the tests run it: no persistence.
	raddr := freePort()
	_, rport, _ := net.SplitHostPort(raddr)
	rp := start("redis", "", *redisBin, "--port", rport, "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--appendonly", "no", "--daemonize", "no", "--logfile", "")
	run(rp)
	rc := redis.NewClient(&redis.Options{Addr: raddr, MaxRetries: -1})
	for deadline := time.Now().Add(10 * time.Second); rc.Ping(context.Background()).Err() != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			fail("redis-server not answering on %s", raddr)
		}
	}
	rc.Close()

	// The two nodes.
	addrs := []string{freePort(), freePort()}
	nodes := make([]*proc, 2)
	for i, a := range addrs {
		nodes[i] = start(fmt.Sprintf("node%c", 'A'+i), "node", "-addr", a, "-redis", raddr)
		run(nodes[i])
	}
	for _, a := range addrs {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			resp, err := http.Get("http://" + a + "/status")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				fail("node %s not ready: %v (logs in %s)", a, err, dir)
			}
		}
	}

	// The clients.
	urls := "ws://" + addrs[0] + "/ws,ws://" + addrs[1] + "/ws"
	cl := start("clients", "clients", "-urls", urls, "-conns", strconv.Itoa(*conns))
	stdin, _ := cl.cmd.StdinPipe()
	stdout, _ := cl.cmd.StdoutPipe()
	t := time.Now()
	run(cl)
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 1<<20), 16<<20)
	next := func() string {
		if !lines.Scan() {
			fail("clients ended: %v (log in %s)", lines.Err(), filepath.Join(dir, "clients.log"))
		}
		return lines.Text()
	}
	if l := next(); l != "ready" {
		fail("clients: %q", l)
	}
	fmt.Printf("%d connections per node ready in %v; load average %s\n", *conns, time.Since(t).Round(time.Millisecond), loadavg())

	// The publisher, a client of node A. It is a member of the room too,
	// so a node that falls behind may close it as a slow client (1008):
	// it then dials again and sends on.
	var pub *conn.Conn
	pubDials := 0
	dialPub := func() {
		if pub != nil {
			pub.CloseNow()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c, err := conn.Dial(ctx, "ws://"+addrs[0]+"/ws", nil)
		cancel()
		if err != nil {
			fail("publisher: %v", err)
		}
		pubDials++
		pub = c
		go func() {
			buf := make([]byte, 0, 512)
			for {
				_, msg, err := c.Read(context.Background(), buf)
				if err != nil {
					return
				}
				buf = msg
			}
		}()
	}
	dialPub()
	time.Sleep(500 * time.Millisecond) // the publisher's join

	measured := []*proc{nodes[0], nodes[1], rp, cl}
	cpu0 := make([]time.Duration, len(measured))
	for i, p := range measured {
		cpu0[i], _ = cpu(p.cmd.Process.Pid)
	}
	la0 := loadavg()
	interval := time.Duration(float64(time.Second) / *rate)
	t0 := time.Now()
	var sent uint64
	for {
		at := t0.Add(time.Duration(sent) * interval)
		if at.Sub(t0) >= *dur {
			break
		}
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		msg := strconv.AppendInt(nil, time.Now().UnixNano(), 10)
		for try := 0; ; try++ {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := pub.Write(ctx, conn.Text, msg)
			cancel()
			if err == nil {
				break
			}
			if try == 3 {
				fail("publish: %v", err)
			}
			dialPub()
		}
		sent++
	}
	t1 := time.Now()
	cpu1 := make([]time.Duration, len(measured))
	for i, p := range measured {
		cpu1[i], _ = cpu(p.cmd.Process.Pid)
	}
	la1 := loadavg()
	window := t1.Sub(t0)
	lag := t1.Sub(t0.Add(time.Duration(sent-1) * interval))

	// Wait for the deliveries to arrive, or to stop arriving.
	expected := sent * uint64(*conns) * 2
	var got uint64
	var closedN int
	last, lastAt := uint64(0), time.Now()
	for end := time.Now().Add(*drain); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		fmt.Fprintln(stdin, "stat")
		fmt.Sscanf(next(), "stat %d %d", &got, &closedN)
		open := uint64(2**conns - closedN)
		if got >= sent*open || (got == last && time.Since(lastAt) > 2*time.Second) {
			break
		}
		if got != last {
			last, lastAt = got, time.Now()
		}
	}
	drained := time.Since(t1)
	cpu2 := make([]time.Duration, len(measured))
	for i, p := range measured {
		cpu2[i], _ = cpu(p.cmd.Process.Pid)
	}
	fmt.Fprintln(stdin, "stop")
	l := next()
	if !strings.HasPrefix(l, "result ") {
		fail("clients: %q", l)
	}
	var gs []group
	if err := json.Unmarshal([]byte(strings.TrimPrefix(l, "result ")), &gs); err != nil {
		fail("clients' result: %v", err)
	}
	pub.CloseNow()

	fmt.Printf("published %d messages in %v (%.1f/s asked %.0f/s; the last one sent %v after its time)\n",
		sent, window.Round(time.Millisecond), float64(sent)/window.Seconds(), *rate, lag.Round(time.Microsecond))
	if pubDials > 1 {
		fmt.Printf("the publisher was closed by node A and dialled again %d times\n", pubDials-1)
	}
	fmt.Printf("load average %s at start, %s at end\n", la0, la1)
	fmt.Printf("deliveries: %d of %d expected (%.3f %%), drained %v after the last publish\n",
		gs[0].Received+gs[1].Received, expected, 100*float64(gs[0].Received+gs[1].Received)/float64(expected), drained.Round(time.Millisecond))
	names := []string{"same node (A→A)", "across nodes (A→B)"}
	for i, g := range gs {
		fmt.Printf("  %-20s %d conns: received %d of %d, gaps %d, dups %d, closed by server %d %v\n",
			names[i], g.Conns, g.Received, sent*uint64(g.Conns), g.Gaps, g.Dups, g.Closed, g.CloseWhy)
		fmt.Printf("  %-20s latency p50 %s p99 %s p99.9 %s max %s\n", "",
			us(g.Hist.quantile(0.5)), us(g.Hist.quantile(0.99)), us(g.Hist.quantile(0.999)), us(g.Hist.max()))
	}
	fmt.Printf("CPU seconds per second over the publishing window:")
	for i, p := range measured {
		fmt.Printf(" %s %.3f", p.name, (cpu1[i]-cpu0[i]).Seconds()/window.Seconds())
	}
	fmt.Println()
	fmt.Printf("CPU per message delivered to its clients, from the start of publishing to the end of the drain: nodeA %s nodeB %s clients %s\n",
		perMsg(cpu2[0]-cpu0[0], gs[0].Received), perMsg(cpu2[1]-cpu0[1], gs[1].Received), perMsg(cpu2[3]-cpu0[3], gs[0].Received+gs[1].Received))
	// One row for bench/results/redis.md.
	fmt.Printf("| %d | %.0f | %d | %.1f | %.3f %% | %s / %s / %s | %s / %s / %s | %.2f | %.2f | %.2f | %.2f | %d | %s → %s |\n",
		*conns, *rate, int(window.Seconds()+0.5), float64(sent)/window.Seconds(),
		100*float64(gs[0].Received+gs[1].Received)/float64(expected),
		us(gs[0].Hist.quantile(0.5)), us(gs[0].Hist.quantile(0.99)), us(gs[0].Hist.quantile(0.999)),
		us(gs[1].Hist.quantile(0.5)), us(gs[1].Hist.quantile(0.99)), us(gs[1].Hist.quantile(0.999)),
		(cpu1[0]-cpu0[0]).Seconds()/window.Seconds(), (cpu1[1]-cpu0[1]).Seconds()/window.Seconds(),
		(cpu1[2]-cpu0[2]).Seconds()/window.Seconds(), (cpu1[3]-cpu0[3]).Seconds()/window.Seconds(),
		gs[0].Closed+gs[1].Closed, la0, la1)
}

// us formats microseconds.
func us(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f s", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1f ms", v/1e3)
	default:
		return fmt.Sprintf("%.0f µs", v)
	}
}

// perMsg formats CPU time per message.
func perMsg(d time.Duration, n uint64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f µs", float64(d.Microseconds())/float64(n))
}
