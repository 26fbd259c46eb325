package main

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/perf/benchmath"
)

// results holds every measurement: scenario → group → library → unit →
// values, with the orders of first appearance.
type results struct {
	scenarios map[string]*scenario
}

type scenario struct {
	groups []string
	byKey  map[string]*group
}

type group struct {
	libs  []string
	byLib map[string]map[string][]float64
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// parse reads go test -bench output. A benchmark name is
// Benchmark<Scenario>[/size=X|/len=X]/lib=<name>[-procs].
func parse(path string) (*results, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := &results{scenarios: map[string]*scenario{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(fields[0], "Benchmark"), "")
		parts := strings.Split(name, "/")
		var grp, lib string
		for _, p := range parts[1:] {
			k, v, _ := strings.Cut(p, "=")
			switch k {
			case "lib":
				lib = v
			default:
				if grp != "" {
					grp += " "
				}
				grp += v
			}
		}
		if lib == "" {
			continue
		}
		s := r.scenarios[parts[0]]
		if s == nil {
			s = &scenario{byKey: map[string]*group{}}
			r.scenarios[parts[0]] = s
		}
		g := s.byKey[grp]
		if g == nil {
			g = &group{byLib: map[string]map[string][]float64{}}
			s.byKey[grp] = g
			s.groups = append(s.groups, grp)
		}
		units := g.byLib[lib]
		if units == nil {
			units = map[string][]float64{}
			g.byLib[lib] = units
			g.libs = append(g.libs, lib)
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			units[fields[i+1]] = append(units[fields[i+1]], v)
		}
	}
	return r, sc.Err()
}

// summary is the median of a sample with its 95% confidence interval, as
// benchstat computes them.
type summary struct {
	center, lo, hi float64
	n              int
	ok             bool
}

func summarize(xs []float64) summary {
	if len(xs) == 0 {
		return summary{}
	}
	s := benchmath.AssumeNothing.Summary(benchmath.NewSample(xs, &benchmath.DefaultThresholds), 0.95)
	return summary{center: s.Center, lo: s.Lo, hi: s.Hi, n: len(xs), ok: true}
}
