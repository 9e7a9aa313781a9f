// Command dnsbench is discod's DNS benchmark kit. In one run, on one
// machine, it drives with dnsperf, side by side and in interleaved rounds
// (A B C A B C ...):
//
//   - consulnode: discod's embedded CoreDNS answering <node>.node.consul A
//     from a real membership agent's table, filled with Table.Upsert (the
//     code path gossip events take);
//   - hosts: the same embedded CoreDNS (corefile package, same directive
//     list, same chain) with the hosts plugin serving the same names — the
//     cost of CoreDNS itself;
//   - miekg: a bare miekg/dns server answering from a map — the Go ceiling.
//
// Each server is its own process (bench/cmd/benchserver), so its CPU time
// per answered query is read from /proc/<pid>/stat. The kit also measures
// the plugin chains of discod's default Corefile, QPS and p99 latency
// against the number of members (drawn as a PNG), and the start-up time of
// `discod agent -dev` from exec to its first DNS answer.
//
// Usage (from the module root; bench/run.sh wraps it):
//
//	go run ./bench/cmd/dnsbench            # full run, about 17 minutes
//	go run ./bench/cmd/dnsbench -short     # CI smoke run, about a minute
//
// Without dnsperf it skips with a message, or fails when CI=true.
// `dnsbench hold` is the beside phase's holder of blocking HTTP reads, a
// process of its own (beside_hold.go).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/discod/discod/bench/internal/dnsperf"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// config is the command line.
type config struct {
	short       bool
	phases      map[string]bool
	rounds      int
	chainRounds int
	sweepRounds int
	tailRounds  int
	tailAgent   bool
	duration    time.Duration
	chainDur    time.Duration
	sweepDur    time.Duration
	members     int
	sweep       []int
	rate        int
	maxLoad     load
	rateLoad    load
	startups    int
	bin         string
	out         string
	png         string
	profile     string
	candidate   string
	candEnv     []string
	servicesPNG string
	beside      besideConfig
}

