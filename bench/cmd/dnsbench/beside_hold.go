package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/discod/discod/bench/internal/stats"
)

// runHold is `dnsbench hold`, the blocked scenario's client, a process
// of its own so that neither dnsperf nor the orchestrator pays for it: it
// opens -n connections to the agent (from -sources addresses starting at
// -from, to spread the source ports) and on each keeps one blocking read
// of /v1/catalog/services in flight, re-issued with the answer's
// X-Consul-Index after every wake-up, as Consul's clients do. It prints
// "sent N" once every connection has sent its first read, and on "quit"
// (or end of input) "wakeups W errors E changes C spread_p50_ms X
// spread_max_ms Y" and exits: C changes woke at least half the reads, and
// the spread of one is the time from its first woken read's answer to its
// last one's (how long the agent takes to wake them all). Go raises the soft
// open-file limit to the hard one at start.
func runHold(args []string) int {
	fs := flag.NewFlagSet("dnsbench hold", flag.ContinueOnError)
	agent := fs.String("agent", "", "the agent's HTTP address, host:port")
	n := fs.Int("n", 1000, "blocking reads to hold")
	from := fs.String("from", "127.0.11.10", "first source address")
	sources := fs.Int("sources", 20, "source addresses, counted up from -from")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	first, err := netip.ParseAddr(*from)
	if err != nil || !first.Is4() || *agent == "" || *n < 1 || *sources < 1 {
		fmt.Fprintf(os.Stderr, "dnsbench hold: need -agent host:port, -n ≥ 1, -sources ≥ 1 and an IPv4 -from (got %q)\n", *from)
		return 2
	}
	var errs atomic.Int64
	wakes := newWakeLog()
	src := first
	for i := range *n {
		if i%*sources == 0 {
			src = first
		} else {
			src = src.Next()
		}
		d := &net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0)), Timeout: 10 * time.Second}
		c, err := d.Dial("tcp", *agent)
		if err != nil {
			fmt.Fprintf(os.Stderr, "dnsbench hold: connection %d from %s: %v\n", i, src, err)
			return 1
		}
		go holdOne(context.Background(), c, d, *agent, wakes, &errs)
	}
	fmt.Printf("sent %d\n", *n)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() && sc.Text() != "quit" {
	}
	// Exiting closes every connection.
	sp := wakes.spreads(*n / 2)
	p50, top := 0.0, 0.0
	if len(sp) > 0 {
		p50, top = stats.Median(sp), sp[len(sp)-1]
	}
	fmt.Printf("wakeups %d errors %d changes %d spread_p50_ms %.1f spread_max_ms %.1f\n", wakes.count(), errs.Load(), len(sp), p50, top)
	return 0
}

// holdOne keeps one blocking read in flight, first on c, until ctx ends
// (the holder process: until it exits). The first read (index 1) answers
// at once with the current index; every later answer is a wake-up. The
// agent answers a woken read with "Connection: close" (httpapi's parked
// reads), so the next read goes on a new connection from the same
// source, as an HTTP client's would; a failed connection counts as an
// error and is redialled after a second.
func holdOne(ctx context.Context, c net.Conn, d *net.Dialer, host string, wakes *wakeLog, errs *atomic.Int64) {
	index := "1"
	br := bufio.NewReader(c)
	c0 := c
	unwatch := context.AfterFunc(ctx, func() { _ = c0.Close() })
	drop := func() {
		unwatch()
		_ = c.Close()
		c = nil
	}
	pause := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Second):
			return true
		}
	}
	defer func() {
		if c != nil {
			drop()
		}
	}()
	for first := true; ctx.Err() == nil; first = false {
		if c == nil {
			nc, err := d.DialContext(ctx, "tcp", host)
			if err != nil {
				errs.Add(1)
				if !pause() {
					return
				}
				continue
			}
			c = nc
			br.Reset(c)
			unwatch = context.AfterFunc(ctx, func() { _ = nc.Close() })
		}
		resp, err := holdRead(c, br, host, index)
		if err != nil {
			drop()
			if ctx.Err() != nil {
				return
			}
			errs.Add(1)
			if !pause() {
				return
			}
			continue
		}
		if resp.Close {
			drop()
		}
		if resp.StatusCode != http.StatusOK {
			errs.Add(1)
			if !pause() { // as a client backs off; 429 is the agent's limit
				return
			}
			continue
		}
		idx := resp.Header.Get("X-Consul-Index")
		if !first {
			wakes.add(idx, time.Now())
		}
		if idx != "" {
			index = idx
		}
	}
}

// holdRead sends one blocking read on c and reads its answer.
func holdRead(c net.Conn, br *bufio.Reader, host, index string) (*http.Response, error) {
	if _, err := fmt.Fprintf(c, "GET /v1/catalog/services?index=%s&wait=5m HTTP/1.1\r\nHost: %s\r\n\r\n", index, host); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp, nil
}

// wakeLog records when held reads woke, by the index they woke to.
type wakeLog struct {
	mu      sync.Mutex
	byIndex map[string]*wakeSpan
	n       int
}

// wakeSpan is the reads that woke to one index.
type wakeSpan struct {
	first, last time.Time
	n           int
}

func newWakeLog() *wakeLog { return &wakeLog{byIndex: map[string]*wakeSpan{}} }

func (w *wakeLog) add(index string, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n++
	s := w.byIndex[index]
	if s == nil {
		w.byIndex[index] = &wakeSpan{first: at, last: at, n: 1}
		return
	}
	s.n++
	if at.Before(s.first) {
		s.first = at
	}
	if at.After(s.last) {
		s.last = at
	}
}

// count is every wake-up recorded.
func (w *wakeLog) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// spreads returns, for every index at least least reads woke to, the
// time from the first of them to the last in milliseconds, sorted.
func (w *wakeLog) spreads(least int) []float64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []float64
	for _, s := range w.byIndex {
		if s.n >= max(1, least) {
			out = append(out, float64(s.last.Sub(s.first))/float64(time.Millisecond))
		}
	}
	slices.Sort(out)
	return out
}
