package main

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/discod/discod/bench/internal/spreadsim"
	"github.com/discod/discod/bench/internal/stats"
)

// runServicesMode runs the services mode for every size and writes
// services.md to out.
func runServicesMode(c config, sink *byteSink, out string) int {
	rep := &report{}
	load, _ := os.ReadFile("/proc/loadavg")
	rep.Printf("# gossipbench -services results\n\n%s, %d CPUs (%s), %s; load average at start: %s. Real agents (membership.Agent + local.State, memberlist LAN profile) run in one process on loopback; the model is bench/internal/spreadsim.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), cpuModel(), runtime.Version(), strings.Fields(string(load) + " ?")[0])
	var results []svcResult
	var failed error
	if c.calib != "" {
		cal, err := parseCalibration(c.calib)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gossipbench: -calibration: %v\n", err)
			return 2
		}
		rep.Printf("Model only, calibration given on the command line: %s\n\n", c.calib)
		reportPredictions(rep, c, []calibration{cal})
		if err := os.WriteFile(filepath.Join(out, "services.md"), []byte(rep.String()), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "gossipbench: %v\n", err)
			return 1
		}
		fmt.Printf("results: %s\n", out)
		return 0
	}
	for _, n := range c.sizes {
		fmt.Fprintf(os.Stderr, "services: %d agents\n", n)
		r, err := runServices(n, c, sink)
		if err != nil {
			failed = errors.Join(failed, fmt.Errorf("services, %d agents: %w", n, err))
			continue
		}
		results = append(results, r)
		// Keep what was measured so far: a long run cut short still
		// leaves its figures.
		part := &report{Quiet: true}
		reportServices(part, c, results)
		_ = os.WriteFile(filepath.Join(out, "services-partial.md"), []byte(part.String()), 0o644)
	}
	reportServices(rep, c, results)
	reportModel(rep, c, results)
	if err := os.WriteFile(filepath.Join(out, "services.md"), []byte(rep.String()), 0o644); err != nil {
		failed = errors.Join(failed, err)
	}
	fmt.Printf("results: %s\n", out)
	if failed != nil {
		fmt.Fprintf(os.Stderr, "gossipbench: FAIL: %v\n", failed)
		return 1
	}
	return 0
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return "unknown CPU"
}

// pct returns the p50, p99 and max of xs (seconds) as milliseconds.
func pct(xs []float64) (p50, p99, hi string) {
	if len(xs) == 0 {
		return "–", "–", "–"
	}
	s := slices.Sorted(slices.Values(xs))
	f := func(v float64) string { return fmt.Sprintf("%.1f", v*1000) }
	return f(stats.Percentile(s, 50)), f(stats.Percentile(s, 99)), f(s[len(s)-1])
}

