package suite_test

import (
	"sync"
	"testing"

	"github.com/hybi/ws/autobahn/internal/reftestee"
	"github.com/hybi/ws/autobahn/suite"
)

// TestFaultsCaught checks that the suite catches real faults: with a fault
// switched on in the reference testee, the matching cases are not OK, while
// cases the fault does not touch stay OK. Both roles are checked.
func TestFaultsCaught(t *testing.T) {
	tests := []struct {
		name  string
		f     reftestee.Faults
		cases []string
		want  map[string]suite.Behavior // case → verdict
	}{
		{
			name:  "SkipUTF8",
			f:     reftestee.Faults{SkipUTF8: true},
			cases: []string{"6.2.*", "6.3.*", "6.4.*", "6.8.*", "6.9.*"},
			want: map[string]suite.Behavior{
				"6.2.1": suite.OK, "6.2.3": suite.OK, "6.9.1": suite.OK,
				"6.3.1": suite.Failed, "6.3.2": suite.Failed,
				"6.4.1": suite.Failed, "6.4.2": suite.Failed, "6.4.3": suite.Failed, "6.4.4": suite.Failed,
				"6.8.1": suite.Failed, "6.8.2": suite.Failed,
			},
		},
		{
			name:  "WrongCloseCode",
			f:     reftestee.Faults{WrongCloseCode: true},
			cases: []string{"1.1.1", "2.1", "7.1.*", "7.3.*", "7.7.1", "7.7.2"},
			want: map[string]suite.Behavior{
				"1.1.1": suite.NonStrict, "2.1": suite.NonStrict,
				"7.1.1": suite.Failed, "7.1.2": suite.Failed, "7.3.3": suite.Failed, "7.3.4": suite.Failed,
				"7.7.1": suite.Failed, "7.7.2": suite.OK,
				"7.1.6": suite.Informational,
			},
		},
		{
			name:  "DeferPongs",
			f:     reftestee.Faults{DeferPongs: true},
			cases: []string{"2.*", "5.6", "5.7", "5.8", "5.19", "5.20"},
			want: map[string]suite.Behavior{
				"2.1": suite.OK, "2.10": suite.OK, "2.11": suite.OK,
				"5.6": suite.Failed, "5.7": suite.Failed, "5.8": suite.Failed, "5.19": suite.Failed, "5.20": suite.Failed,
			},
		},
		{
			name:  "AcceptRSV",
			f:     reftestee.Faults{AcceptRSV: true},
			cases: []string{"3.*", "1.1.2"},
			want: map[string]suite.Behavior{
				"1.1.2": suite.OK,
				"3.1":   suite.Failed, "3.2": suite.Failed, "3.3": suite.Failed, "3.4": suite.Failed,
				"3.5": suite.Failed, "3.6": suite.Failed,
				// A close frame with RSV bits answered by an empty close
				// passes, in Autobahn too: no close code to judge.
				"3.7": suite.OK,
			},
		},
	}
	// The runs mostly wait on the suite's timers: run them all at once.
	type outcome struct {
		rep *suite.Report
		err error
	}
	outs := make([][2]outcome, len(tests))
	var wg sync.WaitGroup
	for i, tc := range tests {
		wg.Add(2)
		go func() {
			defer wg.Done()
			rep, err := scoreServer(1, tc.f, tc.cases...)
			outs[i][0] = outcome{rep, err}
		}()
		go func() {
			defer wg.Done()
			rep, err := scoreClient(1, tc.f, tc.cases...)
			outs[i][1] = outcome{rep, err}
		}()
	}
	wg.Wait()
	for i, tc := range tests {
		for k, role := range []string{"server", "client"} {
			t.Run(tc.name+"/"+role, func(t *testing.T) {
				o := outs[i][k]
				if o.err != nil {
					t.Fatal(o.err)
				}
				for id, want := range tc.want {
					r := o.rep.Get("ref", id)
					if r == nil {
						t.Errorf("case %s: no result", id)
						continue
					}
					if got := r.Verdict(); got != want {
						t.Errorf("case %s: verdict %s (behavior %s, close %s: %s / %s), want %s",
							id, got, r.Behavior, r.BehaviorClose, r.Result, r.ResultClose, want)
					}
				}
			})
		}
	}
}
