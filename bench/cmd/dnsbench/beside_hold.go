package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync/atomic"
	"time"
)

// runHold is `dnsbench hold`, the blocked scenario's client, a process
// of its own so that neither dnsperf nor the orchestrator pays for it: it
// opens -n connections to the agent (from -sources addresses starting at
// -from, to spread the source ports) and on each keeps one blocking read
// of /v1/catalog/services in flight, re-issued with the answer's
// X-Consul-Index after every wake-up, as Consul's clients do. It prints
// "sent N" once every connection has sent its first read, and on "quit"
// (or end of input) "wakeups W errors E" and exits. Go raises the soft
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
	var wakeups, errs atomic.Int64
	conns := make([]net.Conn, 0, *n)
	src := first
	for i := range *n {
		if i%*sources == 0 {
			src = first
		} else {
			src = src.Next()
		}
		d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0)), Timeout: 10 * time.Second}
		c, err := d.Dial("tcp", *agent)
		if err != nil {
			fmt.Fprintf(os.Stderr, "dnsbench hold: connection %d from %s: %v\n", i, src, err)
			return 1
		}
		conns = append(conns, c)
		go holdOne(c, *agent, &wakeups, &errs)
	}
	fmt.Printf("sent %d\n", len(conns))
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() && sc.Text() != "quit" {
	}
	fmt.Printf("wakeups %d errors %d\n", wakeups.Load(), errs.Load())
	for _, c := range conns {
		_ = c.Close()
	}
	return 0
}

// holdOne keeps one blocking read in flight on c until c fails. The
// first read (index 1) answers at once with the current index; every
// later answer is a wake-up.
func holdOne(c net.Conn, host string, wakeups, errs *atomic.Int64) {
	br := bufio.NewReader(c)
	index := "1"
	for first := true; ; first = false {
		if _, err := fmt.Fprintf(c, "GET /v1/catalog/services?index=%s&wait=5m HTTP/1.1\r\nHost: %s\r\n\r\n", index, host); err != nil {
			return
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			errs.Add(1)
			time.Sleep(time.Second) // as a client backs off; 429 is the agent's limit
			continue
		}
		if !first {
			wakeups.Add(1)
		}
		if idx := resp.Header.Get("X-Consul-Index"); idx != "" {
			index = idx
		}
	}
}
