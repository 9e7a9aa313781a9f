// Command tcpfloor measures the floor under issue #10's wake-up target on
// the machine it runs on: how long it takes to answer N idle loopback TCP
// connections at once, with nothing of discod in the way.
//
// A server process accepts N connections from a client process of its own
// (as BenchmarkBlockedRequests does), reads one small HTTP request from
// each, and then, at one instant, writes the same small HTTP/1.1 response
// (about 200 bytes, "Connection: close") to every connection and closes
// it — the least any HTTP/1.1 server can do to answer N blocked reads. The
// client reports the time from that instant to each connection's first
// byte. Modes:
//
//	-mode goroutines   one goroutine per connection, woken by one channel
//	                   close (how a Go server, discod's included, does it)
//	-mode loop         one goroutine writing and closing every connection
//	                   in turn (no scheduler in the way)
//	-close=false       write only, leave the connection open
//
// Usage:
//
//	go run ./bench/cmd/tcpfloor -n 10000 -rounds 3
//
// The figures are in docs/PERFORMANCE.md, "Blocking queries".
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 10000, "connections")
	rounds := flag.Int("rounds", 3, "rounds per mode")
	mode := flag.String("mode", "all", "goroutines, loop or all")
	closeConn := flag.Bool("close", true, "close each connection after its answer")
	addr := flag.String("client-of", "", "internal: run as the client of this server address")
	flag.Parse()
	raiseFileLimit()
	if *addr != "" {
		if err := client(*addr, *n); err != nil {
			fmt.Fprintln(os.Stderr, "tcpfloor client:", err)
			os.Exit(1)
		}
		return
	}
	modes := []string{*mode}
	if *mode == "all" {
		modes = []string{"goroutines", "loop"}
	}
	for _, m := range modes {
		for r := 1; r <= *rounds; r++ {
			line, err := round(m, *n, *closeConn)
			if err != nil {
				fmt.Fprintln(os.Stderr, "tcpfloor:", err)
				os.Exit(1)
			}
			fmt.Printf("mode=%s close=%v n=%d round=%d %s\n", m, *closeConn, *n, r, line)
		}
	}
}

// response is the answer every connection gets: the headers a blocking
// read's answer carries and a small JSON body.
var response = []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Consul-Index: 1234567\r\n" +
	"X-Consul-Knownleader: true\r\nX-Consul-Lastcontact: 0\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]")

// round runs one server and its client process and returns the client's
// figures and the server's time to write every answer.
func round(mode string, n int, closeConn bool) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	cmd := exec.Command(os.Args[0], "-n", strconv.Itoa(n), "-client-of", ln.Addr().String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start client: %w", err)
	}
	defer cmd.Wait()
	defer stdin.Close()

	start := make(chan struct{})
	var wg sync.WaitGroup
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := ln.Accept()
		if err != nil {
			return "", fmt.Errorf("accept: %w", err)
		}
		conns = append(conns, c)
		if mode != "goroutines" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answer(c, closeConn)
		}()
	}
	out := bufio.NewScanner(stdout)
	if !out.Scan() { // the client has sent every request
		return "", fmt.Errorf("client ended early")
	}
	for _, c := range conns { // read every request
		b := make([]byte, 512)
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Read(b); err != nil {
			return "", fmt.Errorf("read request: %w", err)
		}
	}
	t0 := time.Now()
	if _, err := fmt.Fprintln(stdin, t0.UnixNano()); err != nil {
		return "", err
	}
	close(start)
	if mode == "loop" {
		for _, c := range conns {
			answer(c, closeConn)
		}
	}
	wg.Wait()
	written := time.Since(t0)
	if !out.Scan() {
		return "", fmt.Errorf("client gave no figures")
	}
	if !closeConn {
		for _, c := range conns {
			c.Close()
		}
	}
	return fmt.Sprintf("%s server-all-written=%v", out.Text(), written.Round(time.Millisecond)), nil
}

func answer(c net.Conn, closeConn bool) {
	_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, _ = c.Write(response)
	if closeConn {
		_ = c.Close()
	}
}

// client opens n connections to addr, sends one request on each, and
// reports the time from the server's instant (read from standard input)
// to each first byte of an answer.
func client(addr string, n int) error {
	in := bufio.NewScanner(os.Stdin)
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return fmt.Errorf("dial %d: %w", i, err)
		}
		if _, err := c.Write([]byte("GET /v1/catalog/nodes?index=5&wait=10m HTTP/1.1\r\nHost: tcpfloor\r\n\r\n")); err != nil {
			return err
		}
		conns[i] = c
	}
	fmt.Println("sent")
	if !in.Scan() {
		return fmt.Errorf("no instant")
	}
	ns, err := strconv.ParseInt(in.Text(), 10, 64)
	if err != nil {
		return fmt.Errorf("instant %q: %w", in.Text(), err)
	}
	t0 := time.Unix(0, ns)
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			b := make([]byte, 1024)
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			if _, err := c.Read(b); err == nil {
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	fmt.Printf("first-byte p50=%v p99=%v max=%v\n", lat[n/2].Round(time.Millisecond),
		lat[n*99/100].Round(time.Millisecond), lat[n-1].Round(time.Millisecond))
	return nil
}

// raiseFileLimit lifts the soft open-file limit to the hard one: N
// connections need N descriptors on each side.
func raiseFileLimit() {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
}
