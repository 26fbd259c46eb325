package suite_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hybi/ws/autobahn/internal/reftestee"
	"github.com/hybi/ws/autobahn/suite"
)

func TestCheckIndex(t *testing.T) {
	const index = `{
   "AutobahnPython": {
      "1.1.1": {"behavior": "OK", "behaviorClose": "OK", "duration": 2, "remoteCloseCode": 1000, "reportfile": "x.json"},
      "10.1.1": {"behavior": "OK", "behaviorClose": "WRONG CODE", "duration": 2, "remoteCloseCode": 1001, "reportfile": "y.json"},
      "2.1": {"behavior": "NON-STRICT", "behaviorClose": "OK", "duration": 2, "remoteCloseCode": null, "reportfile": "z.json"},
      "7.13.1": {"behavior": "INFORMATIONAL", "behaviorClose": "INFORMATIONAL", "duration": 2, "remoteCloseCode": 1002, "reportfile": "w.json"}
   }
}`
	problems, n, err := suite.CheckIndex(strings.NewReader(index))
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 || len(problems) != 2 || problems[0].Case != "2.1" || problems[1].Case != "10.1.1" {
		t.Fatalf("CheckIndex = %v, %d", problems, n)
	}
	if got := problems[1].String(); got != "AutobahnPython: case 10.1.1: behavior OK, close behavior WRONG CODE" {
		t.Errorf("Problem.String() = %q", got)
	}
	if _, _, err := suite.CheckIndex(strings.NewReader("[")); err == nil {
		t.Error("bad JSON accepted")
	}
}

// TestReportRoundTrip writes a report and checks it with CheckIndex, as
// the -check mode reads Autobahn's own index.json.
func TestReportRoundTrip(t *testing.T) {
	rep := runAgainstServer(t, reftestee.Faults{WrongCloseCode: true}, "1.1.1", "7.1.1")
	dir := t.TempDir()
	if err := rep.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	problems, n, err := suite.CheckIndex(bytes.NewReader(b))
	if err != nil || n != 2 || len(problems) != 2 {
		t.Fatalf("CheckIndex = %v, %d, %v", problems, n, err)
	}
	for _, f := range []string{"ref_case_1_1_1.json", "ref_case_7_1_1.json", "index.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	for _, want := range []string{"Case 7.1.1", "WRONG CODE", "Close Handling", "TX FRAME"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	var sum bytes.Buffer
	rep.WriteSummary(&sum)
	if !strings.Contains(sum.String(), "7.1.1") || !strings.Contains(sum.String(), "WRONG CODE") {
		t.Errorf("summary:\n%s", sum.String())
	}
}
