package httpapi

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
)

// BenchmarkBlockedRequests holds many blocking reads of /v1/catalog/nodes
// in one agent, the clients in a process of their own (this test binary
// run again as TestBlockedRequestsClient), then makes one change that
// touches them all, with a catalog of 1 or 200 nodes, with blocked reads parked (park.go) and, for
// comparison, held in their handlers. It reports the agent's memory per blocked request
// (heap and stacks, after a GC) and the wake-up latency from the change to
// each client's first byte (p50, p99, max). Run it once per size:
//
//	go test -run '^$' -bench BlockedRequests -benchtime 1x ./httpapi/
func BenchmarkBlockedRequests(b *testing.B) {
	raiseNoFile(b)
	for _, mode := range []string{"parked", "handler"} {
		for _, nodes := range []int{1, 200} {
			for _, n := range []int{100, 1000, 10000} {
				b.Run(fmt.Sprintf("%s/nodes=%d/%d", mode, nodes, n), func(b *testing.B) {
					for range b.N {
						benchBlocked(b, n, nodes, mode == "handler")
					}
				})
			}
		}
	}
}

// raiseNoFile lifts the open-file limit to its hard limit: 10,000 held
// connections need 10,000 descriptors in each process.
func raiseNoFile(tb testing.TB) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Fatal(err)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Fatal(err)
	}
}

func benchBlocked(b *testing.B, n, nodes int, inHandler bool) {
	b.StopTimer()
	a := conformanceAgent(b, "bench-agent", "127.0.0.176")
	done := make(chan struct{})
	defer close(done)
	s := &Server{Agent: a, ListenAddr: netip.MustParseAddr("127.0.0.176"), Done: done, noPark: inHandler}
	ln, err := net.Listen("tcp", "127.0.0.176:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: s.Handler()}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	for i := 1; i < nodes; i++ {
		a.Table().Upsert(catalog.Node{Name: fmt.Sprintf("node-%d", i), Addr: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}),
			Datacenter: "dc1", State: catalog.StateAlive, Meta: map[string]string{"rack": "r1"}})
	}
	index := a.Table().NodesIndex(nil)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	cmd := exec.Command(os.Args[0], "-test.run=^TestBlockedRequestsClient$", "-test.v")
	cmd.Env = append(os.Environ(), "DISCOD_BENCH_CLIENT="+fmt.Sprintf("%s,%d,%d", ln.Addr(), n, index))
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	deadline := time.Now().Add(2 * time.Minute)
	for s.blockStats.blocked.Load() < int64(n) {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d requests blocked after 2 min", s.blockStats.blocked.Load(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	runtime.GC()
	var held runtime.MemStats
	runtime.ReadMemStats(&held)
	perReq := (float64(held.HeapInuse+held.StackInuse) - float64(before.HeapInuse+before.StackInuse)) / float64(n)
	stackPerReq := (float64(held.StackInuse) - float64(before.StackInuse)) / float64(n)
	goroutines := runtime.NumGoroutine()

	b.StartTimer()
	t0 := time.Now()
	a.Table().Upsert(catalog.Node{Name: "new-node", Addr: netip.MustParseAddr("127.0.0.190"), Datacenter: "dc1", State: catalog.StateAlive})
	for s.blockStats.blocked.Load() > 0 {
		runtime.Gosched()
	}
	allWoken := time.Since(t0)
	var lat []time.Duration
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		ns, err := strconv.ParseInt(strings.TrimPrefix(line, "woke "), 10, 64)
		if !strings.HasPrefix(line, "woke ") || err != nil {
			continue
		}
		lat = append(lat, time.Unix(0, ns).Sub(t0))
		if len(lat) == n {
			break
		}
	}
	b.StopTimer()
	if len(lat) != n {
		b.Fatalf("%d of %d clients woke", len(lat), n)
	}
	slices.Sort(lat)
	b.ReportMetric(perReq, "B/blocked")
	b.ReportMetric(stackPerReq, "stack-B/blocked")
	b.ReportMetric(float64(goroutines)/float64(n), "goroutines/blocked")
	b.ReportMetric(float64(lat[n/2].Microseconds())/1000, "p50-wake-ms")
	b.ReportMetric(float64(lat[n*99/100].Microseconds())/1000, "p99-wake-ms")
	b.ReportMetric(float64(lat[n-1].Microseconds())/1000, "max-wake-ms")
	b.ReportMetric(float64(s.blockStats.wakeups.Load()), "wakeups")
	b.ReportMetric(float64(allWoken.Microseconds())/1000, "all-woken-ms")
}

// TestBlockedRequestsClient is the client side of BenchmarkBlockedRequests,
// run in a process of its own; it skips unless DISCOD_BENCH_CLIENT is
// "addr,n,index". It opens n connections (from 127.0.0.177–127.0.0.189, to
// spread the source ports), sends a blocking read on each, and prints
// "woke <unix nanoseconds>" when each answer's first byte arrives.
func TestBlockedRequestsClient(t *testing.T) {
	env := os.Getenv("DISCOD_BENCH_CLIENT")
	if env == "" {
		t.Skip("the client half of BenchmarkBlockedRequests")
	}
	parts := strings.Split(env, ",")
	addr := parts[0]
	n, _ := strconv.Atoi(parts[1])
	raiseNoFile(t)
	req := "GET /v1/catalog/nodes?index=" + parts[2] + "&wait=5m HTTP/1.1\r\nHost: bench\r\n\r\n"
	conns := make([]net.Conn, n)
	for i := range conns {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(177+i%13))}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("conn %d: %v", i, err)
		}
		defer c.Close()
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatalf("conn %d: %v", i, err)
		}
		conns[i] = c
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	w := bufio.NewWriter(os.Stdout)
	for _, c := range conns {
		wg.Go(func() {
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Minute))
			var buf [1]byte
			if _, err := c.Read(buf[:]); err != nil {
				return
			}
			now := time.Now().UnixNano()
			mu.Lock()
			fmt.Fprintf(w, "woke %d\n", now)
			mu.Unlock()
		})
	}
	wg.Wait()
	_ = w.Flush()
}