func reportServices(rep *report, c config, rs []svcResult) {
	rep.Printf("## Propagation of single changes (%d trials of each kind, one owner at a time, ms; \"all\" = until the last other agent's store held it)\n\n", c.svcTrials)
	var rows [][]string
	for _, r := range rs {
		for _, k := range r.Kinds {
			a50, a99, amax := pct(k.All)
			o50, o99, _ := pct(k.Observers)
			rows = append(rows, []string{fmt.Sprint(r.N), k.Kind, a50, a99, amax, o50, o99, fmt.Sprint(k.Missed)})
		}
	}
	rep.Table([]string{"agents", "change", "all p50", "all p99", "all max", "each agent p50", "each agent p99", "not everywhere in 10 s"}, rows)

	rep.Printf("## Bytes (records layer, as membership.RecordsCounts counts them: memberlist's framing not included)\n\n")
	rows = nil
	for _, r := range rs {
		for _, k := range r.Kinds {
			ratio := "–"
			if k.MsgBytes > 0 {
				ratio = fmt.Sprintf("%.2f", k.RecvPerChange/k.MsgBytes)
			}
			rows = append(rows, []string{fmt.Sprint(r.N), k.Kind, fmt.Sprintf("%.0f", k.MsgBytes), fmt.Sprintf("%.0f", k.RecvPerChange), ratio})
		}
	}
	rep.Table([]string{"agents", "change", "encoded delta B", "received B per agent per change", "ratio"}, rows)
	rows = nil
	for _, r := range rs {
		rows = append(rows, []string{fmt.Sprint(r.N), fmt.Sprint(r.Instances), fmt.Sprintf("%.0f", r.RestBytes), fmt.Sprintf("%.2f", r.RestDigests), fmt.Sprintf("%.0f", r.RestGossip)})
	}
	rep.Table([]string{"agents", "instances", "records B/s per agent at rest", "digests/s per agent", "memberlist B/s sent per agent (all gossip)"}, rows)

	rep.Printf("## Catalog at scale (each instance: a service with one HTTP check; the catalog split evenly over the owners)\n\n")
	rows = nil
	for _, r := range rs {
		p50, p99, _ := pct(r.Pull)
		rows = append(rows, []string{fmt.Sprint(r.N), fmt.Sprint(r.Instances), fmt.Sprintf("%.0f", r.FillRate), fmt.Sprintf("%.1f", r.FillAll.Seconds()),
			fmt.Sprintf("%.0f", r.HeapPerInstance), fmt.Sprintf("%.2f", r.Newcomer.Seconds()), fmt.Sprint(r.NewcomerSets),
			fmt.Sprintf("%.2f / %.2f", r.Commit50.Seconds()*1000, r.Commit99.Seconds()*1000), p50 + " / " + p99})
	}
	rep.Table([]string{"agents", "instances", "fill rate /s", "fill to all s", "heap B per instance per agent", "newcomer holds all s", "sets it applied",
		"owner's commit per change p50 / p99 ms", "gap repair (grace + pull) p50 / p99 ms"}, rows)

	rep.Printf("## Rolling deploy (%.0f changes/s over all owners for %s)\n\n", c.burstRate, c.burstFor)
	rows = nil
	for _, r := range rs {
		b := r.Burst
		a50, a99, amax := pct(b.All)
		ratio := "–"
		if m := r.changeMsg(); m > 0 {
			ratio = fmt.Sprintf("%.2f", b.RecvPerChange/m)
		}
		rows = append(rows, []string{fmt.Sprint(r.N), fmt.Sprintf("%.1f", b.Achieved), fmt.Sprint(b.Changes), a50, a99, amax, fmt.Sprint(b.Missed),
			fmt.Sprintf("%.0f", b.Drain.Seconds()*1000), fmt.Sprintf("%d / %d", b.Drops, b.QueueFull), fmt.Sprintf("%d / %d / %d", b.Gaps, b.Pulls, b.Sets),
			fmt.Sprintf("%.0f", b.RecvPerChange), ratio, fmt.Sprintf("%.1f", float64(b.CPUPerPacket)/1000)})
	}
	rep.Table([]string{"agents", "published /s", "changes", "all p50 ms", "all p99 ms", "all max ms", "not everywhere", "drain ms", "drops: records queues / handoff queue",
		"gaps / pulls / sets", "received B per agent per change", "ratio to the delta", "process CPU µs per delta packet"}, rows)

	rep.Printf("## Repair by anti-entropy (agent g2 missed the last change of every other owner; nothing else changes, so only digests and push/pull can repair it)\n\n")
	rows = nil
	for _, r := range rs {
		p := r.Repair
		rows = append(rows, []string{fmt.Sprint(r.N), fmt.Sprint(p.Owners), fmt.Sprintf("%.1f", p.Median.Seconds()), fmt.Sprintf("%.1f", p.All.Seconds()), fmt.Sprint(p.Pulls), fmt.Sprint(p.TimedOut), fmt.Sprint(r.UDPDrops)})
	}
	rep.Table([]string{"agents", "owners behind", "median owner repaired s", "all repaired s", "pulls", "not repaired in 90 s", "machine UDP drops (whole run)"}, rows)
}

// changeMsg is the encoded size of a change delta, or of a registration.
func (r svcResult) changeMsg() float64 {
	for _, k := range r.Kinds {
		if k.Kind == "change" && k.MsgBytes > 0 {
			return k.MsgBytes
		}
	}
	for _, k := range r.Kinds {
		if k.MsgBytes > 0 {
			return k.MsgBytes
		}
	}
	return 0
}

