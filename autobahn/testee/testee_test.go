package testee_test

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hybi/ws/autobahn/suite"
	"github.com/hybi/ws/autobahn/testee"
)

func wsURL(s *httptest.Server) string { return "ws" + strings.TrimPrefix(s.URL, "http") }

// cases is the whole catalogue, or in -short and race runs the cases that take no
// deliberate pauses and no big messages.
func cases() []string {
	if testing.Short() || raceEnabled {
		return []string{"1.*", "2.*", "3.*", "4.*", "5.1*", "5.2", "5.3", "5.6", "5.9", "6.1.*", "6.2.*", "6.3.*", "6.5.*", "6.12.*", "7.*", "9.1.1", "9.7.1", "10.*"}
	}
	return nil
}

func requireAllPassed(t *testing.T, rep *suite.Report, agent string) {
	t.Helper()
	ids, err := suite.CaseIDs(cases(), nil)
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
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := &suite.Client{Cases: cases(), Agent: "hybi-server", TimeoutScale: relaxed}
	if p := progress(); p != nil {
		c.Progress = p
	}
	rep, err := c.Run(ctx, wsURL(ts))
	if err != nil {
		t.Fatal(err)
	}
	requireAllPassed(t, rep, "hybi-server")
}

// TestClientConformance scores the testee client with the fuzzing server.
func TestClientConformance(t *testing.T) {
	t.Parallel()
	rep := suite.NewReport()
	s := &suite.Server{Cases: cases(), Report: rep, TimeoutScale: relaxed}
	if p := progress(); p != nil {
		s.Progress = p
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := testee.RunClient(ctx, wsURL(ts), "hybi-client"); err != nil {
		t.Fatal(err)
	}
	requireAllPassed(t, rep, "hybi-client")
}
