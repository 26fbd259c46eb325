package suite

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Report collects results by agent and case id. It is safe for concurrent use.
type Report struct {
	mu     sync.Mutex
	agents map[string]map[string]*Result
}

// NewReport returns an empty report.
func NewReport() *Report { return &Report{agents: map[string]map[string]*Result{}} }

// Add records res, replacing an earlier result of the same agent and case.
func (rp *Report) Add(res *Result) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	m := rp.agents[res.Agent]
	if m == nil {
		m = map[string]*Result{}
		rp.agents[res.Agent] = m
	}
	m[res.ID] = res
}

// Get returns the result of case id for agent, or nil.
func (rp *Report) Get(agent, id string) *Result {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.agents[agent][id]
}

// Agents returns the agents with results, sorted.
func (rp *Report) Agents() []string {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	var a []string
	for k := range rp.agents {
		a = append(a, k)
	}
	slices.Sort(a)
	return a
}

// Results returns the results of agent in case order.
func (rp *Report) Results(agent string) []*Result {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	var rs []*Result
	for _, r := range rp.agents[agent] {
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b *Result) int { return compareIDs(a.ID, b.ID) })
	return rs
}

// reportFile is the per-case file name Autobahn uses.
func reportFile(agent, id, ext string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(strings.TrimSpace(agent)) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
		} else {
			b.WriteByte(' ')
		}
	}
	name := strings.ReplaceAll(strings.TrimSpace(b.String()), " ", "_")
	return name + "_case_" + strings.ReplaceAll(id, ".", "_") + "." + ext
}

// indexEntry is one case of an index.json: Autobahn's summary of a result.
type indexEntry struct {
	Behavior        Behavior `json:"behavior"`
	BehaviorClose   Behavior `json:"behaviorClose"`
	Duration        int64    `json:"duration"`
	RemoteCloseCode *int     `json:"remoteCloseCode"`
	ReportFile      string   `json:"reportfile"`
}

// index returns the report as index.json has it: agent → case id → entry.
func (rp *Report) index() map[string]map[string]indexEntry {
	idx := map[string]map[string]indexEntry{}
	for _, a := range rp.Agents() {
		m := map[string]indexEntry{}
		for _, r := range rp.Results(a) {
			m[r.ID] = indexEntry{r.Behavior, r.BehaviorClose, r.Duration, r.RemoteCode, reportFile(a, r.ID, "json")}
		}
		idx[a] = m
	}
	return idx
}

// WriteFiles writes index.json, index.html and one JSON file per result
// into dir, creating it if needed.
func (rp *Report) WriteFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "index.json"), rp.index()); err != nil {
		return err
	}
	for _, a := range rp.Agents() {
		for _, r := range rp.Results(a) {
			if err := writeJSON(filepath.Join(dir, reportFile(a, r.ID, "json")), r); err != nil {
				return err
			}
		}
	}
	f, err := os.Create(filepath.Join(dir, "index.html"))
	if err != nil {
		return err
	}
	if err := rp.WriteHTML(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "   ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// tally counts verdicts.
type tally struct {
	OK, NonStrict, Informational, Unimplemented, Failed int
}

func (t *tally) add(v Behavior) {
	switch v {
	case OK:
		t.OK++
	case NonStrict:
		t.NonStrict++
	case Informational:
		t.Informational++
	case Unimplemented:
		t.Unimplemented++
	default:
		t.Failed++
	}
}

// Total is the number of results counted.
func (t tally) Total() int { return t.OK + t.NonStrict + t.Informational + t.Unimplemented + t.Failed }

func category(id string) string { return strings.SplitN(id, ".", 2)[0] }

// categoryTallies counts the verdicts of results per category, in order.
func categoryTallies(rs []*Result) (cats []string, tallies map[string]*tally) {
	tallies = map[string]*tally{}
	for _, r := range rs {
		c := category(r.ID)
		if tallies[c] == nil {
			tallies[c] = &tally{}
			cats = append(cats, c)
		}
		tallies[c].add(r.Verdict())
	}
	return cats, tallies
}

// WriteSummary prints per agent and category how many cases passed, and
// lists every case that did not pass.
func (rp *Report) WriteSummary(w io.Writer) {
	for _, a := range rp.Agents() {
		rs := rp.Results(a)
		fmt.Fprintf(w, "Agent %s: %d cases\n", a, len(rs))
		fmt.Fprintf(w, "  %-4s %-45s %5s %5s %5s %5s %5s\n", "", "category", "total", "ok", "n-str", "info", "fail")
		cats, tallies := categoryTallies(rs)
		var total tally
		for _, c := range cats {
			t := tallies[c]
			fmt.Fprintf(w, "  %-4s %-45s %5d %5d %5d %5d %5d\n", c, Categories[c], t.Total(), t.OK, t.NonStrict, t.Informational, t.Failed)
			total.OK += t.OK
			total.NonStrict += t.NonStrict
			total.Informational += t.Informational
			total.Unimplemented += t.Unimplemented
			total.Failed += t.Failed
		}
		fmt.Fprintf(w, "  %-4s %-45s %5d %5d %5d %5d %5d\n", "", "all", total.Total(), total.OK, total.NonStrict, total.Informational, total.Failed)
		for _, r := range rs {
			if v := r.Verdict(); v != OK && v != Informational {
				fmt.Fprintf(w, "  %-8s %-10s behavior=%s close=%s: %s / %s\n", r.ID, v, r.Behavior, r.BehaviorClose, r.Result, r.ResultClose)
			}
		}
	}
}