// calibration is the model's costs as fitted on one real cluster.
type calibration struct {
	From                        int
	Hop, Jitter, Send, Recv     time.Duration
	PerInst                     time.Duration
	DeltaB, DigestB, SetPerInst int
}

// calibrate1 fits the model on a real run: the hop is the first
// observer's median delay, the send cost the median spread between the
// first and the last observer per further member, the receive cost half
// the process CPU above rest per delta packet in the rolling deploy (the
// other half being the sender's), a set's cost per instance the median
// gap repair less the gap grace and two hops, over the instances of one
// owner, and the jitter (exponential) the candidate whose modelled p99
// to all agents is nearest the real one.
func calibrate1(r svcResult) calibration {
	cal := calibration{From: r.N, Hop: r.FirstHop, Send: r.PerPeer, Recv: max(r.Burst.CPUPerPacket/2, time.Microsecond)}
	per := max(1, r.Instances/r.N)
	if len(r.Pull) > 0 {
		set := time.Duration(median(r.Pull)*float64(time.Second)) - spreadsim.Defaults(r.N).GapGrace - 2*r.FirstHop
		cal.PerInst = max(set, 0) / time.Duration(per)
	}
	cal.DeltaB = int(r.changeMsg())
	cal.SetPerInst = cal.DeltaB
	if r.RestDigests > 0 {
		cal.DigestB = int(r.RestBytes / r.RestDigests)
	}
	var real []float64
	for _, k := range r.Kinds {
		real = append(real, k.All...)
	}
	if len(real) > 0 {
		slices.Sort(real)
		want := stats.Percentile(real, 99)
		best, pick := -1.0, time.Duration(0)
		for _, j := range []time.Duration{0, 50 * time.Microsecond, 100 * time.Microsecond, 200 * time.Microsecond, 500 * time.Microsecond,
			time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond} {
			cal.Jitter = j
			m := spreadsim.Run(cal.config(r.N), spreadsim.Scenario{Rate: 2, Duration: 30 * time.Second, Horizon: 2 * time.Minute, Seed: uint64(r.N)})
			ms := durs(m.All)
			slices.Sort(ms)
			if d := math.Abs(stats.Percentile(ms, 99) - want); best < 0 || d < best {
				best, pick = d, j
			}
		}
		cal.Jitter = pick
	}
	return cal
}

func (cal calibration) config(n int) spreadsim.Config {
	m := spreadsim.Defaults(n)
	m.HopDelay, m.HopJitter = cal.Hop, cal.Jitter
	m.SendCost, m.RecvCost = max(cal.Send, time.Microsecond), cal.Recv
	m.SetCostPerInstance = cal.PerInst
	m.PullRTT = cal.Hop
	if cal.DeltaB > 0 {
		// A set's instance costs about what a registration's delta does.
		m.DeltaBytes, m.SetBytesPerInstance = cal.DeltaB, cmp.Or(cal.SetPerInst, cal.DeltaB)
	}
	if cal.DigestB > 0 {
		m.DigestBytes = cal.DigestB
	}
	return m
}

