package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/discod/discod/bench/internal/plot"
)

// targetVerdict is one target of issue 6 and whether this run met it.
type targetVerdict struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Target string  `json:"target"`
	Met    bool    `json:"met"`
}

func (r *results) verdict(rep *report, name string, value float64, target string, met bool) {
	r.Targets = append(r.Targets, targetVerdict{name, value, target, met})
	word := "MET"
	if !met {
		word = "MISSED"
	}
	rep.Printf("- %s: %.3f (target %s) — **%s**\n", name, value, target, word)
}

// phaseCompare runs consulnode, hosts and miekg on the same names,
// interleaved, at saturation and at a fixed rate.
func phaseCompare(ctx context.Context, c config, bin, out string, rep *report, res *results, progress func(string)) error {
	specs := []serverSpec{
		{Name: "consulnode", Mode: "consulnode", Chain: "bare", Addr: addr(1), Port: dnsPort, Members: c.members},
		{Name: "hosts", Mode: "hosts", Chain: "bare", Addr: addr(2), Port: dnsPort, Members: c.members},
		{Name: "miekg", Mode: "miekg", Chain: "bare", Addr: addr(3), Port: dnsPort, Members: c.members},
	}
	if c.candidate != "" {
		specs = append(specs, serverSpec{Name: "candidate", Mode: "consulnode", Chain: "bare", Addr: addr(4), Port: dnsPort, Members: c.members, Bin: c.candidate, Env: c.candEnv})
	}
	progress(fmt.Sprintf("compare: %d members, %d rounds", c.members, c.rounds))
	servers, queries, err := prepare(ctx, bin, out, specs, c.members)
	if err != nil {
		return err
	}
	defer func() { _ = servers.stop() }()
	maxL := c.maxLoad
	maxL.Duration = c.duration
	sat, err := rounds(ctx, servers, queries, maxL, c.rounds, progress)
	res.Samples = append(res.Samples, sat...)
	if err != nil {
		return err
	}
	rateL := c.rateLoad
	rateL.Duration = c.duration
	lat, err := rounds(ctx, servers, queries, rateL, c.rounds, progress)
	res.Samples = append(res.Samples, lat...)
	if err != nil {
		return err
	}
	if c.profile != "" {
		if err := profileServers(ctx, servers, queries, c, progress); err != nil {
			return err
		}
	}
	if err := servers.stop(); err != nil {
		return err
	}

	rep.Printf("## consulnode vs hosts vs miekg — %d members, same chain (bind + backend), %d interleaved rounds of %s\n\n",
		c.members, c.rounds, c.duration)
	rep.Printf("Saturation (medians over rounds):\n\n")
	var rows [][]string
	for _, sp := range specs {
		s := pick(sat, sp.Name, "max", 0)
		rows = append(rows, []string{sp.Name, f(median(s, mQPS), 0), f(median(s, mMean), 0), f(median(s, mCPU), 2), f(median(s, mAllocs), 1),
			f(median(s, metric{"", func(x sample) float64 { return float64(x.Runtime.GCs) / c.duration.Seconds() }}), 1)})
	}
	rep.Table([]string{"server", "QPS", "mean latency µs", "CPU µs/query", "allocs/query (process)", "GCs/s"}, rows)

	rep.Printf("Fixed offered rate %d q/s (medians over rounds; latencies from every query of `dnsperf -v`; sched = goroutine scheduling latency inside the server, from runtime/metrics):\n\n", c.rate)
	rows = nil
	for _, sp := range specs {
		s := pick(lat, sp.Name, "rate", 0)
		rows = append(rows, []string{sp.Name, f(median(s, mQPS), 0), f(median(s, metric{"", func(x sample) float64 { return x.P50US }}), 0),
			f(median(s, mMean), 0), f(median(s, mP99), 0), f(median(s, metric{"", func(x sample) float64 { return x.P999US }}), 0),
			f(median(s, mCPU), 2),
			f(median(s, metric{"", func(x sample) float64 { return float64(x.Runtime.GCs) }}), 0),
			f(median(s, metric{"", func(x sample) float64 { return x.Runtime.GCPauseMaxUS }}), 0),
			f(median(s, metric{"", func(x sample) float64 { return x.Runtime.SchedP99US }}), 0)})
	}
	rep.Table([]string{"server", "QPS", "p50 µs", "mean µs", "p99 µs", "p99.9 µs", "CPU µs/query", "GCs/run", "GC pause max µs", "sched p99 µs"}, rows)

	rep.Printf("Per-round ratios (only interleaved rounds count):\n\n")
	ratios := []ratio{
		roundRatios(sat, "max", "consulnode", "hosts", 0, mQPS),
		roundRatios(sat, "max", "consulnode", "hosts", 0, mCPU),
		roundRatios(sat, "max", "consulnode", "miekg", 0, mQPS),
		roundRatios(sat, "max", "consulnode", "miekg", 0, mCPU),
		roundRatios(sat, "max", "hosts", "miekg", 0, mQPS),
		roundRatios(lat, "rate", "consulnode", "hosts", 0, mP99),
		roundRatios(lat, "rate", "consulnode", "hosts", 0, mCPU),
		roundRatios(lat, "rate", "consulnode", "miekg", 0, mP99),
	}
	for i := range ratios {
		if ratios[i].Metric == mP99.name || i >= 6 {
			ratios[i].Metric += fmt.Sprintf(" @%d q/s", c.rate)
		}
	}
	if c.candidate != "" {
		cand := []ratio{
			roundRatios(sat, "max", "candidate", "hosts", 0, mQPS),
			roundRatios(sat, "max", "candidate", "hosts", 0, mCPU),
			roundRatios(sat, "max", "candidate", "consulnode", 0, mQPS),
			roundRatios(sat, "max", "candidate", "consulnode", 0, mCPU),
			roundRatios(lat, "rate", "candidate", "hosts", 0, mP99),
		}
		cand[4].Metric += fmt.Sprintf(" @%d q/s", c.rate)
		ratios = append(ratios, cand...)
	}
	var rrows [][]string
	for _, r := range ratios {
		rrows = append(rrows, r.cells())
	}
	rep.Table(ratioHeader, rrows)
	res.Ratios = append(res.Ratios, ratios...)
	rep.Printf("Targets:\n\n")
	res.verdict(rep, "QPS consulnode/hosts (median of per-round ratios)", ratios[0].Median, "≥ 0.95", ratios[0].Median >= 0.95)
	res.verdict(rep, "CPU per query consulnode/hosts (median of per-round ratios)", ratios[1].Median, "≤ 1.05", ratios[1].Median <= 1.05)
	rep.Printf("\n")
	return nil
}

