// Command gossipbench measures discod's gossip layer at scale on one
// machine and compares it with a SWIM simulator (bench/internal/swim)
// that predicts the same figures for clusters too big to run here.
//
// For each cluster size it starts that many real membership.Agents in
// this process on loopback addresses 127.0.10.1 upwards (gossip on
// ephemeral ports), joins them, and measures:
//
//   - the time until every member sees a new node alive (join);
//   - the time until every member sees a killed node (shut down without
//     leaving) as failed;
//   - the time until every member sees a gracefully leaving node as left;
//   - memory per member (live heap and RSS growth divided by members);
//   - gossip bytes sent per member per second, from memberlist's own
//     memberlist.udp.sent and memberlist.tcp.sent counters, read through
//     an in-memory go-metrics sink installed in this process;
//   - CPU per member and false suspicions/failures (memberlist's "Suspect
//     ... has failed" and "Marking ... as failed" lines about nodes that
//     were not killed) during a steady period and the events.
//
// Profiles: lan is membership.Agent with memberlist's LAN timings;
// tunedagent is membership.Agent with the proposed tuning (membership.
// Tuning, Consul's gossip_lan block: probe_interval 500ms, probe_timeout
// 300ms); lanraw and tuned run memberlist directly with the LAN timings
// and with the tuning plus SuspicionMaxTimeoutMult 4, which Tuning cannot
// express (it turned out to make no measurable difference).
//
// Usage (from the module root):
//
//	go run ./bench/cmd/gossipbench                      # 16, 64, 128 members, lan and tunedagent, and the simulator
//	go run ./bench/cmd/gossipbench -short               # CI smoke run: 8 members, lan and tunedagent
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/discod/discod/bench/internal/procstat"
	"github.com/discod/discod/bench/internal/stats"
	"github.com/discod/discod/bench/internal/swim"
	metrics "github.com/hashicorp/go-metrics"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

type config struct {
	sizes     []int
	simSizes  []int
	profiles  []string
	trials    int
	simTrials int
	steady    time.Duration
	out       string
	short     bool
	burn      int

	// The services mode (services.go).
	services   bool
	svcTrials  int
	catalog    int
	fillRate   float64
	rest       time.Duration
	burstRate  float64
	burstFor   time.Duration
	pullTrials int
	calib      string
	modelSizes []int

	// The beside mode (beside.go): serve one cluster for dnsbench.
	serveBeside string
}

