package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"

	"github.com/discod/discod/bench/internal/mdreport"
	"github.com/discod/discod/bench/internal/stats"
)

// report collects the Markdown the run prints and saves.
type report = mdreport.Report

// metric picks one number out of a sample.
type metric struct {
	name string
	get  func(sample) float64
}

var (
	mQPS    = metric{"QPS", func(s sample) float64 { return s.QPS }}
	mCPU    = metric{"CPU/query", func(s sample) float64 { return s.CPUPerQueryUS }}
	mMean   = metric{"mean latency", func(s sample) float64 { return s.MeanUS }}
	mP99    = metric{"p99 latency", func(s sample) float64 { return s.P99US }}
	mAllocs = metric{"allocs/query", func(s sample) float64 { return s.AllocsPerQuery }}
)

// pick returns the samples of server and kind (and members, if > 0).
func pick(samples []sample, server, kind string, members int) []sample {
	var out []sample
	for _, s := range samples {
		if s.Server == server && s.Kind == kind && (members == 0 || s.Members == members) {
			out = append(out, s)
		}
	}
	return out
}

// median of metric m over samples.
func median(samples []sample, m metric) float64 {
	xs := make([]float64, len(samples))
	for i, s := range samples {
		xs[i] = m.get(s)
	}
	return stats.Median(xs)
}

// ratio is a per-round ratio a/b of one metric and its summary.
type ratio struct {
	Name     string    `json:"name"`
	Metric   string    `json:"metric"`
	PerRound []float64 `json:"per_round"`
	Median   float64   `json:"median"`
	Min      float64   `json:"min"`
	Max      float64   `json:"max"`
}

// roundRatios divides a's metric by b's round by round; only rounds
// where both ran count, and only interleaved rounds are compared.
func roundRatios(samples []sample, kind, a, b string, members int, m metric) ratio {
	byRound := map[int]float64{}
	for _, s := range pick(samples, b, kind, members) {
		byRound[s.Round] = m.get(s)
	}
	r := ratio{Name: a + " / " + b, Metric: m.name}
	for _, s := range pick(samples, a, kind, members) {
		if d, ok := byRound[s.Round]; ok && d != 0 {
			r.PerRound = append(r.PerRound, m.get(s)/d)
		}
	}
	return r.summarise()
}

// summarise sets the median and range of r's per-round values.
func (r ratio) summarise() ratio {
	r.Median = stats.Median(r.PerRound)
	r.Min, r.Max = stats.MinMax(r.PerRound)
	return r
}

func (r ratio) cells() []string {
	per := make([]string, len(r.PerRound))
	for i, v := range r.PerRound {
		per[i] = fmt.Sprintf("%.3f", v)
	}
	return []string{r.Name, r.Metric, fmt.Sprintf("**%.3f**", r.Median), fmt.Sprintf("%.3f–%.3f", r.Min, r.Max), strings.Join(per, " ")}
}

var ratioHeader = []string{"ratio", "metric", "median", "range", "per round"}

// f formats a number with d decimals, "–" for NaN.
func f(v float64, d int) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.*f", d, v)
}

// machine describes the host for the report.
type machine struct {
	NProc   int    `json:"nproc"`
	CPU     string `json:"cpu"`
	Kernel  string `json:"kernel"`
	Go      string `json:"go"`
	DNSPerf string `json:"dnsperf"`
}

func describeMachine(dnsperfVersion string) machine {
	m := machine{NProc: runtime.NumCPU(), Go: runtime.Version(), DNSPerf: dnsperfVersion}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}