// warmUp sends one short burst to each server so the first measured run
// does not pay for page faults and heap growth.
func warmUp(ctx context.Context, servers fleet, queries string) error {
	for _, s := range servers {
		if _, err := measure(ctx, s, queries, load{Kind: "warmup", Duration: time.Second, Clients: 4, Threads: 1, QPS: 20000}, 0); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	return nil
}

// prepare writes the query file for members names into out, starts the
// servers of specs and warms them up. On success the caller stops the
// servers; on error none is left running.
func prepare(ctx context.Context, bin, out string, specs []serverSpec, members int) (fleet, string, error) {
	queries, err := writeQueries(out, members)
	if err != nil {
		return nil, "", err
	}
	servers, err := startFleet(ctx, bin, specs)
	if err != nil {
		return nil, "", err
	}
	if err := warmUp(ctx, servers, queries); err != nil {
		return nil, "", errors.Join(err, servers.stop())
	}
	return servers, queries, nil
}

// profileServers records, for each server, a CPU profile of a saturation
// run and an execution trace of a 2-second fixed-rate run.
func profileServers(ctx context.Context, servers fleet, queries string, c config, progress func(string)) error {
	if err := os.MkdirAll(c.profile, 0o755); err != nil {
		return fmt.Errorf("profile directory: %w", err)
	}
	for _, s := range servers {
		file := strings.ReplaceAll(s.spec.Name, "/", "_")
		prof := filepath.Join(c.profile, file+".cpu.pprof")
		if _, err := s.command(ctx, "cpuprofile "+prof); err != nil {
			return err
		}
		l := c.maxLoad
		l.Duration = c.duration
		if _, err := measure(ctx, s, queries, l, 0); err != nil {
			return err
		}
		if _, err := s.command(ctx, "stop"); err != nil {
			return err
		}
		tr := filepath.Join(c.profile, file+".trace")
		if _, err := s.command(ctx, "trace "+tr); err != nil {
			return err
		}
		rl := c.rateLoad
		rl.Duration = 2 * time.Second
		rl.Verbose = false
		if _, err := measure(ctx, s, queries, rl, 0); err != nil {
			return err
		}
		if _, err := s.command(ctx, "stop"); err != nil {
			return err
		}
		progress(fmt.Sprintf("  profiles: %s, %s", prof, tr))
	}
	return nil
}

// chainSpecs are the plugin chains measured in the chains phase.
func chainSpecs(members int) []serverSpec {
	pad := []string{"-stackpad", "14"}
	chains := []struct {
		mode, chain, suffix string
		extra               []string
	}{
		{"consulnode", "bare", "", nil},
		{"consulnode", "errors", "", nil},
		{"consulnode", "default", "", nil},
		{"consulnode", "default+ready", "", nil},
		{"consulnode", "default+health", "", nil},
		{"consulnode", "default+prometheus", "", nil},
		{"consulnode", "log", "", nil},
		{"hosts", "bare", "", nil},
		{"consulnode", "bare", " (16K stacks)", pad},
		{"hosts", "bare", " (16K stacks)", pad},
		{"consulnode", "bare", " (no stack reserve)", []string{"-stackreserve", "off"}},
		{"consulnode", "bare", " (+1,000 idle goroutines)", []string{"-idle", "1000"}},
		{"consulnode", "bare", " (+1,000 idle, no stack reserve)", []string{"-idle", "1000", "-stackreserve", "off"}},
	}
	var specs []serverSpec
	for i, ch := range chains {
		specs = append(specs, serverSpec{Name: ch.mode + "/" + ch.chain + ch.suffix, Mode: ch.mode, Chain: ch.chain,
			Addr: addr(byte(10 + i)), Port: dnsPort, Members: members, Extra: ch.extra})
	}
	return specs
}

// phaseChains measures what each plugin of discod's default Corefile
// costs, against the bare chain.
func phaseChains(ctx context.Context, c config, bin, out string, rep *report, res *results, progress func(string)) error {
	specs := chainSpecs(c.members)
	progress(fmt.Sprintf("chains: %d chains, %d rounds", len(specs), c.chainRounds))
	servers, queries, err := prepare(ctx, bin, out, specs, c.members)
	if err != nil {
		return err
	}
	defer func() { _ = servers.stop() }()
	l := c.maxLoad
	l.Duration = c.chainDur
	l.Kind = "chain"
	sat, err := rounds(ctx, servers, queries, l, c.chainRounds, progress)
	res.Samples = append(res.Samples, sat...)
	if err != nil {
		return err
	}
	if err := servers.stop(); err != nil {
		return err
	}
	rep.Printf("## Plugin chains — %d members, saturation, %d interleaved rounds of %s\n\n", c.members, c.chainRounds, c.chainDur)
	rep.Printf("`default` is discod's default Corefile as `corefile.Render(DefaultOptions())` writes it (bind, errors, consulnode with the reverse zones); " +
		"`+ready`, `+health`, `+prometheus` add the endpoint its option turns on; `log` is bind, errors, log. " +
		"`(16K stacks)` is a diagnostic: the server parks 200 goroutines with about 14 KiB of stack each, which raises the Go runtime's adaptive starting stack size, " +
		"so per-query goroutines no longer grow their stacks (see docs/PERFORMANCE.md). `(no stack reserve)` runs without corefile's reserve; `(+1,000 idle goroutines)` parks 1,000 shallow goroutines in the process first, as an agent with 1,000 checks or blocked HTTP reads has (the reserve follows them). Ratios are medians of per-round ratios against `consulnode/bare`.\n\n")
	base := "consulnode/bare"
	var rows [][]string
	for _, sp := range specs {
		s := pick(sat, sp.Name, "chain", 0)
		q := roundRatios(sat, "chain", sp.Name, base, 0, mQPS)
		cpu := roundRatios(sat, "chain", sp.Name, base, 0, mCPU)
		res.Ratios = append(res.Ratios, q, cpu)
		rows = append(rows, []string{sp.Name, f(median(s, mQPS), 0), f(median(s, mCPU), 2), f(median(s, mAllocs), 1),
			f(q.Median, 3), f(cpu.Median, 3), fmt.Sprintf("%+.2f", median(s, mCPU)-median(pick(sat, base, "chain", 0), mCPU))})
	}
	rep.Table([]string{"chain", "QPS", "CPU µs/query", "allocs/query", "QPS ratio", "CPU ratio", "CPU µs/query vs bare"}, rows)
	return nil
}

// phaseSweep measures QPS and p99 against the number of members and draws
// the chart.
func phaseSweep(ctx context.Context, c config, bin, out string, rep *report, res *results, progress func(string)) error {
	names := []string{"consulnode", "hosts", "miekg"}
	var all []sample
	for _, n := range c.sweep {
		specs := []serverSpec{
			{Name: "consulnode", Mode: "consulnode", Chain: "bare", Addr: addr(30), Port: dnsPort, Members: n},
			{Name: "hosts", Mode: "hosts", Chain: "bare", Addr: addr(31), Port: dnsPort, Members: n},
			{Name: "miekg", Mode: "miekg", Chain: "bare", Addr: addr(32), Port: dnsPort, Members: n},
		}
		queries, err := writeQueries(out, n)
		if err != nil {
			return err
		}
		progress(fmt.Sprintf("sweep: %d members, %d rounds", n, c.sweepRounds))
		servers, err := startFleet(ctx, bin, specs)
		if err != nil {
			return err
		}
		err = warmUp(ctx, servers, queries)
		for r := 1; r <= c.sweepRounds && err == nil; r++ {
			var got []sample
			l := c.maxLoad
			l.Duration = c.sweepDur
			got, err = rounds(ctx, servers, queries, l, 1, progress)
			all = append(all, renumber(got, r)...)
			if err != nil {
				break
			}
			rl := c.rateLoad
			rl.Duration = c.sweepDur
			got, err = rounds(ctx, servers, queries, rl, 1, progress)
			all = append(all, renumber(got, r)...)
		}
		err = errors.Join(err, servers.stop())
		if err != nil {
			res.Samples = append(res.Samples, all...)
			return err
		}
	}
	for i := range all {
		all[i].Kind = "sweep-" + all[i].Kind
	}
	res.Samples = append(res.Samples, all...)

	rep.Printf("## Members sweep — %d interleaved rounds of %s per size\n\n", c.sweepRounds, c.sweepDur)
	var rows [][]string
	xs := make([]float64, len(c.sweep))
	qps := make([][]float64, len(names))
	p99 := make([][]float64, len(names))
	cpu := make([][]float64, len(names))
	for i, n := range c.sweep {
		xs[i] = float64(n)
		row := []string{fmt.Sprint(n)}
		for j, name := range names {
			sat := pick(all, name, "sweep-max", n)
			lat := pick(all, name, "sweep-rate", n)
			qps[j] = append(qps[j], median(sat, mQPS))
			cpu[j] = append(cpu[j], median(sat, mCPU))
			p99[j] = append(p99[j], median(lat, mP99)/1000)
			row = append(row, f(median(sat, mQPS), 0), f(median(sat, mCPU), 2), f(median(lat, mP99), 0))
		}
		q := roundRatios(all, "sweep-max", "consulnode", "hosts", n, mQPS)
		res.Ratios = append(res.Ratios, q)
		row = append(row, f(q.Median, 3))
		rows = append(rows, row)
	}
	rep.Table([]string{"members", "consulnode QPS", "CPU µs/q", "p99 µs", "hosts QPS", "CPU µs/q", "p99 µs", "miekg QPS", "CPU µs/q", "p99 µs", "QPS consulnode/hosts"}, rows)

	png := c.png
	if png == "" {
		png = filepath.Join(out, "perf-members.png")
	}
	var qs, ps, cs []plot.Series
	for j, name := range names {
		qs = append(qs, plot.Series{Name: name, Color: plot.Palette[j], X: xs, Y: qps[j]})
		ps = append(ps, plot.Series{Name: name, Color: plot.Palette[j], X: xs, Y: p99[j]})
		cs = append(cs, plot.Series{Name: name, Color: plot.Palette[j], X: xs, Y: cpu[j]})
	}
	fh, err := os.Create(png)
	if err != nil {
		return fmt.Errorf("members chart: %w", err)
	}
	err = plot.Render(fh, 1500, 480,
		plot.Panel{Title: "QPS at saturation", XLabel: "members", YLabel: "queries/s", LogX: true, Series: qs},
		plot.Panel{Title: fmt.Sprintf("p99 latency at %d q/s", c.rate), XLabel: "members", YLabel: "ms", LogX: true, Series: ps},
		plot.Panel{Title: "server CPU per query", XLabel: "members", YLabel: "us", LogX: true, Series: cs},
	)
	err = errors.Join(err, fh.Close())
	if err != nil {
		return fmt.Errorf("members chart: %w", err)
	}
	rep.Printf("Chart: %s\n\n", png)
	return nil
}

// renumber sets the round of samples to r.
func renumber(s []sample, r int) []sample {
	for i := range s {
		s[i].Round = r
	}
	return s
}
