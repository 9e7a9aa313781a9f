package checks

import (
	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

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

// dampenerFor returns the dampener of a normalized check
// (servicedef.Check.Normalize: the initial status and
// failures_before_warning set).
func dampenerFor(def *servicedef.Check) *dampener {
	return &dampener{
		successBeforePassing:   def.SuccessBeforePassing,
		failuresBeforeWarning:  def.FailuresBeforeWarning,
		failuresBeforeCritical: def.FailuresBeforeCritical,
		successes:              def.SuccessBeforePassing,
		failures:               def.FailuresBeforeCritical,
		status:                 def.Status,
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
