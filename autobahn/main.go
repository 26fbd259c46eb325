package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/hybi/ws/autobahn/suite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("autobahn", flag.ContinueOnError)
	fs.SetOutput(stderr)
	casesFlag := fs.String("cases", "*", "case patterns, comma-separated (Autobahn syntax: *, 1.*, 6.4.1)")
	excludeFlag := fs.String("exclude", "", "case patterns to leave out")
	out := fs.String("out", "", "report directory (default: a new temporary directory)")
	role := fs.String("role", "both", "which of hybi's testees to score: server, client or both")
	server := fs.String("server", "", "score the WebSocket server at this URL instead of hybi's testees")
	agent := fs.String("agent", "", "report name of the -server (default: its Server header)")
	listen := fs.String("listen", "", "serve the fuzzing endpoints on this address until interrupted")
	check := fs.String("check", "", "check an index.json of the real Autobahn|Testsuite")
	testee := fs.String("testee", defaultTestee(), "testee implementation to score: hybi, evented or ref")
	echo := fs.String("echo", "", "serve the testee echo server on this address until interrupted (for the real Autobahn's fuzzing client)")
	fuzzServer := fs.String("fuzzingserver", "", "run the testee client against the fuzzing server at this URL (for example the real Autobahn)")
	scale := fs.Float64("timeout-scale", 1, "stretch the fallback timeouts that end cases of a stalled testee (1: Autobahn's timing)")
	quiet := fs.Bool("q", false, "no per-case progress")
	parallel := fs.Int("parallel", runtime.GOMAXPROCS(0)+1, "compression cases (categories 12, 13) run at once when scoring hybi's own testees; 1 runs every case one after the other")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *check != "" {
		return runCheck(*check, stdout, stderr)
	}
	impl, ok := testees[*testee]
	if !ok {
		fmt.Fprintf(stderr, "unknown testee %q\n", *testee)
		return 2
	}
	if *echo != "" {
		return runEcho(ctx, *echo, impl, stdout, stderr)
	}
	if *fuzzServer != "" {
		agent := *agent
		if agent == "" {
			agent = *testee
		}
		if err := impl.client(ctx, *fuzzServer, agent); err != nil {
			fmt.Fprintln(stderr, "autobahn:", err)
			return 1
		}
		return 0
	}
	cases, exclude := splitList(*casesFlag), splitList(*excludeFlag)
	if _, err := suite.CaseIDs(cases, exclude); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	dir := *out
	if dir == "" {
		d, err := os.MkdirTemp("", "hybi-autobahn-")
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		dir = d
	}
	rep := suite.NewReport()
	start := time.Now()
	var err error
	switch {
	case *listen != "":
		err = serve(ctx, *listen, cases, exclude, *scale, rep, dir, *quiet, stdout)
	case *server != "":
		fmt.Fprintf(stdout, "scoring %s; the report goes to %s\n", *server, dir)
		ids, _ := suite.CaseIDs(cases, exclude)
		var progress io.Writer
		if !*quiet {
			progress = suite.NewProgress(stdout, len(ids))
		}
		c := &suite.Client{Cases: cases, Exclude: exclude, Agent: *agent, Report: rep, Progress: progress, TimeoutScale: *scale}
		_, err = c.Run(ctx, *server)
	default:
		fmt.Fprintf(stdout, "scoring %s's testees (%s); the report goes to %s\n", *testee, *role, dir)
		err = scoreSelf(ctx, impl, *testee, *role, cases, exclude, *scale, *parallel, rep, stdout, *quiet)
	}
	if err != nil {
		fmt.Fprintln(stderr, "autobahn:", err)
	}
	if werr := rep.WriteFiles(dir); werr != nil {
		fmt.Fprintln(stderr, "autobahn:", werr)
		return 1
	}
	fmt.Fprintln(stdout)
	rep.WriteSummary(stdout)
	fmt.Fprintf(stdout, "\nreports in %s (index.html, index.json), after %s\n", dir, time.Since(start).Round(time.Millisecond))
	failed := 0
	for _, a := range rep.Agents() {
		for _, r := range rep.Results(a) {
			if r.Verdict() == suite.Failed {
				failed++
			}
		}
	}
	if failed > 0 || err != nil {
		fmt.Fprintf(stdout, "%d cases FAILED\n", failed)
		return 1
	}
	return 0
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// scoreSelf runs the suite against the testee server and/or client on
// loopback. The cases whose verdict does not depend on timing, the
// compression cases of categories 12 and 13 (one message at a time, each
// echoed, minutes of timeout), run concurrently on parallel workers, those
// of both roles together, once the other cases ran one at a time as
// Autobahn runs them: each in a connection of its own, with the same
// verdicts, in a fraction of the time on a machine with several cores.
func scoreSelf(ctx context.Context, impl testeeImpl, name, role string, cases, exclude []string, scale float64, parallel int, rep *suite.Report, out io.Writer, quiet bool) error {
	if role != "both" && role != "server" && role != "client" {
		return fmt.Errorf("unknown role %q", role)
	}
	if parallel < 1 {
		return fmt.Errorf("-parallel %d: want at least 1", parallel)
	}
	ids, err := suite.CaseIDs(cases, exclude)
	if err != nil {
		return err
	}
	var serial, concurrent []string
	for _, id := range ids {
		if parallel > 1 && (strings.HasPrefix(id, "12.") || strings.HasPrefix(id, "13.")) {
			concurrent = append(concurrent, id)
		} else {
			serial = append(serial, id)
		}
	}
	roles := []string{"server", "client"}
	if role != "both" {
		roles = []string{role}
	}
	var progress io.Writer
	if !quiet {
		progress = suite.NewProgress(out, len(ids)*len(roles))
	}
	number := map[string]int{} // a case's 1-based position in the run's case list
	for i, id := range ids {
		number[id] = i + 1
	}

	var serverURL string
	if slices.Contains(roles, "server") {
		url, stop, err := listenLoopback(impl.handler())
		if err != nil {
			return err
		}
		defer stop()
		serverURL = url
	}
	// runCases scores one role on the cases ids.
	runCases := func(role string, ids []string) error {
		if len(ids) == 0 {
			return nil
		}
		if role == "server" {
			c := &suite.Client{Cases: ids, Agent: name + "-server", Report: rep, Progress: progress, TimeoutScale: scale}
			_, err := c.Run(ctx, serverURL)
			return err
		}
		s := &suite.Server{Cases: ids, Report: rep, Progress: progress, TimeoutScale: scale}
		url, stop, err := listenLoopback(s)
		if err != nil {
			return err
		}
		err = impl.client(ctx, url, name+"-client")
		stop()
		return err
	}
	for _, r := range roles {
		if err := runCases(r, serial); err != nil {
			return err
		}
		fixNumbers(rep, name+"-"+r, serial, number)
	}

	type job struct{ role, id string }
	jobs := make(chan job)
	errs := make(chan error, parallel)
	for range parallel {
		go func() {
			var first error
			for j := range jobs {
				if err := runCases(j.role, []string{j.id}); err != nil && first == nil {
					first = err
				}
			}
			errs <- first
		}()
	}
	for _, id := range concurrent {
		for _, r := range roles {
			jobs <- job{r, id}
		}
	}
	close(jobs)
	var first error
	for range parallel {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	for _, r := range roles {
		fixNumbers(rep, name+"-"+r, concurrent, number)
	}
	return first
}

// fixNumbers sets the case numbers of agent's results for ids to their
// position in the whole run, which runs of a few cases do not know.
func fixNumbers(rep *suite.Report, agent string, ids []string, number map[string]int) {
	for _, id := range ids {
		if r := rep.Get(agent, id); r != nil {
			r.Case = number[id]
		}
	}
}

// listenLoopback serves h on a loopback port and returns its ws:// URL.
func listenLoopback(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	return "ws://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		srv.Shutdown(ctx)
		cancel()
		srv.Close()
		<-done
	}, nil
}

// serve is the -listen mode: a fuzzing server for external testee clients.
func serve(ctx context.Context, addr string, cases, exclude []string, scale float64, rep *suite.Report, dir string, quiet bool, stdout io.Writer) error {
	s := &suite.Server{Cases: cases, Exclude: exclude, Report: rep, OutDir: dir, TimeoutScale: scale}
	n, _ := s.CaseCount()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fuzzing server on ws://%s, %d cases; reports go to %s; interrupt to stop\n", ln.Addr(), n, dir)
	if !quiet {
		s.Progress = suite.NewProgress(stdout, n)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// runEcho is the -echo mode: the testee server for external fuzzing clients.
func runEcho(ctx context.Context, addr string, impl testeeImpl, stdout, stderr io.Writer) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "echo testee on ws://%s; interrupt to stop\n", ln.Addr())
	srv := &http.Server{Handler: impl.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// runCheck is the -check mode.
func runCheck(path string, stdout, stderr io.Writer) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	defer f.Close()
	problems, n, err := suite.CheckIndex(f)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	fmt.Fprintf(stdout, "%d cases checked, %d not passed\n", n, len(problems))
	if len(problems) > 0 || n == 0 {
		return 1
	}
	return 0
}
