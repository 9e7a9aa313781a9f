package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/discod/discod/bench/internal/plot"
)

// The shipped phase measures `discod agent` as users run it: the Corefile
// `discod corefile` renders from the agent's defaults (bind, ready,
// health, errors, consulnode with the reverse zones and its TTLs), run by
// the embedded CoreDNS over a catalog store filled the way gossip fills
// it. Beside it, interleaved in every round: CoreDNS with only bind +
// hosts answering the same names, the bare miekg/dns server, and unbound
// with one thread and local-data. The same agent then answers service
// lookups: web (3 instances) A and SRV, big (40 instances) A over UDP,
// truncated, and over TCP, the client's retry; and a second agent whose
// datacenter holds 10 instances instead of 10,000 answers web A.

// shippedJob is one kind of run of the shipped phase: a load and a query
// file against some of the servers.
type shippedJob struct {
	kind    string // sample kind, e.g. "node-max"
	query   string // a query-file key: "node" (every member) or one "name type" line
	load    load
	servers []string
}

// shippedInstances is the agent's service data set: 10,000 instances in
// the datacenter (web and big among them); agent-10 has 10.
const shippedInstances = 10000

// shippedSpecs are the servers of the shipped phase; corefile is the
// rendered agent Corefile for each agent, by name.
func shippedSpecs(c config, corefiles map[string]string) []serverSpec {
	m := c.members
	specs := []serverSpec{
		{Name: "agent", Mode: "consulnode", Chain: "file", Addr: addr(40), Port: dnsPort, Members: m, Instances: shippedInstances,
			Extra: []string{"-corefile", corefiles["agent"]}},
		{Name: "agent-10", Mode: "consulnode", Chain: "file", Addr: addr(41), Port: dnsPort, Members: m, Instances: 10,
			Extra: []string{"-corefile", corefiles["agent-10"]}},
		{Name: "consulnode/bare", Mode: "consulnode", Chain: "bare", Addr: addr(42), Port: dnsPort, Members: m, Instances: shippedInstances},
		{Name: "hosts", Mode: "hosts", Chain: "bare", Addr: addr(43), Port: dnsPort, Members: m, Instances: 43},
		{Name: "miekg", Mode: "miekg", Chain: "bare", Addr: addr(44), Port: dnsPort, Members: m, Instances: 43},
		{Name: "unbound", Mode: "unbound", Addr: addr(45), Port: dnsPort, Members: m, Instances: 43},
	}
	if c.candidate != "" {
		specs = append(specs, serverSpec{Name: candidateAgent, Mode: "consulnode", Chain: "file", Addr: addr(46), Port: dnsPort, Members: m,
			Instances: shippedInstances, Extra: []string{"-corefile", corefiles[candidateAgent]}, Bin: c.candidate, Env: c.candEnv})
	}
	return specs
}

// candidateAgent is the shipped phase's name for the -candidate build
// running the agent's Corefile; it answers beside agent in the node and
// service runs.
const candidateAgent = "agent-candidate"

// shippedAgentAddrs is where each agent of the shipped phase serves.
var shippedAgentAddrs = map[string]byte{"agent": 40, "agent-10": 41, candidateAgent: 46}

// shippedJobs are the runs of one round, in order.
func shippedJobs(c config) []shippedJob {
	maxL := c.maxLoad
	maxL.Duration = c.duration
	rateL := c.rateLoad
	rateL.Duration = c.duration
	tcpL := maxL
	tcpL.TCP = true
	anchors := []string{"hosts", "miekg", "unbound"}
	agents := []string{"agent"}
	if c.candidate != "" {
		agents = append(agents, candidateAgent)
	}
	with := func(first ...string) []string { return append(append(slices.Clone(agents), first...), anchors...) }
	return []shippedJob{
		{"node-max", "node", maxL, with("consulnode/bare")},
		{"node-rate", "node", rateL, with()},
		{"svca-max", "web.service.consul A", maxL, with("agent-10")},
		{"svca-rate", "web.service.consul A", rateL, with()},
		{"srv-max", "web.service.consul SRV", maxL, append(slices.Clone(agents), "miekg", "unbound")},
		{"srv-rate", "web.service.consul SRV", rateL, append(slices.Clone(agents), "miekg", "unbound")},
		{"big-udp-max", "big.service.consul A", maxL, []string{"agent", "miekg"}},
		{"big-tcp-max", "big.service.consul A", tcpL, []string{"agent", "miekg"}},
	}
}

