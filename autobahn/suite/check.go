package suite

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// Problem is a case of an index.json that did not pass.
type Problem struct {
	Agent         string
	Case          string
	Behavior      Behavior
	BehaviorClose Behavior
}

// String describes the problem on one line.
func (p Problem) String() string {
	return fmt.Sprintf("%s: case %s: behavior %s, close behavior %s", p.Agent, p.Case, p.Behavior, p.BehaviorClose)
}

// CheckIndex reads an index.json as the real Autobahn|Testsuite (or Report)
// writes it and returns the cases that did not pass, in agent and case
// order, and how many cases it checked. A case passes when both its
// behaviour and its close behaviour are OK or INFORMATIONAL.
func CheckIndex(r io.Reader) (problems []Problem, n int, err error) {
	var idx map[string]map[string]indexEntry
	if err := json.NewDecoder(r).Decode(&idx); err != nil {
		return nil, 0, fmt.Errorf("suite: reading index.json: %w", err)
	}
	var agents []string
	for a := range idx {
		agents = append(agents, a)
	}
	slices.Sort(agents)
	for _, a := range agents {
		var ids []string
		for id := range idx[a] {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, compareIDs)
		for _, id := range ids {
			e := idx[a][id]
			n++
			if !e.Behavior.Passed() || !e.BehaviorClose.Passed() {
				problems = append(problems, Problem{a, id, e.Behavior, e.BehaviorClose})
			}
		}
	}
	return problems, n, nil
}
