package testee_test

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hybi/ws/autobahn/suite"
	"github.com/hybi/ws/autobahn/testee"
)

func wsURL(s *httptest.Server) string { return "ws" + strings.TrimPrefix(s.URL, "http") }

// fullEnv, set to 1, makes the conformance tests run all 216 compression
// cases; see shards.
const fullEnv = "HYBI_AUTOBAHN_FULL"

// shards are the case sets to run. In -short and race runs: one set of the
// cases that take no deliberate pauses and no big messages (of the
// compression categories, the first case, 1000 messages of 16 octets, of
// every data set and every negotiation, and one auto-fragmented case).
// Otherwise categories 1 to 10 whole, then the compression categories in
// parallel shards, a subcategory each (every data set and negotiation): the
// cases of messages up to 16 KiB by default, all of them (216 per role,
// about 11 GB of messages each way, minutes of CPU) with HYBI_AUTOBAHN_FULL=1;
// go run ./autobahn always runs them all.
func shards() (first []string, parallel [][]string) {
	if testing.Short() || raceEnabled {
		return []string{"1.*", "2.*", "3.*", "4.*", "5.1*", "5.2", "5.3", "5.6", "5.9", "6.1.*", "6.2.*", "6.3.*", "6.5.*", "6.12.*", "7.*", "9.1.1", "9.7.1", "10.*",
			"12.1.1", "12.2.1", "12.3.1", "12.4.1", "12.5.1", "12.4.11",
			"13.1.1", "13.2.1", "13.3.1", "13.4.1", "13.5.1", "13.6.1", "13.7.1", "13.7.11"}, nil
	}
	full := os.Getenv(fullEnv) == "1"
	sub := func(cat, j int) []string {
		if full {
			return []string{fmt.Sprintf("%d.%d.*", cat, j)}
		}
		var ids []string
		for _, i := range []int{1, 2, 3, 4, 5, 6, 7, 11, 12} { // messages of 16 octets to 16 KiB
			ids = append(ids, fmt.Sprintf("%d.%d.%d", cat, j, i))
		}
		return ids
	}
	for j := 1; j <= 5; j++ {
		parallel = append(parallel, sub(12, j))
	}
	for j := 1; j <= 7; j++ {
		parallel = append(parallel, sub(13, j))
	}
	return []string{"1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "9.*", "10.*"}, parallel
}

// runShards runs the shards with run, which scores one case set.
func runShards(t *testing.T, run func(t *testing.T, cases []string)) {
	first, parallel := shards()
	t.Run("sequential", func(t *testing.T) { run(t, first) })
	if len(parallel) == 0 {
		return
	}
	// Shards run in goroutines rather than as parallel subtests, which the
	// -parallel limit (GOMAXPROCS) would hold back.
	t.Run("compression", func(t *testing.T) {
		var wg sync.WaitGroup
		for _, cases := range parallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.Run(shardName(cases), func(t *testing.T) { run(t, cases) })
			}()
		}
		wg.Wait()
	})
}

// timeout bounds a whole conformance test.
func timeout() time.Duration {
	if os.Getenv(fullEnv) == "1" {
		return 9 * time.Minute // run with a -timeout above 10m on a slow machine
	}
	return 3 * time.Minute
}

func requireAllPassed(t *testing.T, rep *suite.Report, agent string, cases []string) {
	t.Helper()
	ids, err := suite.CaseIDs(cases, nil)
	if err != nil {
		t.Fatal(err)
	}
	rs := rep.Results(agent)
	if len(rs) != len(ids) {
		t.Errorf("%s: %d results, want %d", agent, len(rs), len(ids))
	}
	for _, r := range rs {
		if !r.Behavior.Passed() || !r.BehaviorClose.Passed() {
			t.Errorf("%s: case %s: behavior %s (%s), close %s (%s); received %d events, wire log:\n  %s",
				agent, r.ID, r.Behavior, r.Result, r.BehaviorClose, r.ResultClose, len(r.Received), strings.Join(r.Wirelog, "\n  "))
		}
	}
}

// relaxed stretches the suite's fallback timeouts, which only end cases of a
// misbehaving (or, on a busy machine, stalled) testee.
const relaxed = 4

func progress() *os.File {
	if testing.Verbose() {
		return os.Stderr
	}
	return nil
}

// TestServerConformance scores the echo testee server with the fuzzing
// client: every case must pass (INFORMATIONAL where Autobahn only informs).
func TestServerConformance(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(testee.Handler())
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout())
	defer cancel()
	runShards(t, func(t *testing.T, cases []string) {
		c := &suite.Client{Cases: cases, Agent: "hybi-server", TimeoutScale: relaxed}
		if p := progress(); p != nil {
			c.Progress = p
		}
		rep, err := c.Run(ctx, wsURL(ts))
		if err != nil {
			t.Fatal(err)
		}
		requireAllPassed(t, rep, "hybi-server", cases)
	})
}

// TestClientConformance scores the testee client with the fuzzing server.
func TestClientConformance(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), timeout())
	defer cancel()
	runShards(t, func(t *testing.T, cases []string) {
		rep := suite.NewReport()
		s := &suite.Server{Cases: cases, Report: rep, TimeoutScale: relaxed}
		if p := progress(); p != nil {
			s.Progress = p
		}
		ts := httptest.NewServer(s)
		defer ts.Close()
		if err := testee.RunClient(ctx, wsURL(ts), "hybi-client"); err != nil {
			t.Fatal(err)
		}
		requireAllPassed(t, rep, "hybi-client", cases)
	})
}

// shardName names a shard by its first case pattern.
func shardName(cases []string) string {
	if len(cases) == 1 {
		return cases[0]
	}
	return cases[0] + "..."
}

// TestEventedServerConformance scores the echo testee on the event-driven
// server, which reads the handshake from its listener itself.
func TestEventedServerConformance(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := testee.Evented()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		<-served
	}()
	ctx, cancel := context.WithTimeout(context.Background(), timeout())
	defer cancel()
	shardsOf := runShards
	if raceEnabled {
		// Under the race detector the quick subset took 89 s here, of
		// the package's 92 s (the goroutine testee's: 52 s), so it runs
		// categories 1-5, 7 and 10, one UTF-8 subcategory and one
		// compressed case per category (5 s); CI's conformance step runs
		// categories 1-10 and the compression shards without the race
		// detector.
		shardsOf = func(t *testing.T, run func(t *testing.T, cases []string)) {
			run(t, []string{"1.*", "2.*", "3.*", "4.*", "5.*", "6.2.*", "7.*", "10.*", "12.1.1", "13.3.1"})
		}
	}
	shardsOf(t, func(t *testing.T, cases []string) {
		c := &suite.Client{Cases: cases, Agent: "hybi-evented-server", TimeoutScale: relaxed}
		if p := progress(); p != nil {
			c.Progress = p
		}
		rep, err := c.Run(ctx, "ws://"+ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		requireAllPassed(t, rep, "hybi-evented-server", cases)
	})
}
