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
		go holdOne(context.Background(), c, d, *agent, &wakeups, &errs)
	}
	fmt.Printf("sent %d\n", *n)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() && sc.Text() != "quit" {
	}
	// Exiting closes every connection.
	fmt.Printf("wakeups %d errors %d\n", wakeups.Load(), errs.Load())
	return 0
}

// holdOne keeps one blocking read in flight, first on c, until ctx ends
// (the holder process: until it exits). The first read (index 1) answers
// at once with the current index; every later answer is a wake-up. The
// agent answers a woken read with "Connection: close" (httpapi's parked
// reads), so the next read goes on a new connection from the same
// source, as an HTTP client's would; a failed connection counts as an
// error and is redialled after a second.
func holdOne(ctx context.Context, c net.Conn, d *net.Dialer, host string, wakeups, errs *atomic.Int64) {
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
		if !first {
			wakeups.Add(1)
		}
		if idx := resp.Header.Get("X-Consul-Index"); idx != "" {
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
