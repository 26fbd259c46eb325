package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// dialAll opens n connections to addr from this process, spreading them
// over source addresses 127.0.0.2 and up (20,000 each).
func dialAll(addr string, n int) []*wsClient {
	cs := make([]*wsClient, n)
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				c, err := dialWS(addr, net.IPv4(127, 0, 0, byte(2+i/20000)))
				if err != nil {
					fatalf("dial %d: %v", i, err)
				}
				cs[i] = c
			}
		}()
	}
	wg.Wait()
	return cs
}

func closeAll(cs []*wsClient) {
	for _, c := range cs {
		c.nc.Close()
	}
}

// echoMain: each connection sends a message and waits for its echo, in a
// closed loop, for -dur; messages per second, and CPU time per message of
// the server process and of this (client) process.
func echoMain(args []string) {
	fs := flag.NewFlagSet("echo", flag.ExitOnError)
	libList := libsFlag(fs)
	counts := fs.String("conns", "1000,10000", "active connections per measurement")
	rounds := fs.Int("rounds", 3, "rounds")
	dur := fs.Duration("dur", 4*time.Second, "measured time per measurement")
	size := fs.Int("size", 1024, "message size")
	fs.Parse(args)
	msg := frame(2, bytes.Repeat([]byte("x"), *size))
	for r := range *rounds {
		for _, n := range intList(*counts) {
			for _, lib := range strings.Split(*libList, ",") {
				srv, addr := startServer(lib, "127.0.0.1:0")
				cs := dialAll(addr, n)
				var count atomic.Int64
				var measuring, stop atomic.Bool
				var wg sync.WaitGroup
				for _, c := range cs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for !stop.Load() {
							if _, err := c.nc.Write(msg); err != nil {
								fatalf("write: %v", err)
							}
							if m, err := c.readMessage(); err != nil || m != *size {
								fatalf("echo: %d %v", m, err)
							}
							if measuring.Load() {
								count.Add(1)
							}
						}
					}()
				}
				time.Sleep(500 * time.Millisecond) // warm up
				_, s0 := srv.cpu()
				c0 := cpuTime()
				t0 := time.Now()
				measuring.Store(true)
				time.Sleep(*dur)
				measuring.Store(false)
				wall := time.Since(t0)
				_, s1 := srv.cpu()
				c1 := cpuTime()
				stop.Store(true)
				wg.Wait()
				m := float64(count.Load())
				fmt.Printf("echo round=%d lib=%s conns=%d size=%d msgs/s=%.0f server-cpu=%.2f µs/msg client-cpu=%.2f µs/msg (wall %v)\n",
					r, lib, n, *size, m/wall.Seconds(), float64(s1-s0)/m/1e3, float64(c1-c0)/m/1e3, wall.Round(time.Millisecond))
				closeAll(cs)
				srv.stop()
			}
		}
	}
}

// latencyMain: each connection sends -rate messages per second on a fixed
// schedule (start times spread evenly) for -dur; the latency of a message
// runs from its scheduled send time to its echo, so that a stall delays
// the messages behind it too (no coordinated omission).
func latencyMain(args []string) {
	fs := flag.NewFlagSet("latency", flag.ExitOnError)
	libList := libsFlag(fs)
	n := fs.Int("conns", 1000, "connections")
	rate := fs.Int("rate", 100, "messages per second per connection")
	rounds := fs.Int("rounds", 3, "rounds")
	dur := fs.Duration("dur", 5*time.Second, "measured time per measurement")
	size := fs.Int("size", 1024, "message size")
	fs.Parse(args)
	msg := frame(2, bytes.Repeat([]byte("x"), *size))
	period := time.Second / time.Duration(*rate)
	for r := range *rounds {
		for _, lib := range strings.Split(*libList, ",") {
			srv, addr := startServer(lib, "127.0.0.1:0")
			cs := dialAll(addr, *n)
			lats := make([][]time.Duration, len(cs))
			begin := time.Now().Add(200 * time.Millisecond)
			warm := begin.Add(500 * time.Millisecond)
			end := warm.Add(*dur)
			var wg sync.WaitGroup
			for i, c := range cs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					l := make([]time.Duration, 0, int(dur.Seconds()+1)**rate)
					at := begin.Add(period * time.Duration(i) / time.Duration(len(cs)))
					for ; at.Before(end); at = at.Add(period) {
						if d := time.Until(at); d > 0 {
							time.Sleep(d)
						}
						if _, err := c.nc.Write(msg); err != nil {
							fatalf("write: %v", err)
						}
						if m, err := c.readMessage(); err != nil || m != *size {
							fatalf("echo: %d %v", m, err)
						}
						if !at.Before(warm) {
							l = append(l, time.Since(at))
						}
					}
					lats[i] = l
				}()
			}
			time.Sleep(time.Until(warm))
			_, s0 := srv.cpu()
			c0 := cpuTime()
			time.Sleep(time.Until(end))
			_, s1 := srv.cpu()
			c1 := cpuTime()
			wg.Wait()
			var all []time.Duration
			for _, l := range lats {
				all = append(all, l...)
			}
			sortDurations(all)
			m := float64(len(all))
			fmt.Printf("latency round=%d lib=%s conns=%d rate=%d/s msgs=%d p50=%v p99=%v p999=%v max=%v server-cpu=%.2f µs/msg client-cpu=%.2f µs/msg\n",
				r, lib, *n, *rate, len(all), percentile(all, 0.5).Round(time.Microsecond), percentile(all, 0.99).Round(time.Microsecond),
				percentile(all, 0.999).Round(time.Microsecond), all[len(all)-1].Round(time.Microsecond),
				float64(s1-s0)/m/1e3, float64(c1-c0)/m/1e3)
			closeAll(cs)
			srv.stop()
		}
	}
}
