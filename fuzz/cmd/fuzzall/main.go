// Command fuzzall runs every go test fuzz target of the module, one after the
// other, each for a given duration, and reports per target the executions, the
// new interesting inputs and whether it crashed.
//
// Usage, from the module root:
//
//	go run ./fuzz/cmd/fuzzall [-fuzztime 15s] [-run regexp] [-parallel n] [-minimizetime 10s] [-list] [-v] [packages]
//
// The packages default to ./... ; the targets are the Fuzz functions that
// go test -list finds in them, filtered by -run. A target is run as
//
//	go test -run '^$' -fuzz '^Target$' -fuzztime D -fuzzminimizetime M [-parallel n] package
//
// A crashing input is written by go test to the package's
// testdata/fuzz/<Target>/ directory, where it stays as a regression test.
// fuzzall exits with status 1 if any target crashed or failed to run, 2 on a
// usage error. A run that ends with a bare "context deadline exceeded" and no
// failing input, a race in the fuzzing coordinator of Go before 1.27
// (go.dev/issue/75804), is reported but not counted as a failure.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

type target struct {
	pkg, name string
}

type result struct {
	target
	elapsed     time.Duration
	execs       int64
	interesting int64 // new interesting inputs found in this run
	corpus      int64 // total interesting inputs (cache and testdata)
	crashed     bool
	failed      bool   // go test failed for another reason (build error, seed failure...)
	flaked      bool   // go test failed with a bare "context deadline exceeded" (go.dev/issue/75804)
	deadline    bool   // the output had a bare "context deadline exceeded" line
	input       string // the failing input's file, if any
}

func main() {
	fuzztime := flag.Duration("fuzztime", 15*time.Second, "fuzzing `duration` per target")
	run := flag.String("run", "", "run only the targets matching this `regexp`")
	parallel := flag.Int("parallel", 0, "fuzzing workers per target (go test -parallel); 0 means GOMAXPROCS")
	minimize := flag.Duration("minimizetime", 10*time.Second, "time limit to minimize an input (go test -fuzzminimizetime); 0 means go test's default")
	verbose := flag.Bool("v", false, "copy go test's output to standard error")
	listOnly := flag.Bool("list", false, "list the targets (package and name) without running them")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: fuzzall [flags] [packages]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	var filter *regexp.Regexp
	if *run != "" {
		var err error
		if filter, err = regexp.Compile(*run); err != nil {
			fmt.Fprintf(os.Stderr, "fuzzall: -run: %v\n", err)
			os.Exit(2)
		}
	}
	pkgs := flag.Args()
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}

	targets, listErr := list(pkgs)
	var results []result
	bad := listErr != nil
	if *listOnly {
		for _, t := range targets {
			if filter == nil || filter.MatchString(t.name) {
				fmt.Printf("%s %s\n", t.pkg, t.name)
			}
		}
		if bad {
			os.Exit(1)
		}
		return
	}
	for _, t := range targets {
		if filter != nil && !filter.MatchString(t.name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "fuzzall: %s %s for %v\n", t.pkg, t.name, *fuzztime)
		r := fuzz(t, *fuzztime, *minimize, *parallel, *verbose)
		results = append(results, r)
		bad = bad || r.crashed || r.failed
		fmt.Fprintln(os.Stderr, "fuzzall:", line(r))
	}
	if len(results) == 0 {
		fmt.Fprintln(os.Stderr, "fuzzall: no fuzz targets")
		os.Exit(1)
	}
	fmt.Printf("%-44s %-22s %8s %12s %6s %6s  %s\n", "PACKAGE", "TARGET", "TIME", "EXECS", "NEW", "CORPUS", "RESULT")
	for _, r := range results {
		status := "ok"
		switch {
		case r.crashed:
			status = "CRASH " + r.input
		case r.failed:
			status = "FAIL"
		case r.flaked:
			status = "ok (go.dev/issue/75804 deadline flake)"
		}
		fmt.Printf("%-44s %-22s %8s %12d %6d %6d  %s\n", r.pkg, r.name, r.elapsed.Round(time.Second), r.execs, r.interesting, r.corpus, status)
	}
	if bad {
		os.Exit(1)
	}
}

