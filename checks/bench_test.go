package checks

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/servicedef"
)

// helperServerEnv makes TestHelperHTTPServer serve: the benchmark runs its
// HTTP server in a child process, so the benchmark process's CPU is the
// runner's alone.
const helperServerEnv = "DISCOD_CHECKS_HELPER_SERVER"

// TestHelperHTTPServer is not a test: run by BenchmarkHTTPChecks1000 with
// helperServerEnv set, it serves 200 OK on a loopback port, prints the
// address, and exits when its stdin closes.
func TestHelperHTTPServer(t *testing.T) {
	if os.Getenv(helperServerEnv) != "1" {
		t.Skip("the benchmark's server process")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(ln.Addr().String())
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok")
	})}
	go srv.Serve(ln)
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
}

// BenchmarkHTTPChecks1000 runs one Runner with 1,000 HTTP checks at a 10 s
// interval against one local HTTP server (in a child process) for a window
// (30 s; DISCOD_CHECKS_BENCH_WINDOW overrides) and reports the runner
// process's CPU (rusage), the peak heap in use and goroutines (also above
// the process's baseline before the checks start), open file descriptors,
// and the check runs. The machine's other load inflates the CPU figures. Run it alone:
//
//	go test -run '^$' -bench HTTPChecks1000 -benchtime 1x ./checks/
func BenchmarkHTTPChecks1000(b *testing.B) {
	const checks, interval = 1000, 10 * time.Second
	window := 30 * time.Second
	if s := os.Getenv("DISCOD_CHECKS_BENCH_WINDOW"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatalf("DISCOD_CHECKS_BENCH_WINDOW: %v", err)
		}
		window = d
	}

	server := exec.Command(os.Args[0], "-test.run=^TestHelperHTTPServer$")
	server.Env = append(os.Environ(), helperServerEnv+"=1")
	stdin, err := server.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := server.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := server.Start(); err != nil {
		b.Fatal(err)
	}
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("server address: %v", err)
	}
	url := "http://" + strings.TrimSpace(addr) + "/health"

	var runs, passing atomic.Int64
	r := New(Config{Result: func(_, status, _ string) {
		runs.Add(1)
		if status == "passing" {
			passing.Add(1)
		}
	}})

	for range b.N {
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		baseG := runtime.NumGoroutine()
		before := rusage(b)
		start := time.Now()
		for i := range checks {
			r.Start(servicedef.Check{ID: fmt.Sprint("web-", i), HTTP: url, Interval: interval})
		}
		var peakHeap uint64
		var peakG, peakFD int
		for time.Since(start) < window {
			time.Sleep(100 * time.Millisecond) // a sampling period, not a wait
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapInuse)
			peakG = max(peakG, runtime.NumGoroutine())
			peakFD = max(peakFD, openFDs())
		}
		elapsed := time.Since(start)
		after := rusage(b)
		cpu := after - before
		b.ReportMetric(cpu.Seconds()/elapsed.Seconds()*100, "cpu%")
		b.ReportMetric(float64(cpu.Microseconds())/float64(max(runs.Load(), 1)), "cpu-µs/run")
		b.ReportMetric(float64(peakHeap)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(peakHeap-min(peakHeap, base.HeapInuse))/(1<<20), "heap-added-MiB")
		b.ReportMetric(float64(peakG), "goroutines")
		b.ReportMetric(float64(peakG-baseG), "goroutines-added")
		b.ReportMetric(float64(peakFD), "fds")
		b.ReportMetric(float64(runs.Load())/elapsed.Seconds(), "runs/s")
		if p := passing.Load(); p != runs.Load() || p == 0 {
			b.Errorf("%d of %d runs passing", p, runs.Load())
		}
	}
	r.Close()
	stdin.Close()
	if err := server.Wait(); err != nil {
		b.Errorf("server: %v", err)
	}
	if u, ok := server.ProcessState.SysUsage().(*syscall.Rusage); ok {
		b.ReportMetric(float64(tv(u.Utime)+tv(u.Stime))/float64(time.Second)*1000, "server-cpu-ms")
	}
}

// rusage returns the process's user plus system CPU time.
func rusage(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return tv(u.Utime) + tv(u.Stime)
}

func tv(t syscall.Timeval) time.Duration {
	return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
}

// openFDs counts the process's open file descriptors (Linux; 0 elsewhere).
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(ents)
}
