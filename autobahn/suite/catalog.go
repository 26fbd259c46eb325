package suite

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// caseDef is one test case of the catalogue.
type caseDef struct {
	id         string
	desc       string
	expect     string
	reportTime bool
	open       func(r *run)                              // Autobahn's onOpen
	onMessage  func(r *run, payload []byte, binary bool) // nil: record the event, then finishWhenDone
	finish     func(r *run)                              // verdict adjustments after the standard judgement
	offers     []deflateOffer                            // fuzzing client: permessage-deflate offers
	accept     acceptFunc                                // fuzzing server: accepts a client's offers; nil declines
}

// Categories names the case categories by number, as in Autobahn's reports.
var Categories = map[string]string{
	"1": "Framing", "2": "Pings/Pongs", "3": "Reserved Bits", "4": "Opcodes",
	"5": "Fragmentation", "6": "UTF-8 Handling", "7": "Close Handling",
	"9": "Limits/Performance", "10": "Misc",
	"12": "WebSocket Compression (different payloads)",
	"13": "WebSocket Compression (different parameters)",
}

// subCategories names case subcategories, as in Autobahn's reports.
var subCategories = map[string]string{
	"1.1": "Text Messages", "1.2": "Binary Messages",
	"4.1": "Non-control Opcodes", "4.2": "Control Opcodes",
	"6.1":  "Valid UTF-8 with empty fragments",
	"6.2":  "Valid UTF-8 in one frame, split at and inside code points",
	"6.3":  "Invalid UTF-8 in one frame and fragmented",
	"6.4":  "Failing fast on invalid UTF-8",
	"7.1":  "Close basics (fuzzer closes)",
	"7.3":  "Close frame payload length (fuzzer closes)",
	"7.5":  "Close frame payload value (fuzzer closes)",
	"7.7":  "Valid close codes (fuzzer closes)",
	"7.9":  "Invalid close codes (fuzzer closes)",
	"7.13": "Close codes outside the spec (informational)",
	"9.1":  "Text messages of growing size", "9.2": "Binary messages of growing size",
	"9.3":  "Fragmented 4 MiB text message, growing fragment size",
	"9.4":  "Fragmented 4 MiB binary message, growing fragment size",
	"9.5":  "1 MiB text message, growing chop size",
	"9.6":  "1 MiB binary message, growing chop size",
	"9.7":  "Round-trip time of 1000 text messages, growing size",
	"9.8":  "Round-trip time of 1000 binary messages, growing size",
	"10.1": "Auto-Fragmentation",
}

var (
	catalogOnce sync.Once
	catalog     []*caseDef
	catalogByID map[string]*caseDef
)

// allCases returns the whole catalogue in case order.
func allCases() []*caseDef {
	catalogOnce.Do(func() {
		var cs []*caseDef
		for _, f := range []func() []*caseDef{
			cases1, cases2, cases3, cases4, cases5, cases6, cases7, cases9, cases10, cases12,
		} {
			cs = append(cs, f()...)
		}
		slices.SortStableFunc(cs, func(a, b *caseDef) int { return compareIDs(a.id, b.id) })
		catalogByID = make(map[string]*caseDef, len(cs))
		for _, c := range cs {
			if catalogByID[c.id] != nil {
				panic("suite: duplicate case " + c.id)
			}
			catalogByID[c.id] = c
		}
		catalog = cs
	})
	return catalog
}

func idTuple(id string) []int {
	parts := strings.Split(id, ".")
	t := make([]int, len(parts))
	for i, p := range parts {
		t[i], _ = strconv.Atoi(p)
	}
	return t
}

func compareIDs(a, b string) int { return slices.Compare(idTuple(a), idTuple(b)) }

// CaseIDs resolves case patterns as Autobahn's "cases" and "exclude-cases"
// settings do ("*" or a pattern with * wildcards matches case ids from the
// start, anything else names one case) and returns the case ids in case
// order. No patterns means all cases.
func CaseIDs(include, exclude []string) ([]string, error) {
	all := allCases()
	if len(include) == 0 {
		include = []string{"*"}
	}
	in, err := resolve(all, include)
	if err != nil {
		return nil, err
	}
	out, err := resolve(all, exclude)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, c := range all {
		if in[c.id] && !out[c.id] {
			ids = append(ids, c.id)
		}
	}
	return ids, nil
}

func resolve(all []*caseDef, patterns []string) (map[string]bool, error) {
	set := map[string]bool{}
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.Contains(p, "*") {
			if catalogByID[p] == nil {
				return nil, fmt.Errorf("suite: no case %q", p)
			}
			set[p] = true
			continue
		}
		re, err := regexp.Compile("^" + strings.ReplaceAll(regexp.QuoteMeta(p), `\*`, ".*"))
		if err != nil {
			return nil, err
		}
		for _, c := range all {
			if re.MatchString(c.id) {
				set[c.id] = true
			}
		}
	}
	return set, nil
}

func lookup(id string) *caseDef {
	allCases()
	return catalogByID[id]
}

// sec converts Autobahn's delays in seconds.
func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
