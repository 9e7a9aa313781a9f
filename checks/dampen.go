package checks

import "github.com/discod/discod/catalog"

// dampener turns a check's raw run results into its reported status with
// Consul's flap dampening (agent/checks StatusHandler):
//   - passing and warning results count as successes; a success is taken
//     once SuccessBeforePassing successes in a row have been seen;
//   - critical results count as failures; FailuresBeforeCritical failures
//     in a row make the check critical, FailuresBeforeWarning (default:
//     FailuresBeforeCritical) failures in a row make it warning first;
//   - a result below its threshold leaves the status as it was.
//
// As in Consul, the counters start at their thresholds, so the first run's
// result is taken as it is, and a threshold of 0 or 1 means no dampening.
type dampener struct {
	successBeforePassing   int
	failuresBeforeWarning  int
	failuresBeforeCritical int

	successes int
	failures  int
	status    string
}

// newDampener returns a dampener whose status is initial (critical when
// empty) with the given thresholds; failuresBeforeWarning 0 defaults to
// failuresBeforeCritical.
func newDampener(initial string, successBeforePassing, failuresBeforeWarning, failuresBeforeCritical int) *dampener {
	if initial == "" {
		initial = catalog.StatusCritical
	}
	if failuresBeforeWarning <= 0 {
		failuresBeforeWarning = failuresBeforeCritical
	}
	return &dampener{
		successBeforePassing:   successBeforePassing,
		failuresBeforeWarning:  failuresBeforeWarning,
		failuresBeforeCritical: failuresBeforeCritical,
		successes:              successBeforePassing,
		failures:               failuresBeforeCritical,
		status:                 initial,
	}
}

// next feeds one raw result (passing, warning or critical; anything else
// counts as critical) and returns the status to report.
func (d *dampener) next(raw string) string {
	switch raw {
	case catalog.StatusPassing, catalog.StatusWarning:
		d.successes++
		d.failures = 0
		if d.successes >= d.successBeforePassing {
			d.status = raw
		}
	default:
		d.failures++
		d.successes = 0
		switch {
		case d.failures >= d.failuresBeforeCritical:
			d.status = catalog.StatusCritical
		case d.failures >= d.failuresBeforeWarning:
			d.status = catalog.StatusWarning
		}
	}
	return d.status
}
