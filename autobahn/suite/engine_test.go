package suite_test

import (
	"context"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hybi/ws/autobahn/internal/reftestee"
	"github.com/hybi/ws/autobahn/suite"
)

func wsURL(s *httptest.Server) string { return "ws" + strings.TrimPrefix(s.URL, "http") }

// scoreServer runs cases with the fuzzing client against a reference
// testee server with faults f.
func scoreServer(scale float64, f reftestee.Faults, cases ...string) (*suite.Report, error) {
	ts := httptest.NewServer(reftestee.Handler(f))
	defer ts.Close()
	c := &suite.Client{Cases: cases, Agent: "ref", TimeoutScale: scale}
	if testing.Verbose() {
		c.Progress = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return c.Run(ctx, wsURL(ts))
}

// scoreClient runs cases with the fuzzing server, driven by a reference
// testee client with faults f.
func scoreClient(scale float64, f reftestee.Faults, cases ...string) (*suite.Report, error) {
	rep := suite.NewReport()
	s := &suite.Server{Cases: cases, Report: rep, TimeoutScale: scale}
	if testing.Verbose() {
		s.Progress = os.Stderr
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return rep, reftestee.RunClient(ctx, wsURL(ts), "ref", f)
}

func runAgainstServer(t *testing.T, f reftestee.Faults, cases ...string) *suite.Report {
	t.Helper()
	rep, err := scoreServer(1, f, cases...)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func runAgainstClient(t *testing.T, f reftestee.Faults, cases ...string) *suite.Report {
	t.Helper()
	rep, err := scoreClient(1, f, cases...)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// relaxed is the timeout scale for runs against conforming testees: the
// fallback timeouts only matter when a busy machine stalls a testee.
const relaxed = 4

// quickCases leaves out the slow cases (big messages, deliberate pauses)
// in -short and race runs. The compression categories are always left out:
// the reference testee has no permessage-deflate (they are UNIMPLEMENTED,
// see TestCompressionUnimplemented).
func quickCases() (include []string) {
	if testing.Short() || raceEnabled {
		return []string{"1.*", "2.*", "3.*", "4.*", "5.1", "5.2", "5.3", "5.6", "5.9", "5.15", "5.18", "6.1.*", "6.2.*", "6.3.*", "6.5.*", "6.12.*", "7.*", "9.1.1", "9.7.1", "10.*"}
	}
	return []string{"1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "9.*", "10.*"}
}

// requireAllPassed fails t for every case of agent that is not OK or
// INFORMATIONAL, and checks the number of results.
func requireAllPassed(t *testing.T, rep *suite.Report, agent string, want int) {
	t.Helper()
	rs := rep.Results(agent)
	if want > 0 && len(rs) != want {
		t.Errorf("%s: %d results, want %d", agent, len(rs), want)
	}
	for _, r := range rs {
		if !r.Behavior.Passed() || !r.BehaviorClose.Passed() {
			t.Errorf("%s: case %s: behavior %s (%s), close %s (%s)", agent, r.ID, r.Behavior, r.Result, r.BehaviorClose, r.ResultClose)
		}
	}
}

func wantCount(t *testing.T, cases []string) int {
	ids, err := suite.CaseIDs(cases, nil)
	if err != nil {
		t.Fatal(err)
	}
	return len(ids)
}

// TestReferenceTestee runs the catalogue but for compression in both roles
// against the fault-free reference testee: every case must pass.
func TestReferenceTestee(t *testing.T) {
	cases := quickCases()
	n := wantCount(t, cases)
	t.Run("server", func(t *testing.T) {
		t.Parallel()
		rep, err := scoreServer(relaxed, reftestee.Faults{}, cases...)
		if err != nil {
			t.Fatal(err)
		}
		requireAllPassed(t, rep, "ref", n)
	})
	t.Run("client", func(t *testing.T) {
		t.Parallel()
		rep, err := scoreClient(relaxed, reftestee.Faults{}, cases...)
		if err != nil {
			t.Fatal(err)
		}
		requireAllPassed(t, rep, "ref", n)
	})
}

// TestNoGoroutinesLeft checks that runs in both roles leave no goroutines
// behind, including cases ended by timers and by the peer.
func TestNoGoroutinesLeft(t *testing.T) {
	before := runtime.NumGoroutine()
	runAgainstServer(t, reftestee.Faults{AcceptRSV: true}, "1.1.1", "2.1", "3.1", "7.3.2")
	runAgainstClient(t, reftestee.Faults{}, "1.1.1", "5.9", "7.1.1")
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
