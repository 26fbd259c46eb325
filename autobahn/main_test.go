package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hybi/ws/autobahn/internal/reftestee"
	"github.com/hybi/ws/autobahn/suite"
)

func TestRunSelf(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-testee", "ref", "-cases", "1.1.*,2.1,7.7.1", "-out", dir}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"the report goes to " + dir, "case     behavior   close", "[10/20] 7.7.1    OK         OK", "[20/20]",
		"ref-server: 10 cases", "ref-client: 10 cases", "reports in " + dir} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		t.Error(err)
	}
	// The index written is what -check reads.
	out.Reset()
	if code := run(context.Background(), []string{"-check", filepath.Join(dir, "index.json")}, &out, &errb); code != 0 {
		t.Errorf("-check exit %d:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "20 cases checked, 0 not passed") {
		t.Errorf("-check output:\n%s", out.String())
	}
}

func TestRunCheckFails(t *testing.T) {
	p := filepath.Join(t.TempDir(), "index.json")
	os.WriteFile(p, []byte(`{"X": {"6.4.3": {"behavior": "NON-STRICT", "behaviorClose": "OK", "duration": 1, "remoteCloseCode": 1007, "reportfile": "x"},
		"1.1.1": {"behavior": "OK", "behaviorClose": "OK", "duration": 1, "remoteCloseCode": 1000, "reportfile": "y"}}}`), 0o644)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-check", p}, &out, &errb); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(out.String(), "X: case 6.4.3: behavior NON-STRICT, close behavior OK") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestRunBadFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-cases", "99.9"}, &out, &errb); code != 2 {
		t.Errorf("unknown case: exit %d, want 2", code)
	}
	if code := run(context.Background(), []string{"-testee", "nope", "-cases", "1.1.1", "-out", t.TempDir()}, &out, &errb); code != 2 {
		t.Errorf("unknown testee: exit %d, want 2", code)
	}
}

// TestRunExternal scores an external server (-server) and drives an
// external fuzzing server (-fuzzingserver), both played here by the suite
// and the reference testee.
func TestRunExternal(t *testing.T) {
	ts := httptest.NewServer(reftestee.Handler(reftestee.Faults{}))
	defer ts.Close()
	url := "ws" + strings.TrimPrefix(ts.URL, "http")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-server", url, "-cases", "2.*", "-q", "-out", t.TempDir()}, &out, &errb); code != 0 {
		t.Fatalf("-server: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "Agent reftestee: 11 cases") {
		t.Errorf("-server output:\n%s", out.String())
	}

	rep := suite.NewReport()
	fs := httptest.NewServer(&suite.Server{Cases: []string{"1.1.*"}, Report: rep})
	defer fs.Close()
	out.Reset()
	if code := run(context.Background(), []string{"-fuzzingserver", "ws" + strings.TrimPrefix(fs.URL, "http"), "-agent", "x"}, &out, &errb); code != 0 {
		t.Fatalf("-fuzzingserver: exit %d\n%s", code, errb.String())
	}
	if rs := rep.Results("x"); len(rs) != 8 {
		t.Errorf("-fuzzingserver: %d results, want 8", len(rs))
	}
}

// TestRunSelfParallel runs compression cases concurrently: every case is
// reported once per role, with its number in the whole run.
func TestRunSelfParallel(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-cases", "1.1.1,12.1.1,12.2.1,13.1.1,13.7.1", "-parallel", "3", "-out", dir}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"[10/10]", "hybi-server: 5 cases", "hybi-client: 5 cases"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	rep := filepath.Join(dir, "hybi_server_case_13_7_1.json")
	b, err := os.ReadFile(rep)
	if err != nil {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("%v (files: %v)", err, entries)
	}
	if !strings.Contains(string(b), `"case": 5`) {
		t.Errorf("13.7.1 is not numbered 5:\n%.300s", b)
	}
	for _, bad := range []string{"0", "-2"} {
		out.Reset()
		errb.Reset()
		if code := run(context.Background(), []string{"-cases", "12.1.1", "-parallel", bad, "-out", t.TempDir()}, &out, &errb); code == 0 ||
			!strings.Contains(errb.String(), "-parallel") {
			t.Errorf("-parallel %s: exit %d, stderr %q", bad, code, errb.String())
		}
	}
}
