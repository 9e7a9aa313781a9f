package main

import (
	"context"
	"fmt"
)

// tailSpecs are the servers of the tail phase: the baseline and discod
// with the Go runtime's garbage collector and scheduler varied, to show
// where the p99 latency at a fixed rate comes from.
func tailSpecs(members int) []serverSpec {
	variants := []struct {
		mode, label string
		env         []string
	}{
		{"hosts", "", nil},
		{"hosts", "GOGC=off", []string{"GOGC=off", "GOMEMLIMIT=3GiB"}},
		{"hosts", "GOGC=400", []string{"GOGC=400"}},
		{"hosts", "GOMAXPROCS=1", []string{"GOMAXPROCS=1"}},
		{"consulnode", "", nil},
		{"consulnode", "GOGC=400", []string{"GOGC=400"}},
		{"miekg", "", nil},
	}
	var specs []serverSpec
	for i, v := range variants {
		name := v.mode
		if v.label != "" {
			name += " " + v.label
		}
		specs = append(specs, serverSpec{Name: name, Mode: v.mode, Chain: "bare", Addr: addr(byte(40 + i)), Port: dnsPort, Members: members, Env: v.env})
	}
	return specs
}

// phaseTail measures p99 at the fixed rate with GC and scheduling varied.
func phaseTail(ctx context.Context, c config, bin, out string, rep *report, res *results, progress func(string)) error {
	specs := tailSpecs(c.members)
	progress(fmt.Sprintf("tail: %d servers, %d rounds", len(specs), c.tailRounds))
	servers, queries, err := prepare(ctx, bin, out, specs, c.members)
	if err != nil {
		return err
	}
	defer func() { _ = servers.stop() }()
	l := c.rateLoad
	l.Kind = "tail"
	l.Duration = c.chainDur
	got, err := rounds(ctx, servers, queries, l, c.tailRounds, progress)
	res.Samples = append(res.Samples, got...)
	if err != nil {
		return err
	}
	if err := servers.stop(); err != nil {
		return err
	}
	rep.Printf("## Where the p99 tail comes from — fixed rate %d q/s, %d interleaved rounds of %s\n\n", c.rate, c.tailRounds, c.chainDur)
	rep.Printf("Same servers with the Go runtime varied: `GOGC=off` (with GOMEMLIMIT=3GiB as a safety net: no collection in practice), `GOGC=400` (a collection a quarter as often), `GOMAXPROCS=1` (no second P to contend with dnsperf for the two CPUs). Medians over rounds; the p99 ratio is against plain `hosts`, per round.\n\n")
	var rows [][]string
	for _, sp := range specs {
		s := pick(got, sp.Name, "tail", 0)
		r := roundRatios(got, "tail", sp.Name, "hosts", 0, mP99)
		res.Ratios = append(res.Ratios, r)
		rows = append(rows, []string{sp.Name, f(median(s, metric{"", func(x sample) float64 { return x.P50US }}), 0), f(median(s, mP99), 0),
			f(median(s, metric{"", func(x sample) float64 { return x.P999US }}), 0), f(r.Median, 2),
			f(median(s, metric{"", func(x sample) float64 { return float64(x.Runtime.GCs) }}), 0),
			f(median(s, metric{"", func(x sample) float64 { return x.Runtime.GCPauseMaxUS }}), 0),
			f(median(s, metric{"", func(x sample) float64 { return 100 * x.Runtime.GCCPUFraction }}), 1),
			f(median(s, metric{"", func(x sample) float64 { return x.Runtime.SchedP99US }}), 0),
			f(median(s, mCPU), 2)})
	}
	rep.Table([]string{"server", "p50 µs", "p99 µs", "p99.9 µs", "p99 / hosts", "GCs/run", "GC pause max µs", "GC CPU % of user+GC", "sched p99 µs", "CPU µs/query"}, rows)
	return nil
}
