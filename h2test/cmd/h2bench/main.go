// Command h2bench compares hybi's WebSocket over HTTP/2 (RFC 8441, x/net's
// client transport, net/http's server) with WebSocket over HTTP/1.1 and
// TLS: the CPU time and wall time per echo round trip, in interleaved
// rounds, and the memory per idle WebSocket. Client and server run in this
// process, so the figures are for both ends together. It re-executes
// itself with GODEBUG=http2xconnect=1 when that is not in its environment.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hybi/ws/closecode"
	"github.com/hybi/ws/conn"
	"golang.org/x/net/http2"
)

func main() {
	rounds := flag.Int("rounds", 8, "rounds per mode and size, interleaved")
	n := flag.Int("n", 2000, "round trips per round")
	idle := flag.Int("idle", 1000, "idle WebSockets for the memory figure")
	only := flag.String("only", "", "run this mode only (h2 or h1+tls), to profile it")
	maxFrame := flag.Uint("maxframe", 0, "the server's HTTP2Config.MaxReadFrameSize (0: net/http's default, 1 MiB)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the echo rounds to this file")
	flag.Parse()
	if !strings.Contains(os.Getenv("GODEBUG"), "http2xconnect=1") {
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), "GODEBUG="+strings.TrimPrefix(os.Getenv("GODEBUG")+",http2xconnect=1", ","))
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			log.Fatal(err)
		}
		return
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(echo))
	srv.EnableHTTP2 = true
	srv.Config.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: 100000, MaxReadFrameSize: int(*maxFrame)}
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	tcfg := &tls.Config{RootCAs: pool}
	url := "wss" + strings.TrimPrefix(srv.URL, "https")
	tr := &http2.Transport{TLSClientConfig: tcfg}
	dial := map[string]func() *conn.Conn{
		"h2": func() *conn.Conn {
			return mustDial(url, &conn.DialOptions{Transport: tr, Options: conn.Options{PingInterval: -1}})
		},
		"h1+tls": func() *conn.Conn {
			return mustDial(url, &conn.DialOptions{TLSConfig: tcfg, Options: conn.Options{PingInterval: -1}})
		},
	}
	modes := []string{"h2", "h1+tls"}
	if *only != "" {
		modes = []string{*only}
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("server MaxReadFrameSize %d (0: 1 MiB)\n", *maxFrame)
	fmt.Printf("%s, GOMAXPROCS %d, %d rounds of %d round trips per mode and size, interleaved\n",
		runtime.Version(), runtime.GOMAXPROCS(0), *rounds, *n)
	for _, size := range []int{1 << 10, 16 << 10} {
		cs := map[string]*conn.Conn{}
		for _, m := range modes {
			cs[m] = dial[m]()
			echoes(cs[m], size, 200) // warm up
		}
		cpu := map[string][]float64{}
		wall := map[string][]float64{}
		for r := 0; r < *rounds; r++ {
			for _, m := range modes {
				c0, w0 := cpuTime(), time.Now()
				echoes(cs[m], size, *n)
				cpu[m] = append(cpu[m], float64(cpuTime()-c0)/float64(*n))
				wall[m] = append(wall[m], float64(time.Since(w0))/float64(*n))
			}
		}
		for _, m := range modes {
			cs[m].Close(closecode.Normal, "")
		}
		fmt.Printf("\necho of %d B messages, per round trip (both ends):\n", size)
		for _, m := range modes {
			fmt.Printf("  %-7s CPU %6.1f µs [%.1f..%.1f]   wall %6.1f µs [%.1f..%.1f]\n", m,
				median(cpu[m])/1e3, slices.Min(cpu[m])/1e3, slices.Max(cpu[m])/1e3,
				median(wall[m])/1e3, slices.Min(wall[m])/1e3, slices.Max(wall[m])/1e3)
		}
		var rc, rw []float64
		for i := range cpu["h2"] {
			if len(modes) == 1 {
				break
			}
			rc = append(rc, cpu["h2"][i]/cpu["h1+tls"][i])
			rw = append(rw, wall["h2"][i]/wall["h1+tls"][i])
		}
		if len(modes) == 1 {
			continue
		}
		fmt.Printf("  h2/h1+tls per round: CPU %.2f [%.2f..%.2f], wall %.2f [%.2f..%.2f]\n",
			median(rc), slices.Min(rc), slices.Max(rc), median(rw), slices.Min(rw), slices.Max(rw))
	}
	if *cpuprofile != "" {
		return
	}
	fmt.Printf("\nidle WebSockets (%d), memory per WebSocket, both ends, heap in use + stacks:\n", *idle)
	for _, m := range modes {
		before := memInUse()
		g0 := runtime.NumGoroutine()
		cs := make([]*conn.Conn, *idle)
		for i := range cs {
			cs[i] = dial[m]()
		}
		time.Sleep(500 * time.Millisecond)
		after := memInUse()
		g1 := runtime.NumGoroutine()
		fmt.Printf("  %-7s %7.0f B, %.1f goroutines\n", m, float64(after-before)/float64(*idle), float64(g1-g0)/float64(*idle))
		for _, c := range cs {
			c.CloseNow()
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func echo(w http.ResponseWriter, r *http.Request) {
	c, err := conn.Accept(w, r, &conn.AcceptOptions{Options: conn.Options{PingInterval: -1}})
	if err != nil {
		return
	}
	ctx := context.Background()
	var buf []byte
	for {
		typ, msg, err := c.Read(ctx, buf)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
		buf = msg
	}
}

func mustDial(url string, opts *conn.DialOptions) *conn.Conn {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, url, opts)
	if err != nil {
		log.Fatal(err)
	}
	return c
}

func echoes(c *conn.Conn, size, n int) {
	ctx := context.Background()
	msg := make([]byte, size)
	buf := make([]byte, size)
	for i := 0; i < n; i++ {
		if err := c.Write(ctx, conn.Binary, msg); err != nil {
			log.Fatal(err)
		}
		_, got, err := c.Read(ctx, buf)
		if err != nil || len(got) != size {
			log.Fatal(err)
		}
		buf = got
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func memInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse + ms.StackInuse
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
