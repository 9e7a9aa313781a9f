package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/discod/discod/bench/internal/procstat"
)

// The beside phase measures DNS on a real `discod agent` (its default
// Corefile, as users run it) beside the catalog-at-scale loads of issue
// #13, as ratios to quiet rounds on the same agent in the same run:
//
//   - checks: -beside-checks HTTP checks, two to a service (10 s
//     interval, as BenchmarkHTTPChecks1000), registered through the
//     agent's HTTP API against an HTTP server this process runs on
//     127.0.11.2; quiet = deregistered;
//   - blocked: -beside-blocked blocking reads of /v1/catalog/services held
//     on the agent by a separate process (dnsbench hold), re-issued after
//     each wake-up as Consul's clients do, with a catalog change every
//     second that wakes them all; quiet = none held;
//   - gossip-N: the agent joined by a services-mode cluster of N agents
//     (gossipbench -serve-beside, a process of its own) holding
//     -beside-catalog instances; rows at rest and during a rolling deploy
//     at -beside-deploy-rate; quiet = the cluster stopped (in round 1,
//     before the agent ever joined; later, after the cluster left).
//
// Each scenario runs its rounds interleaved: quiet, loaded, quiet, loaded
// .... A row is: the scenario's load alone for -beside-idle (the agent's
// CPU under it), then dnsperf at saturation and at -beside-rate q/s with
// p99, over a query file of the agent's own node and service names.

// besideRow is one measured row of the beside phase: the agent's own
// figures around the row's DNS runs.
type besideRow struct {
	Scenario string `json:"scenario"`
	Row      string `json:"row"` // quiet, loaded, rest or deploy
	Round    int    `json:"round"`
	// IdleCPUMsPerS is the agent's CPU time per second over the idle
	// window: the scenario's load without DNS.
	IdleCPUMsPerS float64 `json:"idle_cpu_ms_per_s"`
	RSSMiB        float64 `json:"rss_mib"`
	// Over the whole row (idle window and both DNS runs), from the
	// agent's metrics: blocking-read wake-ups, records deltas applied
	// (changes from other agents), runs of its own checks.
	Wakeups   float64 `json:"wakeups"`
	Applied   float64 `json:"applied"`
	CheckRuns float64 `json:"check_runs"`
	Seconds   float64 `json:"seconds"`
	// At the row's start: blocking reads held, service instances in the
	// agent's catalog, members alive.
	Blocked   float64 `json:"blocked"`
	Instances float64 `json:"instances"`
	// Extra holds a scenario's own figures (the gossip deploy's changes
	// published and their rate).
	Extra map[string]float64 `json:"extra,omitempty"`
}

// besideRun is the state of one beside phase.
type besideRun struct {
	c        config
	bin      string
	agent    *besideAgent
	queries  string
	samples  []sample
	rows     []besideRow
	warnings []string
	progress func(string)
}

