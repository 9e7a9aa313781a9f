package main

import (
	"context"
	"fmt"
	"slices"
)

// tailSpecs are the servers of the tail phase: the baseline and discod
// with the Go runtime's garbage collector and scheduler varied, to show
// where the p99 latency at a fixed rate comes from; with agent, also the
// shipped agent (the shipped phase's 10,000 instances; phaseTail renders
// each agent row's Corefile for its address and puts it after
// "-corefile") and the variants that tell its tail apart: the bare chain
// with those instances, both without the stack reserve, and the agent
// at Go's default GC target (GOGC=100; discod runs with 400, corefile/gc.go).
func tailSpecs(members int, agent bool) []serverSpec {
	off := []string{"-stackreserve", "off"}
	variants := []struct {
		mode, chain, label string
		instances          int
		env, extra         []string
	}{
		{"hosts", "bare", "", 0, nil, nil},
		{"hosts", "bare", "GOGC=off", 0, []string{"GOGC=off", "GOMEMLIMIT=3GiB"}, nil},
		{"hosts", "bare", "GOGC=400", 0, []string{"GOGC=400"}, nil},
		{"hosts", "bare", "GOMAXPROCS=1", 0, []string{"GOMAXPROCS=1"}, nil},
		{"consulnode", "bare", "", 0, nil, nil},
		{"consulnode", "bare", "GOGC=100", 0, []string{"GOGC=100"}, nil},
		{"miekg", "bare", "", 0, nil, nil},
	}
	if agent {
		cf := []string{"-corefile", ""}
		variants = append(variants, []struct {
			mode, chain, label string
			instances          int
			env, extra         []string
		}{
			{"consulnode", "bare", "no stack reserve", 0, nil, off},
			{"consulnode", "bare", "10,000 instances", shippedInstances, nil, nil},
			{"agent", "file", "", shippedInstances, nil, slices.Clone(cf)},
			{"agent", "file", "no stack reserve", shippedInstances, nil, append(slices.Clone(cf), off...)},
			{"agent", "file", "GOGC=100", shippedInstances, []string{"GOGC=100"}, slices.Clone(cf)},
		}...)
	}
	var specs []serverSpec
	for i, v := range variants {
		name, mode := v.mode, v.mode
		if mode == "agent" {
			mode = "consulnode"
		}
		if v.label != "" {
			name += " " + v.label
		}
		specs = append(specs, serverSpec{Name: name, Mode: mode, Chain: v.chain, Addr: addr(byte(40 + i)), Port: dnsPort,
			Members: members, Instances: v.instances, Env: v.env, Extra: v.extra})
	}
	return specs
}

// phaseTail measures p99 at the fixed rate with GC and scheduling varied.
func phaseTail(ctx context.Context, c config, bin, out string, rep *report, res *results, progress func(string)) error {
	specs := tailSpecs(c.members, c.tailAgent)
	for i := range specs {
		// An agent row's Corefile binds its own address.
		if len(specs[i].Extra) >= 2 && specs[i].Extra[0] == "-corefile" {
			p, err := renderAgentCorefile(ctx, bin, out, fmt.Sprintf("tail-%d", i), specs[i].Addr.String())
			if err != nil {
				return err
			}
			specs[i].Extra[1] = p
		}
	}
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
	rep.Printf("Same servers with the Go runtime varied: `GOGC=off` (with GOMEMLIMIT=3GiB as a safety net: no collection in practice), `GOGC=400` (a collection a quarter as often, what discod's servers run with: corefile/gc.go), `GOGC=100` on discod's servers (Go's default, as before that), `GOMAXPROCS=1` (no second P to contend with dnsperf for the two CPUs). With -tail-agent: `agent` is the shipped agent (the Corefile `discod corefile` renders, 10,000 instances), beside the bare chain with the same instances and both without the stack reserve. Medians over rounds; the p99 ratio is against plain `hosts`, per round.\n\n")
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