func durs(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

func reportModel(rep *report, c config, rs []svcResult) {
	if len(rs) == 0 {
		return
	}
	rep.Printf("## Model (bench/internal/spreadsim)\n\nCalibration per real cluster: hop = the first agent's median delay (the owner's commit included), send = median (last − first) ÷ (agents − 2), receive = ½ process CPU above rest per delta packet in the rolling deploy, set cost per instance = (median gap repair − 250 ms grace − 2 hops) ÷ instances per owner, jitter (exponential) = the candidate whose modelled single-change p99 to all is nearest the real one.\n\n")
	var rows [][]string
	var cals []calibration
	for _, r := range rs {
		cal := calibrate1(r)
		cals = append(cals, cal)
		rows = append(rows, []string{fmt.Sprint(r.N), fmt.Sprintf("%.2f", cal.Hop.Seconds()*1000), fmt.Sprintf("%.2f", cal.Jitter.Seconds()*1000), fmt.Sprintf("%.1f", float64(cal.Send)/1000), fmt.Sprintf("%.1f", float64(cal.Recv)/1000),
			fmt.Sprintf("%.1f", float64(cal.PerInst)/1000), fmt.Sprint(cal.DeltaB), fmt.Sprint(cal.DigestB)})
	}
	rep.Table([]string{"fitted on agents", "hop ms", "jitter ms", "send µs/packet", "receive µs/packet", "set µs/instance", "delta B", "digest B"}, rows)

	rep.Printf("Model against measurement (single changes, calibrated on the same size; 60 changes at 2/s):\n\n")
	rows = nil
	for i, r := range rs {
		m := spreadsim.Run(cals[i].config(r.N), spreadsim.Scenario{Rate: 2, Duration: 30 * time.Second, Horizon: 2 * time.Minute, Seed: uint64(r.N)})
		var real []float64
		for _, k := range r.Kinds {
			real = append(real, k.All...)
		}
		m50, m99, _ := pct(durs(m.All))
		r50, r99, _ := pct(real)
		b := rs[i].Burst
		bm := spreadsim.Run(cals[i].config(r.N), spreadsim.Scenario{Rate: b.Rate, Duration: c.burstFor, Horizon: c.burstFor + time.Minute, Seed: uint64(r.N) + 1})
		bm50, bm99, _ := pct(durs(bm.All))
		br50, br99, _ := pct(b.All)
		rows = append(rows, []string{fmt.Sprint(r.N), m50, r50, m99, r99, bm50, br50, bm99, br99})
	}
	rep.Table([]string{"agents", "single p50 model ms", "real", "single p99 model ms", "real", "deploy p50 model ms", "real", "deploy p99 model ms", "real"}, rows)

	// Predictions: calibrated on the smallest (least contended) and the
	// largest real cluster.
	picks := []calibration{cals[0]}
	if len(cals) > 1 {
		picks = append(picks, cals[len(cals)-1])
	}
	reportPredictions(rep, c, picks)
}

// parseCalibration reads -calibration: comma-separated key=value pairs,
// hop, jitter, send, recv and set (per instance) as durations, delta and
// digest as bytes, from as the size it was fitted on.
func parseCalibration(s string) (calibration, error) {
	var cal calibration
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return cal, fmt.Errorf("%q is not key=value", kv)
		}
		var err error
		switch k {
		case "hop", "jitter", "send", "recv", "set":
			var d time.Duration
			if d, err = time.ParseDuration(v); err == nil {
				*map[string]*time.Duration{"hop": &cal.Hop, "jitter": &cal.Jitter, "send": &cal.Send, "recv": &cal.Recv, "set": &cal.PerInst}[k] = d
			}
		case "delta", "digest", "from":
			var n int
			if n, err = strconv.Atoi(v); err == nil {
				*map[string]*int{"delta": &cal.DeltaB, "digest": &cal.DigestB, "from": &cal.From}[k] = n
			}
		default:
			return cal, fmt.Errorf("unknown key %q (hop, jitter, send, recv, set, delta, digest, from)", k)
		}
		if err != nil {
			return cal, fmt.Errorf("%s: %w", k, err)
		}
	}
	return cal, nil
}