// renderAgentCorefile writes the Corefile `discod corefile` renders for an
// agent serving DNS on a (ready and health on its default ports there)
// into dir and returns its path.
func renderAgentCorefile(ctx context.Context, bin, dir, name string, a string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "discod"), "corefile", "-bind", a, "-client", a, "-dns-port", strconv.Itoa(dnsPort))
	outp, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("render the agent's Corefile (discod corefile): %w", err)
	}
	path := filepath.Join(dir, name+".Corefile")
	if err := os.WriteFile(path, outp, 0o600); err != nil {
		return "", fmt.Errorf("write the agent's Corefile: %w", err)
	}
	return path, nil
}

// phaseShipped runs the shipped-agent comparison and the service lookups.
func phaseShipped(ctx context.Context, c config, bin, out string, rep *report, res *results, progress func(string)) error {
	if _, err := unboundPath(); err != nil {
		if os.Getenv("CI") == "true" {
			return fmt.Errorf("shipped phase: %w; CI must install it (.ci/run installs Debian's unbound)", err)
		}
		progress(fmt.Sprintf("shipped: SKIP: %v", err))
		rep.Printf("## The shipped agent\n\nSkipped: %v.\n\n", err)
		return nil
	}
	corefiles := map[string]string{}
	for name, last := range shippedAgentAddrs {
		if name == candidateAgent && c.candidate == "" {
			continue
		}
		p, err := renderAgentCorefile(ctx, bin, out, name, addr(last).String())
		if err != nil {
			return err
		}
		corefiles[name] = p
	}
	specs := shippedSpecs(c, corefiles)
	jobs := shippedJobs(c)
	files := map[string]string{}
	for _, j := range jobs {
		if _, ok := files[j.query]; ok {
			continue
		}
		var p string
		var err error
		if j.query == "node" {
			p, err = writeQueries(out, c.members)
		} else {
			p = filepath.Join(out, "queries-"+strconv.Itoa(len(files))+".txt")
			err = os.WriteFile(p, []byte(j.query+"\n"), 0o600)
		}
		if err != nil {
			return fmt.Errorf("query file: %w", err)
		}
		files[j.query] = p
	}
	progress(fmt.Sprintf("shipped: %d servers, %d runs a round, %d rounds", len(specs), countRuns(jobs), c.rounds))
	servers, err := startFleet(ctx, bin, specs)
	if err != nil {
		return err
	}
	defer func() { _ = servers.stop() }()
	byName := map[string]*server{}
	for _, s := range servers {
		byName[s.spec.Name] = s
	}
	if err := warmUp(ctx, servers, files["node"]); err != nil {
		return err
	}
	var all []sample
	for r := 1; r <= c.rounds; r++ {
		for _, j := range jobs {
			for _, name := range j.servers {
				s := byName[name]
				l := j.load
				l.Kind = j.kind
				smp, err := measure(ctx, s, files[j.query], l, r)
				if err != nil {
					res.Samples = append(res.Samples, all...)
					return err
				}
				progress(fmt.Sprintf("  round %d %-11s %-16s %9.0f qps  p99 %6.0f us  cpu %5.2f us/q  allocs %5.1f/q  stack start %d B",
					r, j.kind, name, smp.QPS, smp.P99US, smp.CPUPerQueryUS, smp.AllocsPerQuery, smp.Runtime.StackStartBytes))
				all = append(all, smp)
			}
		}
	}
	res.Samples = append(res.Samples, all...)
	if c.profile != "" {
		if err := profileServers(ctx, fleet{byName["agent"], byName["consulnode/bare"], byName["hosts"]}, files["node"], c, progress); err != nil {
			return err
		}
	}
	if err := servers.stop(); err != nil {
		return err
	}
	reportShipped(c, jobs, all, rep, res)
	return drawShipped(c, out, all, rep)
}

