package checks

import (
	"context"
	"fmt"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// aliasUnknown is the output of alias checks when the Runner has no
// Config.AliasStatus.
const aliasUnknown = "alias target unknown"

// runAlias evaluates an alias check until ctx ends: at once, then whenever
// Config.AliasChanged signals (or every second without it), reporting only
// changes.
func (r *Runner) runAlias(ctx context.Context, c *running) {
	var timer *time.Timer
	if r.cfg.AliasChanged == nil {
		timer = time.NewTimer(r.aliasEvery)
		defer timer.Stop()
	}
	lastStatus, lastOutput := "", ""
	for {
		var changed <-chan struct{}
		var tick <-chan time.Time
		if r.cfg.AliasChanged != nil {
			changed = r.cfg.AliasChanged() // before reading: no change is missed
		} else {
			tick = timer.C
		}
		status, output := r.aliasResult(&c.def)
		if ctx.Err() != nil {
			return
		}
		if status != lastStatus || output != lastOutput {
			lastStatus, lastOutput = status, output
			r.cfg.Result(c.def.ID, status, capOutput(output, c.def.OutputMaxSize))
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-tick:
			timer.Reset(r.aliasEvery)
		}
	}
}

// aliasResult returns an alias check's status and output, with Consul's
// texts: the target's aggregated status, maintenance counting as critical.
func (r *Runner) aliasResult(def *servicedef.Check) (string, string) {
	if r.cfg.AliasStatus == nil {
		return catalog.StatusCritical, aliasUnknown
	}
	status, ok := r.cfg.AliasStatus(def.AliasService, def.AliasNode)
	if !ok {
		if def.AliasService != "" {
			return catalog.StatusCritical, fmt.Sprintf("Service %s could not be found on node %s", def.AliasService, nodeOrLocal(def.AliasNode))
		}
		return catalog.StatusCritical, fmt.Sprintf("Node %s could not be found", def.AliasNode)
	}
	switch status {
	case catalog.StatusPassing:
		return catalog.StatusPassing, "All checks passing."
	case catalog.StatusWarning:
		return catalog.StatusWarning, "Aggregated status: warning"
	case catalog.StatusMaintenance:
		return catalog.StatusCritical, "Aggregated status: maintenance"
	}
	return catalog.StatusCritical, "Aggregated status: critical"
}

// nodeOrLocal names the node of an alias target.
func nodeOrLocal(node string) string {
	if node == "" {
		return "(local)"
	}
	return node
}
