// Package dnsperf runs the dnsperf load generator (Debian package dnsperf)
// and parses what it prints: the summary statistics, and with Verbose the
// latency of every query, from which percentiles are computed.
package dnsperf

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/discod/discod/bench/internal/stats"
)

// ErrMissing is returned when the dnsperf binary is not on PATH.
var ErrMissing = errors.New("dnsperf is not installed (Debian: apt-get install dnsperf)")

// Path returns the dnsperf binary's path, or ErrMissing.
func Path() (string, error) {
	p, err := exec.LookPath("dnsperf")
	if err != nil {
		return "", ErrMissing
	}
	return p, nil
}

// Options are one dnsperf run.
type Options struct {
	Server   string        // server address (-s)
	Port     int           // server port (-p)
	DataFile string        // queries, one "name type" a line (-d)
	Duration time.Duration // run time (-l), whole seconds
	Clients  int           // simulated clients, i.e. source ports (-c)
	Threads  int           // client threads (-T)
	// Outstanding is the most queries in flight at once (-q); 0 keeps
	// dnsperf's default of 100.
	Outstanding int
	// QPS caps the offered rate (-Q); 0 sends as fast as answers come back.
	QPS int
	// Verbose asks for every query's latency (-v), from which Result's
	// percentiles are computed. It costs dnsperf CPU, so use it at a
	// fixed rate, not for saturation runs.
	Verbose bool
	// TCP sends the queries over TCP (-m tcp) instead of UDP.
	TCP bool
}

// Args returns the dnsperf command line for o.
func (o Options) Args() []string {
	secs := max(1, int(o.Duration.Round(time.Second)/time.Second))
	args := []string{"-s", o.Server, "-p", strconv.Itoa(o.Port), "-d", o.DataFile, "-l", strconv.Itoa(secs),
		"-c", strconv.Itoa(max(1, o.Clients)), "-T", strconv.Itoa(max(1, o.Threads))}
	if o.Outstanding > 0 {
		args = append(args, "-q", strconv.Itoa(o.Outstanding))
	}
	if o.QPS > 0 {
		args = append(args, "-Q", strconv.Itoa(o.QPS))
	}
	if o.Verbose {
		args = append(args, "-v")
	}
	if o.TCP {
		args = append(args, "-m", "tcp")
	}
	return args
}

// Result is what one run measured.
type Result struct {
	Sent, Completed, Lost int64
	// Rcodes counts responses by rcode name (NOERROR, NXDOMAIN, ...).
	Rcodes  map[string]int64
	RunTime time.Duration
	QPS     float64
	// Mean, StdDev, Min and Max latency as dnsperf reports them.
	Mean, StdDev, Min, Max time.Duration
	// With Verbose only: percentiles of the per-query latencies, and how
	// many latencies they were computed from.
	P50, P99, P999 time.Duration
	Samples        int
}

// Run runs dnsperf with o and parses its output.
func Run(ctx context.Context, o Options) (Result, error) {
	path, err := Path()
	if err != nil {
		return Result{}, err
	}
	// dnsperf's output goes to a file and is parsed after the run: reading
	// a pipe while it runs would put a busy reader on the same CPUs as the
	// server and dnsperf, and with -v that visibly raises the latency tail.
	out, err := os.CreateTemp("", "dnsperf-*.out")
	if err != nil {
		return Result{}, fmt.Errorf("dnsperf output file: %w", err)
	}
	defer func() {
		_ = out.Close()
		_ = os.Remove(out.Name())
	}()
	cmd := exec.CommandContext(ctx, path, o.Args()...)
	var stderr bytes.Buffer
	cmd.Stdout = out
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("dnsperf %s: %w: %s", strings.Join(o.Args(), " "), err, strings.TrimSpace(stderr.String()))
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return Result{}, fmt.Errorf("dnsperf output file: %w", err)
	}
	res, err := Parse(out)
	if err != nil {
		return res, fmt.Errorf("dnsperf %s: %w", strings.Join(o.Args(), " "), err)
	}
	return res, nil
}

// Parse reads dnsperf's standard output: "> RCODE name type latency"
// lines (with -v) and the closing statistics.
func Parse(r io.Reader) (Result, error) {
	res := Result{Rcodes: map[string]int64{}}
	var lat []float64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	sawStats := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "> ") {
			f := strings.Fields(line)
			if len(f) >= 5 {
				if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
					lat = append(lat, v)
				}
			}
			continue
		}
		key, val, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "Statistics":
			sawStats = true
		case "Queries sent":
			res.Sent = firstInt(val)
		case "Queries completed":
			res.Completed = firstInt(val)
		case "Queries lost":
			res.Lost = firstInt(val)
		case "Response codes":
			for _, part := range strings.Split(val, ",") {
				f := strings.Fields(part)
				if len(f) >= 2 {
					res.Rcodes[f[0]] = firstInt(f[1])
				}
			}
		case "Run time (s)":
			res.RunTime = seconds(firstFloat(val))
		case "Queries per second":
			res.QPS = firstFloat(val)
		case "Average Latency (s)":
			// 0.001236 (min 0.000018, max 0.011718)
			res.Mean = seconds(firstFloat(val))
			if _, rest, ok := strings.Cut(val, "min "); ok {
				res.Min = seconds(firstFloat(rest))
			}
			if _, rest, ok := strings.Cut(val, "max "); ok {
				res.Max = seconds(firstFloat(rest))
			}
		case "Latency StdDev (s)":
			res.StdDev = seconds(firstFloat(val))
		}
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("read dnsperf output: %w", err)
	}
	if !sawStats {
		return res, errors.New("dnsperf printed no statistics")
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		res.Samples = len(lat)
		res.P50 = seconds(stats.Percentile(lat, 50))
		res.P99 = seconds(stats.Percentile(lat, 99))
		res.P999 = seconds(stats.Percentile(lat, 99.9))
	}
	return res, nil
}

// NoErrorShare is the share of sent queries answered NOERROR.
func (r Result) NoErrorShare() float64 {
	if r.Sent == 0 {
		return 0
	}
	return float64(r.Rcodes["NOERROR"]) / float64(r.Sent)
}

func firstInt(s string) int64 {
	f := strings.Fields(s)
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(f[0], 10, 64)
	return n
}

func firstFloat(s string) float64 {
	f := strings.Fields(strings.NewReplacer(",", " ", ")", " ").Replace(s))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