func countRuns(jobs []shippedJob) int {
	n := 0
	for _, j := range jobs {
		n += len(j.servers)
	}
	return n
}

// kindRatios is roundRatios across two kinds: a's metric in kind ka over
// b's in kind kb, round by round.
func kindRatios(samples []sample, ka, a, kb, b string, m metric) ratio {
	byRound := map[int]float64{}
	for _, s := range pick(samples, b, kb, 0) {
		byRound[s.Round] = m.get(s)
	}
	r := ratio{Name: a + " " + ka + " / " + b + " " + kb, Metric: m.name}
	for _, s := range pick(samples, a, ka, 0) {
		if d, ok := byRound[s.Round]; ok && d != 0 {
			r.PerRound = append(r.PerRound, m.get(s)/d)
		}
	}
	return r.summarise()
}

// reportShipped writes the shipped phase's tables, ratios and verdicts.
func reportShipped(c config, jobs []shippedJob, all []sample, rep *report, res *results) {
	rep.Printf("## The shipped agent — `discod agent`'s default Corefile vs CoreDNS bind + hosts, miekg and unbound; service lookups — %d rounds of %s\n\n", c.rounds, c.duration)
	rep.Printf("`agent` runs the Corefile `discod corefile` renders (bind, ready, health, errors, consulnode with the reverse zones), %d members, %d service instances; "+
		"`agent-10` the same with 10 instances; `consulnode/bare` is bind + consulnode. Kinds: node = `<node>.node.consul A` over %d names; "+
		"svca = `web.service.consul A` (3 instances); srv = `web.service.consul SRV` (3 SRV + 3 additional A; unbound gives no additional records from local-data, hosts has no SRV); "+
		"big = `big.service.consul A`, 40 instances: over UDP the answer is truncated (TC, as many as fit 512 bytes), over TCP (`dnsperf -m tcp`, persistent connections) complete. "+
		"unbound has no Go runtime counters (allocs 0).\n\n", c.members, shippedInstances, c.members)
	var rows [][]string
	for _, j := range jobs {
		for _, name := range j.servers {
			s := pick(all, name, j.kind, 0)
			rows = append(rows, []string{j.kind, name, f(median(s, mQPS), 0), f(median(s, mCPU), 2), f(median(s, mP99), 0), f(median(s, mAllocs), 1)})
		}
	}
	rep.Table([]string{"kind", "server", "QPS (median)", "CPU µs/query", "p99 µs", "allocs/query (process)"}, rows)

	within := func(kind, a, b string, m metric) ratio {
		r := roundRatios(all, kind, a, b, 0, m)
		r.Name = "[" + kind + "] " + r.Name
		return r
	}
	ratios := []ratio{
		within("node-max", "agent", "hosts", mQPS),
		within("node-max", "agent", "hosts", mCPU),
		within("node-rate", "agent", "hosts", mP99),
		within("node-max", "agent", "consulnode/bare", mQPS),
		within("node-max", "agent", "consulnode/bare", mCPU),
		within("node-max", "agent", "miekg", mQPS),
		within("node-max", "agent", "unbound", mQPS),
		within("node-max", "hosts", "miekg", mQPS),
		kindRatios(all, "svca-max", "agent", "node-max", "agent", mQPS),
		kindRatios(all, "svca-max", "agent", "node-max", "agent", mCPU),
		kindRatios(all, "srv-max", "agent", "node-max", "agent", mQPS),
		kindRatios(all, "srv-max", "agent", "node-max", "agent", mCPU),
		kindRatios(all, "big-udp-max", "agent", "node-max", "agent", mQPS),
		kindRatios(all, "big-tcp-max", "agent", "node-max", "agent", mQPS),
		within("svca-max", "agent", "agent-10", mQPS),
		within("svca-max", "agent", "agent-10", mCPU),
		within("svca-max", "agent", "hosts", mQPS),
		within("svca-rate", "agent", "hosts", mP99),
		within("srv-max", "agent", "miekg", mQPS),
	}
	var rrows [][]string
	for _, r := range ratios {
		rrows = append(rrows, r.cells())
	}
	rep.Printf("Per-round ratios:\n\n")
	rep.Table(ratioHeader, rrows)
	res.Ratios = append(res.Ratios, ratios...)
	if c.candidate != "" {
		cand := []ratio{
			within("node-max", candidateAgent, "hosts", mQPS),
			within("node-max", candidateAgent, "hosts", mCPU),
			within("node-rate", candidateAgent, "hosts", mP99),
			within("node-max", candidateAgent, "agent", mQPS),
			within("node-max", candidateAgent, "agent", mCPU),
			within("node-rate", candidateAgent, "agent", mP99),
			within("svca-max", candidateAgent, "agent", mQPS),
			within("srv-max", candidateAgent, "agent", mQPS),
		}
		var crows [][]string
		for _, r := range cand {
			crows = append(crows, r.cells())
		}
		rep.Printf("The candidate build (`-candidate`, environment %q) running the agent's Corefile:\n\n", c.candEnv)
		rep.Table(ratioHeader, crows)
		res.Ratios = append(res.Ratios, cand...)
	}
	rep.Printf("Targets (issue #13):\n\n")
	res.verdict(rep, "QPS agent/hosts, node A", ratios[0].Median, "≥ 0.97", ratios[0].Median >= 0.97)
	res.verdict(rep, "CPU per query agent/hosts, node A", ratios[1].Median, "≤ 1.03", ratios[1].Median <= 1.03)
	res.verdict(rep, "p99 @ fixed rate agent/hosts, node A", ratios[2].Median, "≤ 1.0 (within noise)", ratios[2].Median <= 1.0)
	res.verdict(rep, "moonshot: QPS agent/hosts", ratios[0].Median, "≥ 1.3", ratios[0].Median >= 1.3)
	res.verdict(rep, "QPS service A / node A (agent)", ratios[8].Median, "≥ 0.9", ratios[8].Median >= 0.9)
	res.verdict(rep, "QPS SRV / node A (agent)", ratios[10].Median, "≥ 0.8", ratios[10].Median >= 0.8)
	res.verdict(rep, "CPU per query service A, 10,000 instances / 10", ratios[15].Median, "≤ 1.05", ratios[15].Median <= 1.05)
	rep.Printf("\n")
}

