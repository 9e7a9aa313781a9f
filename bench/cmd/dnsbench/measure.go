package main

import (
	"context"
	"fmt"
	"time"

	"github.com/discod/discod/bench/internal/dnsperf"
	"github.com/discod/discod/bench/internal/procstat"
	"github.com/discod/discod/bench/internal/runtimestats"
)

// load is how dnsperf drives a server in one kind of run.
type load struct {
	Kind        string // "max" (saturation) or "rate" (fixed offered rate)
	Duration    time.Duration
	Clients     int
	Threads     int
	Outstanding int
	QPS         int  // 0 for saturation
	Verbose     bool // per-query latencies (p50/p99)
	TCP         bool // queries over TCP
}

// sample is one dnsperf run against one server.
type sample struct {
	Server  string `json:"server"`
	Members int    `json:"members"`
	Round   int    `json:"round"`
	Kind    string `json:"kind"`

	QPS        float64 `json:"qps"`
	Completed  int64   `json:"completed"`
	Lost       int64   `json:"lost"`
	NoErrorPct float64 `json:"noerror_pct"`
	MeanUS     float64 `json:"mean_us"`
	P50US      float64 `json:"p50_us,omitempty"`
	P99US      float64 `json:"p99_us,omitempty"`
	P999US     float64 `json:"p999_us,omitempty"`
	MaxUS      float64 `json:"max_us"`

	// CPUPerQueryUS is the server's utime+stime over the run divided by
	// answered queries, in microseconds.
	CPUPerQueryUS float64 `json:"cpu_per_query_us"`
	// AllocsPerQuery is the server process's heap allocations over the
	// run divided by answered queries (everything: listener, chain, reply).
	AllocsPerQuery float64 `json:"allocs_per_query"`
	// BytesPerQuery is the same for allocated bytes.
	BytesPerQuery float64              `json:"bytes_per_query"`
	Runtime       runtimestats.Summary `json:"runtime"`
}

// measure runs dnsperf once against s and reads the server's CPU time and
// runtime counters around the run.
func measure(ctx context.Context, s *server, queries string, l load, round int) (sample, error) {
	smp := sample{Server: s.spec.Name, Members: s.spec.Members, Round: round, Kind: l.Kind}
	if err := s.mark(ctx); err != nil {
		return smp, err
	}
	u0, s0, err := procstat.CPUTime(s.pid())
	if err != nil {
		return smp, err
	}
	res, err := dnsperf.Run(ctx, dnsperf.Options{
		Server: s.spec.Addr.String(), Port: s.spec.Port, DataFile: queries, Duration: l.Duration,
		Clients: l.Clients, Threads: l.Threads, Outstanding: l.Outstanding, QPS: l.QPS, Verbose: l.Verbose, TCP: l.TCP,
	})
	if err != nil {
		return smp, fmt.Errorf("server %s: %w", s.spec.Name, err)
	}
	u1, s1, err := procstat.CPUTime(s.pid())
	if err != nil {
		return smp, err
	}
	rs, err := s.stats(ctx)
	if err != nil {
		return smp, err
	}
	smp.QPS = res.QPS
	smp.Completed = res.Completed
	smp.Lost = res.Lost
	smp.NoErrorPct = 100 * res.NoErrorShare()
	smp.MeanUS = us(res.Mean)
	smp.P50US, smp.P99US, smp.P999US = us(res.P50), us(res.P99), us(res.P999)
	smp.MaxUS = us(res.Max)
	smp.Runtime = rs
	if res.Completed > 0 {
		smp.CPUPerQueryUS = us((u1-u0)+(s1-s0)) / float64(res.Completed)
		smp.AllocsPerQuery = float64(rs.Allocs) / float64(res.Completed)
		smp.BytesPerQuery = float64(rs.AllocBytes) / float64(res.Completed)
	}
	if smp.NoErrorPct < 99 {
		return smp, fmt.Errorf("server %s: only %.2f%% of %d queries were answered NOERROR (%d lost): the server is broken or overloaded",
			s.spec.Name, smp.NoErrorPct, res.Sent, res.Lost)
	}
	return smp, nil
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// rounds runs l against every server in turn (A B C A B C ...) for n
// rounds and returns the samples in run order. progress gets one line
// per run.
func rounds(ctx context.Context, servers fleet, queries string, l load, n int, progress func(string)) ([]sample, error) {
	var out []sample
	for r := 1; r <= n; r++ {
		for _, s := range servers {
			smp, err := measure(ctx, s, queries, l, r)
			if err != nil {
				return out, err
			}
			progress(fmt.Sprintf("  round %d %-5s %-28s %9.0f qps  mean %6.0f us  p99 %6.0f us  cpu %5.2f us/q  allocs %5.1f/q  gcs %d",
				r, l.Kind, s.spec.Name, smp.QPS, smp.MeanUS, smp.P99US, smp.CPUPerQueryUS, smp.AllocsPerQuery, smp.Runtime.GCs))
			out = append(out, smp)
		}
	}
	return out, nil
}
