package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// besideConfig is the beside phase's part of the command line: DNS
// measured on a real `discod agent` beside the catalog-at-scale loads
// (issue #13).
type besideConfig struct {
	rounds     int
	duration   time.Duration // one dnsperf run
	idle       time.Duration // the window for the agent's CPU under the load without DNS
	rate       int           // offered rate of the p99 runs
	checks     int
	blocked    int
	sizes      []int
	catalog    int
	deployRate float64
	scenarios  map[string]bool
}

// besideFlags declares the beside phase's flags on fs; sizes and
// scenarios are parsed by finish.
func besideFlags(fs *flag.FlagSet, b *besideConfig, sizes, scenarios *string) {
	fs.IntVar(&b.rounds, "beside-rounds", 3, "beside phase: interleaved quiet and loaded rounds per scenario")
	fs.DurationVar(&b.duration, "beside-duration", 5*time.Second, "beside phase: length of one dnsperf run")
	fs.DurationVar(&b.idle, "beside-idle", 3*time.Second, "beside phase: window, before the DNS runs of each row, in which the agent's CPU is read under the scenario's load alone")
	fs.IntVar(&b.rate, "beside-rate", 10000, "beside phase: offered rate (queries/s) of the p99 runs; the loaded agent shares 2 cores with its load")
	fs.IntVar(&b.checks, "beside-checks", 1000, "beside phase, checks scenario: HTTP checks, two to a service (10 s interval, as BenchmarkHTTPChecks1000)")
	fs.IntVar(&b.blocked, "beside-blocked", 10000, "beside phase, blocked scenario: blocking HTTP reads held on the agent, woken by a catalog change every second")
	fs.StringVar(sizes, "beside-sizes", "16,64,128", "beside phase, gossip scenario: cluster sizes the agent joins")
	fs.IntVar(&b.catalog, "beside-catalog", 10000, "beside phase, gossip scenario: service instances in the cluster's catalog")
	fs.Float64Var(&b.deployRate, "beside-deploy-rate", 100, "beside phase, gossip scenario: rolling deploy, changes per second over the cluster")
	fs.StringVar(scenarios, "beside-scenarios", "checks,blocked,gossip", "beside phase: scenarios to run, comma-separated: checks, blocked, gossip")
}

// besideShort applies the -short defaults to the flags not given; def
// is parseConfig's "unless set" helper.
func besideShort(b *besideConfig, def func(string, func()), sizes *string) {
	def("beside-rounds", func() { b.rounds = 1 })
	def("beside-duration", func() { b.duration = time.Second })
	def("beside-idle", func() { b.idle = time.Second })
	def("beside-checks", func() { b.checks = 100 })
	def("beside-blocked", func() { b.blocked = 1000 })
	def("beside-sizes", func() { *sizes = "8" })
	def("beside-catalog", func() { b.catalog = 400 })
}

// finish parses the list flags and checks the bounds.
func (b *besideConfig) finish(sizes, scenarios string) error {
	b.sizes = nil
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 2 || n > 500 {
			return fmt.Errorf("-beside-sizes: %q is not a cluster size in 2-500", s)
		}
		b.sizes = append(b.sizes, n)
	}
	b.scenarios = map[string]bool{}
	for _, s := range strings.Split(scenarios, ",") {
		switch s = strings.TrimSpace(s); s {
		case "checks", "blocked", "gossip":
			b.scenarios[s] = true
		case "":
		default:
			return fmt.Errorf("-beside-scenarios: unknown scenario %q (use checks, blocked, gossip)", s)
		}
	}
	switch {
	case b.rounds < 1:
		return errors.New("-beside-rounds must be at least 1")
	case b.duration < time.Second || b.duration > 10*time.Second:
		return fmt.Errorf("-beside-duration %s is outside 1-10 s", b.duration)
	case b.idle <= 0:
		return errors.New("-beside-idle must be positive")
	case b.rate < 1:
		return errors.New("-beside-rate must be positive")
	case b.checks < 1 || b.blocked < 1 || b.catalog < 1 || b.deployRate <= 0:
		return errors.New("-beside-checks, -beside-blocked, -beside-catalog and -beside-deploy-rate must be positive")
	case b.blocked > 18000:
		return fmt.Errorf("-beside-blocked %d: at most 18,000 (the holder's and the agent's open-file limits)", b.blocked)
	}
	return nil
}