// drawShipped draws QPS and p99 of node, service A and SRV lookups for
// the agent and the anchors.
func drawShipped(c config, out string, all []sample, rep *report) error {
	png := c.servicesPNG
	if png == "" {
		png = filepath.Join(out, "perf-services.png")
	}
	kinds := []string{"node", "svca", "srv"}
	xs := []float64{1, 2, 3}
	ticks := map[float64]string{1: "node A", 2: "service A", 3: "SRV"}
	var qs, ps []plot.Series
	for j, name := range []string{"agent", "hosts", "miekg", "unbound"} {
		var q, p []float64
		for _, k := range kinds {
			sat := pick(all, name, k+"-max", 0)
			lat := pick(all, name, k+"-rate", 0)
			qv, pv := math.NaN(), math.NaN()
			if len(sat) > 0 {
				qv = median(sat, mQPS)
			}
			if len(lat) > 0 {
				pv = median(lat, mP99) / 1000
			}
			q, p = append(q, qv), append(p, pv)
		}
		qs = append(qs, plot.Series{Name: name, Color: plot.Palette[j], X: xs, Y: q})
		ps = append(ps, plot.Series{Name: name, Color: plot.Palette[j], X: xs, Y: p})
	}
	fh, err := os.Create(png)
	if err != nil {
		return fmt.Errorf("services chart: %w", err)
	}
	err = plot.Render(fh, 1100, 480,
		plot.Panel{Title: "QPS at saturation (median)", XLabel: "lookup", YLabel: "queries/s", Series: qs, XTicks: ticks},
		plot.Panel{Title: fmt.Sprintf("p99 latency at %d q/s (median)", c.rate), XLabel: "lookup", YLabel: "ms", Series: ps, XTicks: ticks},
	)
	if err = errors.Join(err, fh.Close()); err != nil {
		return fmt.Errorf("services chart: %w", err)
	}
	rep.Printf("Chart: %s\n\n", png)
	return nil
}
