// Command benchrun runs hybi's comparison benchmarks against gorilla, coder,
// gobwas and gws, summarises them with benchstat's statistics and writes
// bench/README.md with one table per scenario and SVG charts.
//
// Run it from the bench directory:
//
//	go run ./cmd/benchrun            # full run: -count 6, 15 to 20 minutes on 2 cores
//	go run ./cmd/benchrun -quick     # five rounds, short benchtimes, 500 connections: about 2 minutes
//	go run ./cmd/benchrun -report    # rewrite README.md from results/raw.txt
//
// The quick mode writes its README.md and results under results/quick, so
// that it never replaces the full run's.
//
// The suite runs round-robin: every round runs every benchmark once, so
// that a burst of noise spreads over all libraries instead of hitting one,
// and the libraries run in the opposite order in every other round (see
// bench.ReverseEnv), so that none always runs first. Each ratio in the
// tables is the median of the per-round ratios (hybi's round i over the
// peer's round i, which ran next to each other) with their range; a ratio
// whose range spreads more than ±10% around it is marked within noise.
// Raw results go to results/raw.txt, benchstat's own summary to
// results/benchstat.txt, the run's description to results/run.json.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hybi/ws/bench"
)

// step is one invocation of the test binary per round.
type step struct {
	bench     string // -test.bench pattern
	benchtime string
	memory    bool // pass -conns
}

func main() {
	quick := flag.Bool("quick", false, "five rounds with short benchtimes and 500 idle connections (about 2 minutes)")
	count := flag.Int("count", 6, "rounds (each benchmark runs once per round)")
	conns := flag.Int("conns", 10000, "idle connections in the memory scenarios")
	filter := flag.String("bench", "", "only sub-benchmarks matching this go test -bench pattern, e.g. 'size=1KiB' or '.*/lib=hybi'")
	reportOnly := flag.Bool("report", false, "only rewrite README.md from results/raw.txt")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("benchrun: ")

	if _, err := os.Stat("go.mod"); err != nil {
		log.Fatal("run me from the bench directory")
	}
	out, data := ".", "results"
	if *quick {
		out, data = filepath.Join("results", "quick"), filepath.Join("results", "quick")
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		log.Fatal(err)
	}
	rawPath := filepath.Join(data, "raw.txt")
	infoPath := filepath.Join(data, "run.json")
	if *reportOnly {
		var run *runInfo
		if b, err := os.ReadFile(infoPath); err == nil {
			run = new(runInfo)
			if json.Unmarshal(b, run) != nil {
				run = nil
			}
		}
		if err := report(out, data, run); err != nil {
			log.Fatal(err)
		}
		return
	}

	steps := []step{
		{bench: "^Benchmark(Mask|Header)$", benchtime: "200ms"},
		{bench: "^Benchmark(Echo|Pipelined|ServerCost|Handshake|EchoDeflate)$", benchtime: "400ms"},
		{bench: "^BenchmarkIdleMemory(Deflate)?$", benchtime: "1x", memory: true},
	}
	if *quick {
		*count = 5
		*conns = 500
		steps[0].benchtime = "10ms"
		steps[1].benchtime = "50ms"
	}

	tmp, err := os.MkdirTemp("", "benchrun")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bench.test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		log.Fatal(err)
	}

	raw, err := os.Create(rawPath)
	if err != nil {
		log.Fatal(err)
	}
	defer raw.Close()
	run := runInfo{Start: time.Now().UTC(), Count: *count, Quick: *quick, Conns: *conns, Hybi: hybiRevision()}
	for round := 1; round <= *count; round++ {
		run.Load = append(run.Load, loadavg())
		for i, st := range steps {
			args := []string{"-test.run=^$", "-test.bench=" + st.bench, "-test.benchtime=" + st.benchtime, "-test.count=1"}
			if *filter != "" {
				args[1] += "/" + *filter
			}
			if st.memory {
				args = append(args, "-conns="+strconv.Itoa(*conns))
			}
			log.Printf("round %d/%d, step %d: %s", round, *count, i+1, st.bench)
			cmd := exec.Command(bin, args...)
			cmd.Env = os.Environ()
			if round%2 == 0 {
				cmd.Env = append(cmd.Env, bench.ReverseEnv+"=1")
			}
			var out bytes.Buffer
			cmd.Stdout = io.MultiWriter(&out, os.Stdout)
			cmd.Stderr = os.Stderr
			if err := cmd.Run(); err != nil {
				log.Printf("step failed: %v (results so far are kept)", err)
			}
			if round > 1 || i > 0 {
				out = *bytes.NewBuffer(stripHeader(out.Bytes()))
			}
			raw.Write(out.Bytes())
		}
		raw.Sync()
		run.End = time.Now().UTC()
		run.Rounds = round
		if b, err := json.MarshalIndent(&run, "", "\t"); err == nil {
			os.WriteFile(infoPath, b, 0o644)
		}
		if err := report(out, data, &run); err != nil {
			log.Printf("report: %v", err)
		}
	}
	bs := exec.Command("go", "tool", "benchstat", rawPath)
	if bsOut, err := bs.Output(); err == nil {
		os.WriteFile(filepath.Join(data, "benchstat.txt"), bsOut, 0o644)
	} else {
		log.Printf("benchstat: %v", err)
	}
	log.Printf("done in %v; wrote %s and %s", time.Since(run.Start).Round(time.Second), filepath.Join(out, "README.md"), rawPath)
}

// stripHeader drops the goos/goarch/pkg/cpu lines and PASS/ok trailers
// repeated by every invocation, keeping the benchmark lines.
func stripHeader(b []byte) []byte {
	var out []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("Benchmark")) || bytes.HasPrefix(line, []byte("---")) || bytes.HasPrefix(line, []byte("    ")) {
			out = append(out, line...)
		}
	}
	return out
}

// runInfo describes a run for the README.
type runInfo struct {
	Start, End time.Time
	Count      int
	Rounds     int
	Quick      bool
	Conns      int
	Load       []string // 1-minute load average at the start of each round
	Hybi       string   // hybi's commit, "+changes" when the tree was modified
}

func (r *runInfo) String() string {
	mode := "full"
	if r.Quick {
		mode = "quick"
	}
	return fmt.Sprintf("%s run, %d of %d rounds, %d idle connections, %s to %s (%v); 1-minute load average at the start of each round: %s",
		mode, r.Rounds, r.Count, r.Conns,
		r.Start.Format("2006-01-02 15:04 UTC"), r.End.Format("15:04 UTC"), r.End.Sub(r.Start).Round(time.Second),
		strings.Join(r.Load, ", "))
}

// loadavg returns the 1-minute load average.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// hybiRevision describes the checkout the benchmarks were built from.
func hybiRevision() string {
	out, err := exec.Command("git", "-C", "..", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", "..", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench").Output(); err == nil && len(st) > 0 {
		rev += " + uncommitted changes"
	}
	return rev
}
