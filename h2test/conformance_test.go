package h2test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hybi/ws/autobahn/suite"
	"github.com/hybi/ws/autobahn/testee"
	"github.com/hybi/ws/conn"
	"github.com/hybi/ws/deflate"
	"github.com/hybi/ws/handshake"
	"golang.org/x/net/http2"
)

// fullEnv, set to 1, runs the conformance suite over HTTP/2 whole:
// categories 1 to 10 and the compression cases of up to 16 KiB of
// categories 12 and 13, as autobahn/testee does over HTTP/1.1. By default
// a quick selection of every category runs.
const fullEnv = "HYBI_H2_AUTOBAHN_FULL"

func conformanceCases() []string {
	if os.Getenv(fullEnv) == "1" {
		cases := []string{"1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "9.*", "10.*"}
		for j := 1; j <= 5; j++ {
			for _, i := range []int{1, 2, 3, 4, 5, 6, 7, 11, 12} {
				cases = append(cases, fmt.Sprintf("12.%d.%d", j, i))
			}
		}
		for j := 1; j <= 7; j++ {
			for _, i := range []int{1, 2, 3, 4, 5, 6, 7, 11, 12} {
				cases = append(cases, fmt.Sprintf("13.%d.%d", j, i))
			}
		}
		return cases
	}
	return []string{"1.1.*", "1.2.8", "2.*", "3.*", "4.*", "5.1", "5.2", "5.3", "5.6", "5.9", "5.19", "6.1.*", "6.2.*", "6.3.*", "6.5.*", "6.12.*",
		"7.1.*", "7.3.*", "7.5.1", "7.7.*", "9.1.1", "9.1.6", "9.7.1", "10.*", "12.1.1", "12.4.11", "13.1.1", "13.7.11"}
}

func requirePassed(t *testing.T, rep *suite.Report, agent string, cases []string) {
	t.Helper()
	ids, err := suite.CaseIDs(cases, nil)
	if err != nil {
		t.Fatal(err)
	}
	rs := rep.Results(agent)
	if len(rs) != len(ids) {
		t.Errorf("%s: %d results, want %d", agent, len(rs), len(ids))
	}
	counts := map[suite.Behavior]int{}
	for _, r := range rs {
		counts[suite.Verdict(r.Behavior, r.BehaviorClose)]++
		if !r.Behavior.Passed() || !r.BehaviorClose.Passed() {
			t.Errorf("%s: case %s: behavior %s (%s), close %s (%s); wire log:\n  %s",
				agent, r.ID, r.Behavior, r.Result, r.BehaviorClose, r.ResultClose, strings.Join(r.Wirelog, "\n  "))
		}
	}
	t.Logf("%s over HTTP/2: %d cases: %v", agent, len(rs), counts)
}

func conformanceTimeout() time.Duration {
	if os.Getenv(fullEnv) == "1" {
		return 9 * time.Minute
	}
	return 2 * time.Minute
}

// TestServerConformanceOverH2 runs the fuzzing client, dialing over
// HTTP/2, against hybi's echo testee served over HTTP/2.
func TestServerConformanceOverH2(t *testing.T) {
	t.Parallel()
	s := newServer(t, testee.Handler().ServeHTTP)
	ctx, cancel := context.WithTimeout(context.Background(), conformanceTimeout())
	defer cancel()
	cases := conformanceCases()
	c := &suite.Client{
		Cases:        cases,
		Agent:        "hybi-server-h2",
		Dialer:       &handshake.Dialer{Transport: s.transport(t)},
		TimeoutScale: 4,
	}
	if testing.Verbose() {
		c.Progress = os.Stderr
	}
	rep, err := c.Run(ctx, s.wsURL())
	if err != nil {
		t.Fatal(err)
	}
	requirePassed(t, rep, "hybi-server-h2", cases)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.protos {
		if p != 2 {
			t.Fatalf("a case's request arrived over HTTP/%d", p)
		}
	}
}

// TestClientConformanceOverH2 runs hybi's testee client, dialing over
// HTTP/2 with x/net's transport, against the fuzzing server served over
// HTTP/2.
func TestClientConformanceOverH2(t *testing.T) {
	t.Parallel()
	cases := conformanceCases()
	rep := suite.NewReport()
	fs := &suite.Server{Cases: cases, Report: rep, TimeoutScale: 4}
	s := newServer(t, fs.ServeHTTP)
	ctx, cancel := context.WithTimeout(context.Background(), conformanceTimeout())
	defer cancel()
	if err := runClient(ctx, s.wsURL(), "hybi-client-h2", s.transport(t)); err != nil {
		t.Fatal(err)
	}
	requirePassed(t, rep, "hybi-client-h2", cases)
}

// runClient is testee.RunClient dialing over HTTP/2.
func runClient(ctx context.Context, base, agent string, tr *http2.Transport) error {
	opts := func() *conn.DialOptions {
		return &conn.DialOptions{
			Options:   conn.Options{ReadLimit: testee.ReadLimit, PingInterval: -1, Compression: &deflate.Config{}},
			Transport: tr,
		}
	}
	c, err := conn.Dial(ctx, base+"/getCaseCount", opts())
	if err != nil {
		return err
	}
	_, msg, err := c.Read(ctx, nil)
	c.CloseNow()
	if err != nil {
		return err
	}
	count, err := strconv.Atoi(strings.TrimSpace(string(msg)))
	if err != nil {
		return err
	}
	a := url.QueryEscape(agent)
	for i := 1; i <= count; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := conn.Dial(ctx, fmt.Sprintf("%s/runCase?case=%d&agent=%s", base, i, a), opts())
		if err != nil {
			continue // the fuzzing server reports the case
		}
		testee.Echo(ctx, c)
	}
	return nil
}