func parseConfig(args []string) (config, error) {
	fs := flag.NewFlagSet("gossipbench", flag.ContinueOnError)
	var c config
	var sizes, simSizes, profs string
	fs.BoolVar(&c.short, "short", false, "CI smoke run: 8 members, lan and tunedagent profiles, 1 trial, small simulation")
	fs.StringVar(&sizes, "sizes", "16,64,128", "cluster sizes to run for real (at most 500)")
	fs.StringVar(&simSizes, "sim-sizes", "16,64,128,1000,10000", "cluster sizes to simulate")
	fs.StringVar(&profs, "profiles", "lan,tunedagent", "profiles: lan (membership.Agent, memberlist's LAN timings), local, lanraw (plain memberlist, LAN timings), tuned (plain memberlist, proposed timings), tunedagent (membership.Agent with the part of tuned membership.Tuning can express)")
	fs.IntVar(&c.trials, "trials", 3, "join/kill/leave events per cluster")
	fs.IntVar(&c.simTrials, "sim-trials", 20, "simulated trials per size (fewer are used at 10,000)")
	fs.DurationVar(&c.steady, "steady", 10*time.Second, "steady period for bytes/s, CPU and false failures")
	fs.IntVar(&c.burn, "burn", 0, "CPU load: goroutines spinning in the harness process from convergence to the end of each cluster, as a saturated DNS server in the same daemon would (0: none)")
	fs.StringVar(&c.out, "out", "", "directory for results.md (default: a temporary directory)")
	fs.BoolVar(&c.services, "services", false, "services mode: agents with local states spreading service records (default sizes 50; -profiles, -trials, -sim-* and -burn do not apply)")
	fs.IntVar(&c.svcTrials, "svc-trials", 100, "services mode: single-change trials of each kind (register, change, deregister)")
	fs.IntVar(&c.catalog, "catalog", 10000, "services mode: instances in the catalog, split evenly over the agents")
	fs.Float64Var(&c.fillRate, "fill-rate", 0, "services mode: registrations per second while filling the catalog (0: 30,000 packets/s over the members, at most 1,000)")
	fs.DurationVar(&c.rest, "rest", 25*time.Second, "services mode: period at rest for the bytes/s figures (at least two digest periods)")
	fs.Float64Var(&c.burstRate, "burst-rate", 100, "services mode: rolling deploy, changes per second over all owners")
	fs.DurationVar(&c.burstFor, "burst-for", 30*time.Second, "services mode: rolling deploy duration")
	fs.IntVar(&c.pullTrials, "pull-trials", 20, "services mode: gap repairs (an agent that lost an owner's records pulls them at its next change)")
	fs.StringVar(&c.calib, "calibration", "", "services mode: run only the model with this calibration (hop=3ms,jitter=10ms,send=60us,recv=250us,set=27us,delta=96,digest=16,from=50, as services.md's calibration table)")
	var modelSizes string
	fs.StringVar(&c.serveBeside, "serve-beside", "", "beside mode, driven by dnsbench's beside phase: start -sizes (first size) agents on 127.0.11.128 upwards holding -catalog instances, join this external agent (host:port), then take commands on standard input (deploy RATE, stop, quit)")
	fs.StringVar(&modelSizes, "model-sizes", "16,50,64,128,1000", "services mode: cluster sizes to model (bench/internal/spreadsim)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.services && !set["sizes"] {
		sizes = "50"
	}
	if c.services && c.short {
		if !set["sizes"] {
			sizes = "8"
		}
		if !set["svc-trials"] {
			c.svcTrials = 10
		}
		if !set["catalog"] {
			c.catalog = 400
		}
		if !set["rest"] {
			c.rest = 5 * time.Second
		}
		if !set["burst-for"] {
			c.burstFor = 5 * time.Second
		}
		if !set["model-sizes"] {
			modelSizes = "8,200"
		}
		if !set["pull-trials"] {
			c.pullTrials = 3
		}
	}
	if c.short {
		if !set["sizes"] {
			sizes = "8"
		}
		if !set["sim-sizes"] {
			simSizes = "8,1000"
		}
		if !set["profiles"] {
			profs = "lan,tunedagent"
		}
		if !set["trials"] {
			c.trials = 1
		}
		if !set["sim-trials"] {
			c.simTrials = 3
		}
		if !set["steady"] {
			c.steady = 3 * time.Second
		}
	}
	var err error
	if c.sizes, err = parseSizes(sizes, 2, 500); err != nil {
		return c, fmt.Errorf("-sizes: %w", err)
	}
	if c.simSizes, err = parseSizes(simSizes, 2, 100000); err != nil {
		return c, fmt.Errorf("-sim-sizes: %w", err)
	}
	all := profiles()
	for _, p := range strings.Split(profs, ",") {
		p = strings.TrimSpace(p)
		if _, ok := all[p]; !ok {
			return c, fmt.Errorf("-profiles: unknown profile %q (use lan, local, lanraw, tuned, tunedagent)", p)
		}
		c.profiles = append(c.profiles, p)
	}
	if c.modelSizes, err = parseSizes(modelSizes, 2, 100000); err != nil {
		return c, fmt.Errorf("-model-sizes: %w", err)
	}
	if c.svcTrials < 1 || c.catalog < 1 || c.burstRate <= 0 || c.burstFor <= 0 || c.rest <= 0 || c.fillRate < 0 {
		return c, errors.New("-svc-trials, -catalog, -burst-rate, -burst-for and -rest must be positive, -fill-rate at least 0")
	}
	if c.trials < 1 || c.simTrials < 1 {
		return c, errors.New("trials must be at least 1")
	}
	return c, nil
}