// reportPredictions runs the model at c.modelSizes with each calibration.
func reportPredictions(rep *report, c config, picks []calibration) {
	var rows [][]string
	ratio := func(r spreadsim.Result, m spreadsim.Config) string {
		return fmt.Sprintf("%.2f", r.BytesPerNode/float64(max(r.Changes, 1))/float64(m.DeltaBytes))
	}
	rep.Printf("Predictions without loss (p50/p99 to all members, ms; single: 60 changes at 2/s; deploy: %.0f changes/s for 30 s; bytes per member per change as a ratio to the delta, digests and pulls included):\n\n", c.burstRate)
	rows = nil
	for _, n := range c.modelSizes {
		for _, cal := range picks {
			m := cal.config(n)
			single := spreadsim.Run(m, spreadsim.Scenario{Rate: 2, Duration: 30 * time.Second, Horizon: 2 * time.Minute, Seed: 7})
			deploy := spreadsim.Run(m, spreadsim.Scenario{Rate: c.burstRate, Duration: 30 * time.Second, Horizon: 3 * time.Minute, Seed: 8})
			s50, s99, _ := pct(durs(single.All))
			d50, d99, dmax := pct(durs(deploy.All))
			rows = append(rows, []string{fmt.Sprint(n), fmt.Sprint(cal.From), s50, s99, d50, d99, dmax, fmt.Sprint(deploy.Missed),
				fmt.Sprintf("%d / %d", deploy.SendDrops, deploy.QueueDrops), fmt.Sprintf("%d / %d", deploy.MaxQueue, deploy.MaxSendBacklog), ratio(deploy, m), fmt.Sprintf("%.0f", m.DigestPeriod().Seconds())})
		}
	}
	rep.Table([]string{"members", "calibrated on", "single p50", "single p99", "deploy p50", "deploy p99", "deploy max", "not everywhere", "drops: send / handoff", "deepest handoff queue / send backlog", "B ratio", "digest period s"}, rows)

	big := c.modelSizes[len(c.modelSizes)-1]
	cal := picks[len(picks)-1]
	rep.Printf("Loss and anti-entropy at %d members (calibrated on %d agents): the deploy with packet loss, and a partition — %d members receive nothing for 20 s during the deploy, then the changes stop and anti-entropy must finish. The product has two tail digests (500 ms after a burst and 700 ms after that), the peer exchange (10 s) and repairs since a version (the last 256 changes) — the last row of each loss; the other rows switch them off or keep the earlier single tail digest at 1 s (TailDigest, TailAgain, ExchangeEvery, HistoryDeltas in spreadsim):\n\n", big, cal.From, max(1, big/10))
	rows = nil
	variants := []struct {
		tail, again, exchange time.Duration
		history               int
	}{{0, 0, 0, 0}, {time.Second, 0, 0, 0}, {time.Second, 0, 10 * time.Second, 0}, {time.Second, 0, 10 * time.Second, 256},
		{500 * time.Millisecond, 700 * time.Millisecond, 10 * time.Second, 256}}
	for _, loss := range []float64{0, 0.001, 0.01} {
		for _, v := range variants {
			m := cal.config(big)
			m.Loss, m.TailDigest, m.TailAgain, m.ExchangeEvery, m.HistoryDeltas = loss, v.tail, v.again, v.exchange, v.history
			deploy := spreadsim.Run(m, spreadsim.Scenario{Rate: c.burstRate, Duration: 30 * time.Second, Horizon: 4 * time.Minute, Seed: 9})
			part := spreadsim.Run(m, spreadsim.Scenario{Rate: c.burstRate, Duration: 25 * time.Second, Partitioned: max(1, big/10), PartStart: 5 * time.Second, PartFor: 20 * time.Second, Horizon: 5 * time.Minute, Seed: 10})
			d50, d99, dmax := pct(durs(deploy.All))
			conv := "not in 5 min"
			if part.Converged >= 0 {
				conv = fmt.Sprintf("%.1f", part.Converged.Seconds())
			}
			off := func(d time.Duration) string {
				if d == 0 {
					return "no"
				}
				return d.String()
			}
			hist := "no"
			if v.history > 0 {
				hist = fmt.Sprint(v.history)
			}
			tail := off(v.tail)
			if v.again > 0 {
				tail += " + " + v.again.String()
			}
			rows = append(rows, []string{fmt.Sprintf("%.1f %%", loss*100), tail, off(v.exchange), hist, d50, d99, dmax, fmt.Sprintf("%d / %d / %d", deploy.Gaps, deploy.Pulls, deploy.PullDrops), fmt.Sprintf("%d / %d", deploy.Sets, deploy.Repairs), ratio(deploy, m), conv, fmt.Sprintf("%d / %d", part.Pulls, part.PullDrops), ratio(part, m)})
		}
	}
	rep.Table([]string{"loss", "tail digest", "peer exchange", "repair history", "deploy p50 ms", "deploy p99 ms", "deploy max ms", "gaps / pulls / pulls refused", "sets / repairs", "B ratio", "partition healed s", "partition pulls / refused", "partition B ratio"}, rows)
	rep.Printf("The model's limits are in bench/internal/spreadsim's package comment: membership is assumed intact (no failure detection, no SWIM traffic or CPU), each node's sender and handler have their own budget, TCP is a fixed cost.\n\n")
}
