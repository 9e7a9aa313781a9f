package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/discod/discod/bench/internal/stats"
	"github.com/miekg/dns"
)

// startupResult is the start-up phase's outcome, in milliseconds.
type startupResult struct {
	Samples []float64 `json:"samples_ms"`
	Median  float64   `json:"median_ms"`
	P90     float64   `json:"p90_ms"`
	Min     float64   `json:"min_ms"`
	Max     float64   `json:"max_ms"`
	// InitMS is the sum of package init times (GODEBUG=inittrace=1) of
	// one extra start, and TopInits its largest contributors.
	InitMS   float64  `json:"init_ms"`
	TopInits []string `json:"top_inits"`
}

// phaseStartup measures exec → first DNS answer of `discod agent -dev`.
func phaseStartup(ctx context.Context, c config, bin string, rep *report, res *results, progress func(string)) error {
	discod := filepath.Join(bin, "discod")
	a := addr(200)
	progress(fmt.Sprintf("startup: %d starts of discod agent -dev on %s", c.startups, a))
	sr := &startupResult{}
	for i := 0; i < c.startups; i++ {
		d, _, err := startOnce(ctx, discod, a, nil)
		if err != nil {
			return err
		}
		sr.Samples = append(sr.Samples, float64(d)/float64(time.Millisecond))
		progress(fmt.Sprintf("  start %d: %.1f ms", i+1, sr.Samples[i]))
	}
	_, trace, err := startOnce(ctx, discod, a, []string{"GODEBUG=inittrace=1"})
	if err != nil {
		return err
	}
	sr.InitMS, sr.TopInits = parseInitTrace(trace)
	sorted := slices.Clone(sr.Samples)
	slices.Sort(sorted)
	sr.Median = stats.Median(sorted)
	sr.P90 = stats.Percentile(sorted, 90)
	sr.Min, sr.Max = stats.MinMax(sorted)
	res.Startup = sr

	rep.Printf("## Start-up: exec → first answer of `discod agent -dev` (%d starts)\n\n", c.startups)
	rep.Printf("`discod agent -dev -client %s -bind %s -node bench`, polled with A bench.node.consul over UDP every millisecond until it answers; then SIGTERM.\n\n", a, a)
	rep.Table([]string{"median ms", "p90 ms", "min ms", "max ms"}, [][]string{{f(sr.Median, 1), f(sr.P90, 1), f(sr.Min, 1), f(sr.Max, 1)}})
	rep.Printf("Package init (one start with GODEBUG=inittrace=1): %.1f ms in total; largest: %s.\n\n", sr.InitMS, strings.Join(sr.TopInits, ", "))
	res.verdict(rep, "start-up median, ms", sr.Median, "< 300", sr.Median < 300)
	rep.Printf("\n")
	return nil
}

// startOnce starts discod, waits for its first DNS answer and stops it.
// It returns the time from just before exec to the answer, and the
// process's standard error.
func startOnce(ctx context.Context, discod string, a interface{ String() string }, env []string) (time.Duration, []byte, error) {
	host := a.String()
	cmd := exec.Command(discod, "agent", "-dev", "-client", host, "-bind", host, "-node", "bench", "-log-level", "warn")
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	q := new(dns.Msg)
	q.SetQuestion("bench.node.consul.", dns.TypeA)
	client := &dns.Client{Net: "udp", Timeout: 20 * time.Millisecond}
	server := net.JoinHostPort(host, "8600")

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, nil, fmt.Errorf("start discod: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var took time.Duration
	deadline := start.Add(10 * time.Second)
	for {
		r, _, err := client.ExchangeContext(ctx, q, server)
		if err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0 {
			took = time.Since(start)
			break
		}
		select {
		case err := <-exited:
			return 0, stderr.Bytes(), fmt.Errorf("discod exited before answering DNS (%v): %s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-exited
			return 0, stderr.Bytes(), fmt.Errorf("discod did not answer DNS on %s within 10 s: %s", server, stderr.String())
		}
		time.Sleep(time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		return took, stderr.Bytes(), fmt.Errorf("discod did not stop within 15 s of SIGTERM")
	}
	return took, stderr.Bytes(), nil
}

// parseInitTrace sums "init PKG @T ms, X ms clock, ..." lines and names
// the five largest.
func parseInitTrace(b []byte) (float64, []string) {
	type ini struct {
		pkg string
		ms  float64
	}
	var all []ini
	total := 0.0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		// init github.com/x/y @1.2 ms, 0.034 ms clock, 1024 bytes, 12 allocs
		if len(fl) < 7 || fl[0] != "init" || fl[6] != "clock," {
			continue
		}
		ms, err := strconv.ParseFloat(fl[4], 64)
		if err != nil {
			continue
		}
		total += ms
		all = append(all, ini{fl[1], ms})
	}
	slices.SortFunc(all, func(a, b ini) int {
		switch {
		case a.ms > b.ms:
			return -1
		case a.ms < b.ms:
			return 1
		}
		return 0
	})
	var top []string
	for i := 0; i < len(all) && i < 5; i++ {
		top = append(top, fmt.Sprintf("%s %.1f ms", all[i].pkg, all[i].ms))
	}
	return total, top
}