func parseSizes(s string, lo, hi int) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < lo || n > hi {
			return nil, fmt.Errorf("%q is not a size in %d-%d", f, lo, hi)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(args []string) int {
	c, err := parseConfig(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gossipbench: %v\n", err)
		return 2
	}
	sink := newByteSink()
	mc := metrics.DefaultConfig("")
	mc.EnableHostname = false
	mc.EnableRuntimeMetrics = false
	if _, err := metrics.NewGlobal(mc, sink); err != nil {
		fmt.Fprintf(os.Stderr, "gossipbench: metrics sink: %v\n", err)
		return 1
	}
	if c.serveBeside != "" {
		if err := serveBeside(c, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "gossipbench: beside: %v\n", err)
			return 1
		}
		return 0
	}
	out := c.out
	if out == "" {
		if out, err = os.MkdirTemp("", "gossipbench-"); err != nil {
			fmt.Fprintf(os.Stderr, "gossipbench: %v\n", err)
			return 1
		}
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "gossipbench: %v\n", err)
		return 1
	}
	if c.services {
		return runServicesMode(c, sink, out)
	}
	rep := &report{}
	rep.Printf("# gossipbench results\n\nMachine: %d CPUs, %s. Real agents run in one process on loopback; the simulator is bench/internal/swim.\n\n", runtime.NumCPU(), runtime.Version())
	all := profiles()
	real := map[string]map[int]clusterResult{}
	var failed error
	for _, pn := range c.profiles {
		p := all[pn]
		real[pn] = map[int]clusterResult{}
		for _, n := range c.sizes {
			fmt.Fprintf(os.Stderr, "real: profile %s, %d members\n", pn, n)
			r, err := runCluster(p, n, c, sink)
			if err != nil {
				failed = errors.Join(failed, fmt.Errorf("profile %s, %d members: %w", pn, n, err))
				break
			}
			real[pn][n] = r
		}
	}
	reportReal(rep, c, real)
	hop := calibrate(real, all)
	reportSim(rep, c, all, real, hop)
	if err := os.WriteFile(filepath.Join(out, "results.md"), []byte(rep.String()), 0o644); err != nil {
		failed = errors.Join(failed, err)
	}
	fmt.Printf("results: %s\n", out)
	if failed != nil {
		fmt.Fprintf(os.Stderr, "gossipbench: FAIL: %v\n", failed)
		return 1
	}
	return 0
}

// clusterResult is what one real cluster measured.
type clusterResult struct {
	N                        int
	Converge                 time.Duration
	Join, Fail, Leave        []time.Duration // seen by all
	JoinHalf, FailHalf       []time.Duration
	LeaveAsFailed            int // observers that recorded the leaver as failed instead of left
	HeapPerMember            float64
	RSSPerMember             float64
	BytesPerMemberPerSec     float64
	CPUPerMemberPct          float64
	FalseSuspects, FalseFail int
	SteadySeconds            float64
	// UDPDrops is the machine's UDP receive errors (/proc/net/snmp
	// InErrors: full socket buffers and the like) while the cluster ran,
	// other processes' included.
	UDPDrops int64
}

