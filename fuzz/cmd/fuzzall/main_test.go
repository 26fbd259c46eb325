package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseList(t *testing.T) {
	out := "ok  \tgithub.com/hybi/ws/closecode\t0.002s\n" +
		"FuzzParseHeader\n" +
		"ok  \tgithub.com/hybi/ws/frame\t0.024s\n" +
		"?   \tgithub.com/hybi/ws/fuzz/cmd/fuzzall\t[no test files]\n" +
		"FuzzA\nFuzzB\n" +
		"ok  \tgithub.com/hybi/ws/fuzz\t(cached)\n" +
		"FuzzBroken\n" +
		"FAIL\tgithub.com/hybi/ws/broken [build failed]\n" +
		"ok  \tgithub.com/hybi/ws/mask\t0.003s\n"
	got := parseList(out)
	want := []target{
		{pkg: "github.com/hybi/ws/frame", name: "FuzzParseHeader"},
		{pkg: "github.com/hybi/ws/fuzz", name: "FuzzA"},
		{pkg: "github.com/hybi/ws/fuzz", name: "FuzzB"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(target{})); diff != "" {
		t.Errorf("parseList (-want +got):\n%s", diff)
	}
}

func TestParseLine(t *testing.T) {
	var r result
	for _, l := range []string{
		"fuzz: elapsed: 0s, gathering baseline coverage: 0/66 completed",
		"fuzz: elapsed: 3s, execs: 14174 (4724/sec), new interesting: 2 (total: 66)",
		"fuzz: elapsed: 6s, execs: 30001 (5275/sec), new interesting: 5 (total: 69)",
		"    Failing input written to testdata/fuzz/FuzzA/e00b26c9b2a515bd",
	} {
		r.parseLine(l)
	}
	if r.execs != 30001 || r.interesting != 5 || r.corpus != 69 || !r.crashed || r.input != "testdata/fuzz/FuzzA/e00b26c9b2a515bd" {
		t.Errorf("parsed %+v", r)
	}
}

func TestParseLineDeadline(t *testing.T) {
	var r result
	for _, l := range []string{
		"fuzz: elapsed: 3s, execs: 40304 (0/sec), new interesting: 104 (total: 108)",
		"--- FAIL: FuzzPIIRedactVerify (3.20s)",
		"    context deadline exceeded",
	} {
		r.parseLine(l)
	}
	if !r.deadline || r.crashed {
		t.Errorf("parsed %+v", r)
	}
}
