package checks

import (
	"strings"
	"testing"

	"github.com/discod/discod/servicedef"
)

func TestDampener(t *testing.T) {
	// Results and statuses are written p (passing), w (warning), c
	// (critical).
	tests := []struct {
		name                                     string
		initial                                  string
		successBefore, failuresWarn, failuresCri int
		results                                  string
		want                                     string
	}{
		{name: "no dampening follows every result", results: "pcwpc", want: "pcwpc"},
		{name: "an initial passing check fails at once", initial: "passing", results: "c", want: "c"},
		{name: "first result is taken at once, as Consul", successBefore: 3, failuresCri: 3, results: "p", want: "p"},
		{name: "first failure too", initial: "passing", successBefore: 3, failuresCri: 3, results: "c", want: "c"},
		{name: "failures_before_critical holds passing", failuresCri: 3, results: "pcccc", want: "pppcc"},
		{name: "a success resets the failure count", failuresCri: 2, results: "pcpcpcc", want: "ppppppc"},
		{name: "failures_before_warning warns first", failuresWarn: 1, failuresCri: 3, results: "pcccp", want: "pwwcp"},
		{name: "failures_before_warning defaults to critical's", failuresCri: 2, results: "pccc", want: "ppcc"},
		{name: "failures_before_warning above critical never warns", failuresWarn: 5, failuresCri: 2, results: "pcc", want: "ppc"},
		{name: "success_before_passing holds critical", successBefore: 3, results: "cpppp", want: "cccpp"},
		{name: "a failure resets the success count", successBefore: 2, results: "cpcpcpp", want: "ccccccp"},
		{name: "warning counts as a success", successBefore: 2, results: "cwwp", want: "ccwp"},
		{name: "both thresholds: a flapping check stays put", successBefore: 2, failuresCri: 2, results: "pcpcpc", want: "pppppp"},
		{name: "both thresholds: sustained changes go through", successBefore: 2, failuresCri: 2, results: "pccppc", want: "ppccpp"},
		{name: "thresholds of one are no dampening", successBefore: 1, failuresWarn: 1, failuresCri: 1, results: "pcpw", want: "pcpw"},
		{name: "an unknown result counts as critical", results: "px", want: "pc"},
	}
	long := map[byte]string{'p': "passing", 'w': "warning", 'c': "critical", 'x': "bogus"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := servicedef.Check{
				Status:                 tt.initial,
				SuccessBeforePassing:   tt.successBefore,
				FailuresBeforeWarning:  tt.failuresWarn,
				FailuresBeforeCritical: tt.failuresCri,
			}
			def.Normalize()
			d := dampenerFor(&def)
			var got strings.Builder
			for i := range len(tt.results) {
				s := d.next(long[tt.results[i]])
				got.WriteByte(s[0])
			}
			if got.String() != tt.want {
				t.Errorf("results %s: statuses %s, want %s", tt.results, got.String(), tt.want)
			}
		})
	}
}

func TestDampenerInitialDefaultsToCritical(t *testing.T) {
	def := servicedef.Check{FailuresBeforeCritical: 3}
	def.Normalize()
	if d := dampenerFor(&def); d.status != "critical" {
		t.Fatalf("initial status %q, want critical", d.status)
	}
}