// runCluster starts n members with profile p and runs the events.
func runCluster(p profile, n int, c config, sink *byteSink) (res clusterResult, err error) {
	res = clusterResult{N: n}
	cnt := newCounters()
	mk := newMemberNode
	if p.Raw {
		mk = newRawNode
	}
	runtime.GC()
	heap0, rss0 := heapLive(), rss()
	drops0 := udpInErrors()
	defer func() { res.UDPDrops = udpInErrors() - drops0 }()
	var nodes []node
	defer func() {
		for _, nd := range nodes {
			_ = nd.Shutdown()
		}
	}()
	start := time.Now()
	next := 1
	newNode := func() (node, error) {
		nd, err := mk(nodeName(next), nodeAddr(next), p, cnt)
		next++
		return nd, err
	}
	for i := 0; i < n; i++ {
		nd, err := newNode()
		if err != nil {
			return res, err
		}
		if i > 0 {
			// Join a random earlier member, as agents started with
			// different -join lists would.
			if err := nd.Join(nodes[(i*7919)%i].JoinAddr()); err != nil {
				_ = nd.Shutdown()
				return res, fmt.Errorf("join %s: %w", nd.Name(), err)
			}
		}
		nodes = append(nodes, nd)
	}
	names := make([]string, n)
	for i, nd := range nodes {
		names[i] = nd.Name()
	}
	// Checking every pair is O(n²) lookups, so convergence is polled
	// every 200 ms, not every 10 ms: at a few hundred members a 10 ms poll
	// would cost the harness most of a core, which the agents need.
	if _, _, err := waitAllEvery(nodes, func(o node) bool {
		for _, nm := range names {
			if o.View(nm) != vAlive {
				return false
			}
		}
		return true
	}, 120*time.Second, 200*time.Millisecond); err != nil {
		return res, fmt.Errorf("cluster did not converge: %w", err)
	}
	res.Converge = time.Since(start)

	// Steady state: bytes, CPU, memory, false alarms.
	if c.burn > 0 {
		stop := make(chan struct{})
		defer close(stop)
		for range c.burn {
			go burn(stop)
		}
	}
	killed := map[string]bool{}
	runtime.GC()
	res.HeapPerMember = (float64(heapLive()) - float64(heap0)) / float64(n)
	res.RSSPerMember = (float64(rss()) - float64(rss0)) / float64(n)
	b0 := sink.total()
	u0, s0, _ := procstat.CPUTime(os.Getpid())
	t0 := time.Now()
	time.Sleep(c.steady)
	el := time.Since(t0).Seconds()
	u1, s1, _ := procstat.CPUTime(os.Getpid())
	res.SteadySeconds = el
	res.BytesPerMemberPerSec = (sink.total() - b0) / el / float64(n)
	res.CPUPerMemberPct = 100 * ((u1 - u0) + (s1 - s0)).Seconds() / el / float64(n)

	for t := 0; t < c.trials; t++ {
		// Join: a newcomer joins a random member.
		nd, err := newNode()
		if err != nil {
			return res, err
		}
		observers := append([]node(nil), nodes...)
		t0 := time.Now()
		if err := nd.Join(nodes[(t*31)%len(nodes)].JoinAddr()); err != nil {
			_ = nd.Shutdown()
			return res, fmt.Errorf("join newcomer: %w", err)
		}
		nodes = append(nodes, nd)
		all, half, err := waitAll(observers, func(o node) bool { return o.View(nd.Name()) == vAlive }, 60*time.Second)
		if err != nil {
			return res, fmt.Errorf("join of %s: %w", nd.Name(), err)
		}
		res.Join = append(res.Join, all.Sub(t0))
		res.JoinHalf = append(res.JoinHalf, half.Sub(t0))

		// Failure: shut a member down without leaving.
		victim := nodes[1+t]
		killed[victim.Name()] = true
		observers = without(nodes, victim)
		t0 = time.Now()
		_ = victim.Shutdown()
		all, half, err = waitAll(observers, func(o node) bool { v := o.View(victim.Name()); return v == vFailed || v == vGone }, 120*time.Second)
		if err != nil {
			return res, fmt.Errorf("failure of %s: %w", victim.Name(), err)
		}
		res.Fail = append(res.Fail, all.Sub(t0))
		res.FailHalf = append(res.FailHalf, half.Sub(t0))
		nodes = observers

		// Graceful leave.
		leaver := nodes[len(nodes)/2]
		observers = without(nodes, leaver)
		t0 = time.Now()
		lerr := make(chan error, 1)
		go func() { lerr <- leaver.Leave() }()
		all, _, err = waitAll(observers, func(o node) bool { v := o.View(leaver.Name()); return v == vLeft || v == vGone || v == vFailed }, 60*time.Second)
		if err != nil {
			return res, fmt.Errorf("leave of %s: %w", leaver.Name(), err)
		}
		res.Leave = append(res.Leave, all.Sub(t0))
		<-lerr
		// A leaver stops answering probes once it has left: suspicions of
		// it that race its leave message are not false alarms.
		killed[leaver.Name()] = true
		_ = leaver.Shutdown()
		for _, o := range observers {
			if o.View(leaver.Name()) == vFailed {
				res.LeaveAsFailed++
			}
		}
		nodes = observers
	}
	res.FalseSuspects, res.FalseFail = cnt.falseCounts(killed)
	return res, nil
}

