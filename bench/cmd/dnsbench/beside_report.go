package main

import (
	"slices"

	"github.com/discod/discod/bench/internal/stats"
)

// besideScenarioRows returns the scenarios in run order and, for each,
// its rows in order (quiet first), as the rows were measured.
func besideScenarioRows(rows []besideRow) (order []string, byScen map[string][]string) {
	byScen = map[string][]string{}
	for _, r := range rows {
		if _, ok := byScen[r.Scenario]; !ok {
			order = append(order, r.Scenario)
		}
		if !slices.Contains(byScen[r.Scenario], r.Row) {
			byScen[r.Scenario] = append(byScen[r.Scenario], r.Row)
		}
	}
	return order, byScen
}

// besideRatios are the per-round ratios loaded/quiet of one loaded row:
// QPS and CPU per query at saturation, p99 at the fixed rate.
func besideRatios(samples []sample, scenario, row string) []ratio {
	name := "[" + scenario + "] " + row + " / quiet"
	out := []ratio{
		kindRatios(samples, besideKind(scenario, row, "max"), "agent", besideKind(scenario, "quiet", "max"), "agent", mQPS),
		kindRatios(samples, besideKind(scenario, row, "max"), "agent", besideKind(scenario, "quiet", "max"), "agent", mCPU),
		kindRatios(samples, besideKind(scenario, row, "rate"), "agent", besideKind(scenario, "quiet", "rate"), "agent", mP99),
	}
	for i := range out {
		out[i].Name = name
	}
	return out
}

// rowMedian is the median of one figure of a scenario's row over rounds.
func rowMedian(rows []besideRow, scenario, row string, get func(besideRow) float64) float64 {
	var xs []float64
	for _, r := range rows {
		if r.Scenario == scenario && r.Row == row {
			xs = append(xs, get(r))
		}
	}
	if len(xs) == 0 {
		return 0
	}
	return stats.Median(xs)
}

// reportBeside writes the beside phase's tables and ratios.
func reportBeside(c config, samples []sample, rows []besideRow, warnings []string, rep *report, res *results) {
	b := c.beside
	if len(rows) == 0 {
		return
	}
	rep.Printf("## DNS beside the catalog at scale — `discod agent` (default Corefile) under load vs quiet, %d interleaved rounds of %s\n\n", b.rounds, b.duration)
	rep.Printf("One `discod agent -node %s -bind %s -client %s` (DNS on 8600); queries alternate `%s.node.consul A` and `%s.service.consul A` (its own node and service). "+
		"Each row: the load alone for %s (the agent's CPU under it, without DNS), then saturation (`dnsperf -c %d -T %d -q %d`) and p99 at %d q/s (`-Q %d -c %d -T %d -v`; "+
		"below the kit's 20 k q/s, so that the loaded agent, sharing the cores with its load and dnsperf, can hold it). "+
		"checks: %d HTTP checks, two to a service, every %s, against an HTTP server on %s; quiet = deregistered. "+
		"blocked: %d blocking reads of `/v1/catalog/services?index=N&wait=5m` held by a separate process (`dnsbench hold`), re-issued after each wake-up, and a service registered or deregistered every second; quiet = none held. "+
		"gossip-N: a services-mode cluster of N agents (`gossipbench -serve-beside`, its own process) holding %d instances joins the agent; rest, then a rolling deploy at %.0f changes/s; quiet = the cluster stopped (round 1: before the agent ever joined).\n\n",
		besideNode, besideAgentAddr, besideAgentAddr, besideNode, besideService, b.idle,
		c.maxLoad.Clients, c.maxLoad.Threads, c.maxLoad.Outstanding, b.rate, b.rate, c.rateLoad.Clients, c.rateLoad.Threads,
		b.checks, besideCheckInterval, besideTargetAddr, b.blocked, b.catalog, b.deployRate)
	order, byScen := besideScenarioRows(rows)
	var tab [][]string
	for _, sc := range order {
		for _, row := range byScen[sc] {
			sat := pick(samples, "agent", besideKind(sc, row, "max"), 0)
			lat := pick(samples, "agent", besideKind(sc, row, "rate"), 0)
			med := func(get func(besideRow) float64, d int) string { return f(rowMedian(rows, sc, row, get), d) }
			extra := func(k string) func(besideRow) float64 { return func(r besideRow) float64 { return r.Extra[k] } }
			deployed := "–"
			if row == "deploy" {
				deployed = med(extra("deployed"), 0) + " @ " + med(extra("deploy_per_s"), 0) + "/s"
			}
			tab = append(tab, []string{sc, row, f(median(sat, mQPS), 0), f(median(sat, mCPU), 2), f(median(lat, mP99), 0),
				med(func(r besideRow) float64 { return r.IdleCPUMsPerS }, 1), med(func(r besideRow) float64 { return r.RSSMiB }, 1),
				med(func(r besideRow) float64 { return r.Instances }, 0), med(func(r besideRow) float64 { return r.Blocked }, 0),
				med(func(r besideRow) float64 { return r.Wakeups / max(r.Seconds, 1e-9) }, 0),
				med(func(r besideRow) float64 { return r.Applied }, 0), deployed,
				med(func(r besideRow) float64 { return r.CheckRuns / max(r.Seconds, 1e-9) }, 1)})
		}
	}
	rep.Printf("Medians over rounds:\n\n")
	rep.Table([]string{"scenario", "row", "QPS", "CPU µs/query", "p99 µs", "agent CPU ms/s without DNS", "RSS MiB", "instances", "reads held",
		"wake-ups/s", "deltas applied", "changes published", "check runs/s"}, tab)
	if _, ok := byScen["blocked"]; ok && b.blocked > 0 {
		rss := func(row string) float64 {
			return rowMedian(rows, "blocked", row, func(r besideRow) float64 { return r.RSSMiB })
		}
		extra := func(k string) float64 {
			return rowMedian(rows, "blocked", "loaded", func(r besideRow) float64 { return r.Extra[k] })
		}
		rep.Printf("blocked: the agent's RSS grows by %.1f KiB per held read (loaded − quiet, medians); each change woke every read in %.1f ms "+
			"(first to last answer the holder saw, median over the changes of a row, median over rounds; the slowest %.1f ms), %.0f changes a row; the holder saw %.0f errors.\n\n",
			(rss("loaded")-rss("quiet"))*1024/float64(b.blocked), extra("all_woken_p50_ms"), extra("all_woken_max_ms"), extra("storms"), extra("holder_errors"))
	}
	var rr [][]string
	for _, sc := range order {
		for _, row := range byScen[sc] {
			if row == "quiet" {
				continue
			}
			for _, r := range besideRatios(samples, sc, row) {
				res.Ratios = append(res.Ratios, r)
				rr = append(rr, r.cells())
			}
		}
	}
	rep.Printf("Per-round ratios, loaded / quiet (no target: on two shared cores p99 moves ±50 %% a round):\n\n")
	rep.Table(ratioHeader, rr)
	for _, w := range warnings {
		rep.Printf("- WARNING: %s\n", w)
	}
	if len(warnings) > 0 {
		rep.Printf("\n")
	}
	rep.Printf("Deltas applied: records deltas from other agents the agent applied during the row (the cluster's changes reaching it); wake-ups: held reads answered because their result changed.\n\n")
}