// phaseBeside runs the beside phase's scenarios on one agent.
func phaseBeside(ctx context.Context, c config, bin string, rep *report, res *results, progress func(string)) error {
	b := c.beside
	dir, err := os.MkdirTemp("", "dnsbench-beside-")
	if err != nil {
		return fmt.Errorf("beside: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	queries := filepath.Join(dir, "queries.txt")
	if err := os.WriteFile(queries, []byte(besideNode+".node.consul A\n"+besideService+".service.consul A\n"), 0o600); err != nil {
		return fmt.Errorf("beside: query file: %w", err)
	}
	progress(fmt.Sprintf("beside: discod agent on %s; %d rounds of %s a run; p99 at %d q/s", besideAgentAddr, b.rounds, b.duration, b.rate))
	agent, err := startBesideAgent(ctx, bin)
	if err != nil {
		return fmt.Errorf("beside: %w", err)
	}
	r := &besideRun{c: c, bin: bin, agent: agent, queries: queries, progress: progress}
	defer func() {
		res.Samples = append(res.Samples, r.samples...)
		res.Beside = append(res.Beside, r.rows...)
		_ = agent.srv.stop()
	}()
	if err := warmUp(ctx, fleet{agent.srv}, queries); err != nil {
		return fmt.Errorf("beside: %w", err)
	}
	if b.scenarios["checks"] {
		err = errors.Join(err, r.scenChecks(ctx))
	}
	if err == nil && b.scenarios["blocked"] {
		err = errors.Join(err, r.scenBlocked(ctx))
	}
	if err == nil && b.scenarios["gossip"] {
		for _, n := range b.sizes {
			if err = r.scenGossip(ctx, n); err != nil {
				break
			}
		}
	}
	reportBeside(c, r.samples, r.rows, r.warnings, rep, res)
	if err != nil {
		return fmt.Errorf("beside: %w", err)
	}
	if err := agent.srv.stop(); err != nil {
		return fmt.Errorf("beside: %w", err)
	}
	return nil
}

// besideKind is the sample kind of a row's DNS run: "checks/quiet/max".
func besideKind(scenario, row, load string) string { return scenario + "/" + row + "/" + load }

// measureRow measures one row: the load alone for the idle window, then
// dnsperf at saturation and at the fixed rate. The row it returns is
// valid until the next row is measured.
func (r *besideRun) measureRow(ctx context.Context, scenario, row string, round int) (*besideRow, error) {
	b := r.c.beside
	pid := r.agent.srv.pid()
	br := besideRow{Scenario: scenario, Row: row, Round: round}
	m0, err := r.agent.metrics(ctx)
	if err != nil {
		return nil, err
	}
	br.Blocked = m0.sum("discod_http_blocked_requests")
	br.Instances = m0.sum("discod_catalog_instances")
	t0 := time.Now()
	u0, s0, err := procstat.CPUTime(pid)
	if err != nil {
		return nil, err
	}
	select {
	case <-time.After(b.idle): // the measurement window
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	u1, s1, err := procstat.CPUTime(pid)
	if err != nil {
		return nil, err
	}
	br.IdleCPUMsPerS = float64((u1-u0)+(s1-s0)) / float64(time.Millisecond) / time.Since(t0).Seconds()
	maxL := r.c.maxLoad
	maxL.Duration = b.duration
	rateL := r.c.rateLoad
	rateL.Duration, rateL.QPS = b.duration, b.rate
	var line string
	for _, l := range []load{maxL, rateL} {
		kind := l.Kind
		l.Kind = besideKind(scenario, row, kind)
		smp, err := measure(ctx, r.agent.srv, r.queries, l, round)
		if err != nil {
			return nil, fmt.Errorf("%s %s round %d: %w", scenario, row, round, err)
		}
		r.samples = append(r.samples, smp)
		if kind == "max" {
			line += fmt.Sprintf("%7.0f qps  cpu %5.2f us/q", smp.QPS, smp.CPUPerQueryUS)
		} else {
			line += fmt.Sprintf("  p99 %6.0f us @ %d", smp.P99US, b.rate)
		}
	}
	m1, err := r.agent.metrics(ctx)
	if err != nil {
		return nil, err
	}
	rss, err := procstat.RSS(pid)
	if err != nil {
		return nil, err
	}
	br.RSSMiB = float64(rss) / (1 << 20)
	br.Seconds = time.Since(t0).Seconds()
	br.Wakeups = m1.sum("discod_http_blocking_wakeups_total") - m0.sum("discod_http_blocking_wakeups_total")
	br.Applied = m1.sum("discod_records_events_total", `event="applied"`) - m0.sum("discod_records_events_total", `event="applied"`)
	br.CheckRuns = m1.sum("discod_check_runs_total") - m0.sum("discod_check_runs_total")
	r.progress(fmt.Sprintf("  round %d %-10s %-7s %s  idle cpu %6.1f ms/s  rss %5.1f MiB  wakeups %.0f  applied %.0f  check runs %.0f",
		round, scenario, row, line, br.IdleCPUMsPerS, br.RSSMiB, br.Wakeups, br.Applied, br.CheckRuns))
	r.rows = append(r.rows, br)
	return &r.rows[len(r.rows)-1], nil
}