func parseConfig(args []string) (config, error) {
	fs := flag.NewFlagSet("dnsbench", flag.ContinueOnError)
	var c config
	var phases, sweep string
	fs.BoolVar(&c.short, "short", false, "smoke run for CI: 1 round, short runs, small sweep (about a minute)")
	fs.StringVar(&phases, "phases", "compare,shipped,chains,tail,sweep,startup,beside", "phases to run, comma-separated: compare, shipped, chains, tail, sweep, startup, beside")
	fs.IntVar(&c.rounds, "rounds", 5, "interleaved rounds in the compare phase")
	fs.IntVar(&c.chainRounds, "chain-rounds", 3, "interleaved rounds in the chains phase")
	fs.IntVar(&c.sweepRounds, "sweep-rounds", 3, "interleaved rounds per member count in the sweep phase")
	fs.IntVar(&c.tailRounds, "tail-rounds", 5, "interleaved rounds in the tail phase")
	fs.BoolVar(&c.tailAgent, "tail-agent", false, "tail phase: also the shipped agent (its rendered Corefile, 10,000 instances) and the variants that tell its tail apart")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "length of one dnsperf run in the compare phase (whole seconds, at most 10 s)")
	fs.DurationVar(&c.chainDur, "chain-duration", 5*time.Second, "length of one dnsperf run in the chains phase")
	fs.DurationVar(&c.sweepDur, "sweep-duration", 5*time.Second, "length of one dnsperf run in the sweep phase")
	fs.IntVar(&c.members, "members", 1000, "members (names) in the compare and chains phases")
	fs.StringVar(&sweep, "sweep", "100,1000,10000", "member counts of the sweep phase")
	fs.IntVar(&c.rate, "rate", 20000, "offered rate (queries/s) of the fixed-rate latency runs")
	fs.IntVar(&c.maxLoad.Clients, "clients", 4, "dnsperf -c for saturation runs")
	fs.IntVar(&c.maxLoad.Threads, "threads", 1, "dnsperf -T for saturation runs")
	fs.IntVar(&c.maxLoad.Outstanding, "outstanding", 100, "dnsperf -q for saturation runs")
	fs.IntVar(&c.startups, "startups", 20, "start-up time samples of discod agent -dev")
	fs.StringVar(&c.bin, "bin", "", "directory with prebuilt benchserver and discod binaries (default: build them)")
	fs.StringVar(&c.out, "out", "", "directory for results.md, results.json and queries (default: a temporary directory)")
	fs.StringVar(&c.png, "png", "", "where to write the members sweep chart (default: OUT/perf-members.png; docs/perf-members.png is its committed copy)")
	fs.StringVar(&c.profile, "profile", "", "directory for CPU profiles and execution traces of the compare servers (default: none)")
	fs.StringVar(&c.servicesPNG, "services-png", "", "where to write the chart of node, service A and SRV lookups of the shipped phase (default: OUT/perf-services.png; docs/perf-services.png is its committed copy)")
	fs.StringVar(&c.candidate, "candidate", "", "directory with a benchserver built from a changed tree (go build -o DIR/ ./bench/cmd/benchserver there): the compare phase runs it as a fourth server, \"candidate\", and the shipped phase as \"agent-candidate\" (the agent's Corefile), interleaved with the others (default: none)")
	var candEnv string
	fs.StringVar(&candEnv, "candidate-env", "", "comma-separated KEY=VALUE pairs set in the candidate's environment (an experiment's knobs)")
	var besideSizes, besideScen string
	besideFlags(fs, &c.beside, &besideSizes, &besideScen)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if c.short {
		def := func(name string, apply func()) {
			if !set[name] {
				apply()
			}
		}
		def("rounds", func() { c.rounds = 1 })
		def("chain-rounds", func() { c.chainRounds = 1 })
		def("sweep-rounds", func() { c.sweepRounds = 1 })
		def("tail-rounds", func() { c.tailRounds = 1 })
		def("duration", func() { c.duration = time.Second })
		def("chain-duration", func() { c.chainDur = time.Second })
		def("sweep-duration", func() { c.sweepDur = time.Second })
		def("sweep", func() { sweep = "100,1000" })
		def("startups", func() { c.startups = 3 })
		besideShort(&c.beside, def, &besideSizes)
	}
	for _, kv := range strings.Split(candEnv, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return c, fmt.Errorf("-candidate-env: %q is not KEY=VALUE", kv)
		}
		c.candEnv = append(c.candEnv, kv)
	}
	if len(c.candEnv) > 0 && c.candidate == "" {
		return c, errors.New("-candidate-env needs -candidate")
	}
	c.phases = map[string]bool{}
	for _, p := range strings.Split(phases, ",") {
		p = strings.TrimSpace(p)
		switch p {
		case "compare", "shipped", "chains", "tail", "sweep", "startup", "beside":
			c.phases[p] = true
		case "":
		default:
			return c, fmt.Errorf("-phases: unknown phase %q (use compare, shipped, chains, tail, sweep, startup, beside)", p)
		}
	}
	for _, s := range strings.Split(sweep, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 100000 {
			return c, fmt.Errorf("-sweep: %q is not a member count in 1-100000", s)
		}
		c.sweep = append(c.sweep, n)
	}
	for _, d := range []time.Duration{c.duration, c.chainDur, c.sweepDur} {
		if d < time.Second || d > 10*time.Second {
			return c, fmt.Errorf("dnsperf run length %s is outside 1-10 s (the machine is shared; keep runs short)", d)
		}
	}
	if c.rounds < 1 || c.chainRounds < 1 || c.sweepRounds < 1 || c.tailRounds < 1 {
		return c, errors.New("rounds must be at least 1")
	}
	if err := c.beside.finish(besideSizes, besideScen); err != nil {
		return c, err
	}
	c.maxLoad.Kind = "max"
	c.rateLoad = load{Kind: "rate", Clients: 4, Threads: 2, QPS: c.rate, Verbose: true}
	return c, nil
}

// The loopback addresses the kit serves on (this project's benchmark range
// is 127.0.9.0–127.0.12.255), and the DNS port.
const dnsPort = 8653

func addr(last byte) netip.Addr { return netip.AddrFrom4([4]byte{127, 0, 9, last}) }

func run(args []string) int {
	if len(args) > 0 && args[0] == "hold" {
		return runHold(args[1:])
	}
	c, err := parseConfig(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "dnsbench: %v\n", err)
		return 2
	}
	if _, err := dnsperf.Path(); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "dnsbench: FAIL: %v; CI must install it (.ci/run installs Debian's dnsperf)\n", err)
			return 1
		}
		fmt.Printf("dnsbench: SKIP: %v\n", err)
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runPhases(ctx, c); err != nil {
		fmt.Fprintf(os.Stderr, "dnsbench: FAIL: %v\n", err)
		return 1
	}
	return 0
}

