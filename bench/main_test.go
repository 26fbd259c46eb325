package bench

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
)

var conns = flag.Int("conns", 10000, "idle connections held open by the memory benchmarks (-short: 500)")

// memServerEnv names the library a child process serves for the memory
// benchmarks; memDeflateEnv turns compression on.
const (
	memServerEnv  = "HYBI_BENCH_MEM_SERVER"
	memDeflateEnv = "HYBI_BENCH_MEM_DEFLATE"
	// memProfileEnv, when set, is a file the child writes its heap
	// profile to at every measurement (the last one stays).
	memProfileEnv = "HYBI_BENCH_MEM_PROFILE"
)

func TestMain(m *testing.M) {
	raiseNoFile()
	if name := os.Getenv(memServerEnv); name != "" {
		os.Exit(memServer(name, os.Getenv(memDeflateEnv) == "1"))
	}
	os.Exit(m.Run())
}

// raiseNoFile lifts RLIMIT_NOFILE as far as the process may: to its hard
// limit, and beyond when privileged.
func raiseNoFile() {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return
	}
	want := uint64(1 << 20)
	if rl.Max < want {
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: want, Max: want}) == nil {
			return
		}
	}
	rl.Cur = rl.Max
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
}

// memServer is the child process of the memory benchmarks: it serves one
// library's echo server, prints its address, and answers each line on
// stdin with its memory figures, until stdin closes.
func memServer(name string, deflate bool) int {
	lib, ok := LibByName(name)
	if !ok {
		fmt.Fprintln(os.Stderr, "unknown library", name)
		return 2
	}
	s, err := lib.Serve(deflate)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("addr %s\n", s.Addr)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Printf("stats %d %d %d %d\n", s.Open(), ms.HeapInuse, ms.StackInuse, rss())
		if path := os.Getenv(memProfileEnv); path != "" {
			if f, err := os.Create(path); err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
	}
	return 0
}

// rss returns the resident set size from /proc/self/status, in bytes.
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