func without(nodes []node, x node) []node {
	out := make([]node, 0, len(nodes))
	for _, n := range nodes {
		if n != x {
			out = append(out, n)
		}
	}
	return out
}

// waitAll polls every 10 ms until cond holds for every observer and
// returns when the last and the median observer first satisfied it.
func waitAll(observers []node, cond func(node) bool, timeout time.Duration) (all, half time.Time, err error) {
	return waitAllEvery(observers, cond, timeout, 10*time.Millisecond)
}

// waitAllEvery is waitAll polling every poll.
func waitAllEvery(observers []node, cond func(node) bool, timeout, poll time.Duration) (all, half time.Time, err error) {
	seen := make([]time.Time, len(observers))
	left := len(observers)
	deadline := time.Now().Add(timeout)
	for {
		now := time.Now()
		for i, o := range observers {
			if seen[i].IsZero() && cond(o) {
				seen[i] = now
				left--
			}
		}
		if left == 0 {
			times := make([]float64, len(seen))
			for i, s := range seen {
				times[i] = float64(s.UnixNano())
			}
			med := stats.Median(times)
			return now, time.Unix(0, int64(med)), nil
		}
		if now.After(deadline) {
			return time.Time{}, time.Time{}, fmt.Errorf("%d of %d members still had not seen it after %s", left, len(observers), timeout)
		}
		time.Sleep(poll)
	}
}

// udpInErrors is the InErrors counter of the Udp line of /proc/net/snmp
// (datagrams dropped on receive, mostly for a full socket buffer), or 0.
func udpInErrors() int64 {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0
	}
	var names []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, name := range names {
			if name == "InErrors" && i < len(f) {
				v, _ := strconv.ParseInt(f[i], 10, 64)
				return v
			}
		}
	}
	return 0
}

// heapLive is the live heap after the last GC.
func heapLive() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// rss is the process's resident set size in bytes, from /proc/self/status.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// calibrate picks the simulator's per-hop delay that best matches the
// real join times (the figure that depends on it most), over all sizes
// and profiles run; failure and leave times then follow from the same
// value.
func calibrate(real map[string]map[int]clusterResult, all map[string]profile) time.Duration {
	candidates := []time.Duration{200 * time.Microsecond, 500 * time.Microsecond, time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
		10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
	best, bestErr := time.Millisecond, -1.0
	for _, hop := range candidates {
		sum, k := 0.0, 0
		for pn, sizes := range real {
			for n, r := range sizes {
				cfg := all[pn].Sim
				cfg.HopDelay = hop
				pred := simMedian(cfg, n, 10, func(s *swim.Sim) swim.Result { return s.Join(time.Minute) })
				meas := stats.Median(secs(r.Join))
				if meas > 0 {
					d := (pred.Seconds() - meas) / meas
					sum += d * d
					k++
				}
			}
		}
		if k > 0 && (bestErr < 0 || sum/float64(k) < bestErr) {
			best, bestErr = hop, sum/float64(k)
		}
	}
	return best
}

// simMedian is the median "seen by all" time of trials simulations.
func simMedian(cfg swim.Config, n, trials int, ev func(*swim.Sim) swim.Result) time.Duration {
	var xs []float64
	for t := range trials {
		r := ev(swim.New(cfg, n, uint64(1000*n+t)))
		if r.Reached < r.Of {
			xs = append(xs, 1e9) // did not reach everyone within the horizon
			continue
		}
		xs = append(xs, r.All.Seconds())
	}
	return time.Duration(stats.Median(xs) * float64(time.Second))
}

func secs(d []time.Duration) []float64 {
	out := make([]float64, len(d))
	for i, x := range d {
		out[i] = x.Seconds()
	}
	return out
}

// burn spins until stop is closed, yielding now and then so it behaves
// like busy request handlers rather than a tight loop the scheduler must
// preempt.
func burn(stop <-chan struct{}) {
	x := uint64(1)
	for {
		for range 100000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		select {
		case <-stop:
			burnSink.Add(x)
			return
		default:
			runtime.Gosched()
		}
	}
}

// burnSink keeps the burners' work from being optimised away.
var burnSink atomic.Uint64