// results is what results.json holds.
type results struct {
	Started  time.Time       `json:"started"`
	Machine  machine         `json:"machine"`
	Args     []string        `json:"args"`
	Samples  []sample        `json:"samples"`
	Ratios   []ratio         `json:"ratios"`
	Startup  *startupResult  `json:"startup,omitempty"`
	Beside   []besideRow     `json:"beside,omitempty"`
	Targets  []targetVerdict `json:"targets"`
	Duration float64         `json:"duration_s"`
}

func runPhases(ctx context.Context, c config) error {
	start := time.Now()
	out := c.out
	if out == "" {
		d, err := os.MkdirTemp("", "dnsbench-")
		if err != nil {
			return fmt.Errorf("results directory: %w", err)
		}
		out = d
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("results directory: %w", err)
	}
	bin := c.bin
	if bin == "" {
		bin = filepath.Join(out, "bin")
		fmt.Printf("building benchserver, discod and gossipbench into %s ...\n", bin)
		if err := buildBinaries(ctx, bin); err != nil {
			return err
		}
	}
	version, _ := exec.Command("dnsperf", "-h").CombinedOutput()
	dv := ""
	for _, l := range strings.Split(string(version), "\n") {
		if strings.HasPrefix(l, "Version ") {
			dv = strings.TrimPrefix(l, "Version ")
		}
	}
	res := &results{Started: start, Machine: describeMachine(dv), Args: os.Args[1:]}
	rep := &report{}
	m := res.Machine
	rep.Printf("# dnsbench results\n\nMachine: %d CPUs, %s, kernel %s, %s, dnsperf %s. Started %s.\n\n",
		m.NProc, m.CPU, m.Kernel, m.Go, m.DNSPerf, start.Format(time.RFC3339))
	rep.Printf("Saturation runs: `dnsperf -c %d -T %d -q %d -l N`; fixed-rate runs: `dnsperf -Q %d -c %d -T %d -v -l N`. "+
		"Every server is its own process (GOMAXPROCS = %d); dnsperf runs on the same machine.\n\n",
		c.maxLoad.Clients, c.maxLoad.Threads, c.maxLoad.Outstanding, c.rateLoad.QPS, c.rateLoad.Clients, c.rateLoad.Threads, m.NProc)

	progress := func(s string) { fmt.Fprintln(os.Stderr, s) }
	var err error
	if c.phases["compare"] {
		err = errors.Join(err, phaseCompare(ctx, c, bin, out, rep, res, progress))
	}
	if err == nil && c.phases["shipped"] {
		err = errors.Join(err, phaseShipped(ctx, c, bin, out, rep, res, progress))
	}
	if err == nil && c.phases["chains"] {
		err = errors.Join(err, phaseChains(ctx, c, bin, out, rep, res, progress))
	}
	if err == nil && c.phases["tail"] {
		err = errors.Join(err, phaseTail(ctx, c, bin, out, rep, res, progress))
	}
	if err == nil && c.phases["sweep"] {
		err = errors.Join(err, phaseSweep(ctx, c, bin, out, rep, res, progress))
	}
	if err == nil && c.phases["startup"] {
		err = errors.Join(err, phaseStartup(ctx, c, bin, rep, res, progress))
	}
	if err == nil && c.phases["beside"] {
		err = errors.Join(err, phaseBeside(ctx, c, bin, rep, res, progress))
	}
	res.Duration = time.Since(start).Seconds()
	rep.Printf("Total run time %.0f s.\n", res.Duration)
	if werr := writeResults(out, rep, res); werr != nil {
		err = errors.Join(err, werr)
	}
	fmt.Printf("results: %s\n", out)
	return err
}

func writeResults(out string, rep *report, res *results) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(filepath.Join(out, "results.json"), b, 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	if err := os.WriteFile(filepath.Join(out, "results.md"), []byte(rep.String()), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// buildBinaries builds benchserver and discod into dir with the go tool,
// from the module root.
func buildBinaries(ctx context.Context, dir string) error {
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	for _, b := range []struct{ name, pkg string }{
		{"benchserver", "./bench/cmd/benchserver"},
		{"discod", "./cmd/discod"},
		{"gossipbench", "./bench/cmd/gossipbench"},
	} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, b.name), b.pkg)
		cmd.Dir = root
		if outp, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", b.pkg, err, outp)
		}
	}
	return nil
}

// moduleRoot is the directory of discod's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	outp, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find the module root (go env GOMOD): %w", err)
	}
	gomod := strings.TrimSpace(string(outp))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside discod's module: run dnsbench from the repository")
	}
	return filepath.Dir(gomod), nil
}