func line(r result) string {
	s := fmt.Sprintf("%s: %d execs in %v, %d new interesting (corpus %d)", r.name, r.execs, r.elapsed.Round(time.Second), r.interesting, r.corpus)
	switch {
	case r.crashed:
		s += ", CRASHED: " + r.input
	case r.failed:
		s += ", FAILED"
	case r.flaked:
		s += `, ended with a bare "context deadline exceeded" (go.dev/issue/75804), ignored`
	}
	return s
}

// list returns the fuzz targets of pkgs, as go test -list reports them.
func list(pkgs []string) ([]target, error) {
	args := append([]string{"test", "-run", "^$", "-list", "^Fuzz"}, pkgs...)
	cmd := exec.Command("go", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// A package that does not build is reported, and the targets of
		// the others are still run.
		fmt.Fprintf(os.Stderr, "fuzzall: go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "FAIL") {
				fmt.Fprintln(os.Stderr, l)
			}
		}
	}
	return parseList(string(out)), err
}

// parseList parses the output of go test -list: each package prints its test
// names, then "ok  \t<package>\t<time>".
func parseList(out string) []target {
	var targets, pending []target
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) == 1 && strings.HasPrefix(f[0], "Fuzz"):
			pending = append(pending, target{name: f[0]})
		case len(f) >= 2 && f[0] == "ok":
			for _, t := range pending {
				t.pkg = f[1]
				targets = append(targets, t)
			}
			pending = nil
		case len(f) >= 2 && (f[0] == "FAIL" || f[0] == "?"):
			pending = nil // a package that failed or has no tests
		}
	}
	return targets
}

// progress matches go test's fuzzing status lines, e.g.
// "fuzz: elapsed: 3s, execs: 1234 (411/sec), new interesting: 2 (total: 40)".
var progress = regexp.MustCompile(`^fuzz: elapsed: (\S+), execs: (\d+) .*new interesting: (\d+) \(total: (\d+)\)`)

// failing matches the line naming a crasher's file.
var failing = regexp.MustCompile(`Failing input written to (\S+)`)

// parseLine takes the figures of a progress line or a crasher's file name.
func (r *result) parseLine(l string) {
	if m := progress.FindStringSubmatch(l); m != nil {
		r.execs, _ = strconv.ParseInt(m[2], 10, 64)
		r.interesting, _ = strconv.ParseInt(m[3], 10, 64)
		r.corpus, _ = strconv.ParseInt(m[4], 10, 64)
	}
	if m := failing.FindStringSubmatch(l); m != nil {
		r.crashed = true
		r.input = m[1]
	}
	if strings.TrimSpace(l) == "context deadline exceeded" {
		r.deadline = true
	}
}

// fuzz runs one target and parses its output.
func fuzz(t target, d, minimize time.Duration, parallel int, verbose bool) result {
	args := []string{"test", "-run", "^$", "-fuzz", "^" + t.name + "$", "-fuzztime", d.String(),
		"-timeout", (d + 5*time.Minute).String()}
	if minimize > 0 {
		args = append(args, "-fuzzminimizetime", minimize.String())
	}
	if parallel > 0 {
		args = append(args, "-parallel", strconv.Itoa(parallel))
	}
	args = append(args, t.pkg)
	cmd := exec.Command("go", args...)
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	r := result{target: t}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		r.failed = true
		fmt.Fprintf(os.Stderr, "fuzzall: %v\n", err)
		return r
	}
	done := make(chan error, 1)
	go func() {
		done <- cmd.Wait()
		pw.Close()
	}()
	var tail []string // the output, kept to show a failure
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if verbose {
			fmt.Fprintln(os.Stderr, l)
		}
		tail = append(tail, l)
		r.parseLine(l)
	}
	io.Copy(io.Discard, pr)
	err := <-done
	r.elapsed = time.Since(start)
	if err != nil && r.deadline && !r.crashed {
		// The fuzzing coordinator of Go before 1.27 may report the end of
		// -fuzztime as a failure (go.dev/issue/75804): no input failed.
		r.flaked = true
	} else if err != nil {
		r.failed = true
		if !verbose {
			for _, l := range tail {
				fmt.Fprintln(os.Stderr, l)
			}
		}
	}
	return r
}
