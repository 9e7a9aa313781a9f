package dnsperf

import (
	"strings"
	"testing"
	"time"
)

const sample = `DNS Performance Testing Tool
Version 2.10.0

[Status] Command line: dnsperf -s 127.0.9.1 -p 8653 -d q.txt -l 1 -Q 1000 -v
> NOERROR node0.node.consul A 0.002020
> NOERROR node1.node.consul A 0.000980
> NXDOMAIN node2.node.consul A 0.000122
> NOERROR node3.node.consul A 0.000139
[Status] Testing complete (time limit)

Statistics:

  Queries sent:         4
  Queries completed:    4 (100.00%)
  Queries lost:         0 (0.00%)

  Response codes:       NOERROR 3 (75.00%), NXDOMAIN 1 (25.00%)
  Average packet size:  request 36, response 71
  Run time (s):         2.000233
  Queries per second:   70935.236045

  Average Latency (s):  0.001236 (min 0.000018, max 0.011718)
  Latency StdDev (s):   0.000809
`

func TestParse(t *testing.T) {
	r, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"sent", r.Sent, int64(4)},
		{"completed", r.Completed, int64(4)},
		{"noerror", r.Rcodes["NOERROR"], int64(3)},
		{"nxdomain", r.Rcodes["NXDOMAIN"], int64(1)},
		{"qps", r.QPS, 70935.236045},
		{"mean", r.Mean, 1236 * time.Microsecond},
		{"min", r.Min, 18 * time.Microsecond},
		{"max", r.Max, 11718 * time.Microsecond},
		{"samples", r.Samples, 4},
		{"p50", r.P50, 139 * time.Microsecond},
		{"p99", r.P99, 2020 * time.Microsecond},
		{"noerror share", r.NoErrorShare(), 0.75},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("%s = %v; want %v", c.name, c.got, c.want)
			}
		})
	}
}

func TestParseNoStatistics(t *testing.T) {
	if _, err := Parse(strings.NewReader("Error: could not open\n")); err == nil {
		t.Error("Parse of output without statistics succeeded; want an error")
	}
}

func TestArgs(t *testing.T) {
	o := Options{Server: "127.0.9.1", Port: 8653, DataFile: "q", Duration: 10 * time.Second, Clients: 4, Threads: 2, QPS: 20000, Verbose: true}
	got := strings.Join(o.Args(), " ")
	want := "-s 127.0.9.1 -p 8653 -d q -l 10 -c 4 -T 2 -Q 20000 -v"
	if got != want {
		t.Errorf("Args = %q; want %q", got, want)
	}
}
