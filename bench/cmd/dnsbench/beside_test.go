package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseProm(t *testing.T) {
	in := "# HELP discod_catalog_instances Service instances.\n" +
		"# TYPE discod_catalog_instances gauge\n" +
		"discod_catalog_instances{health=\"critical\"} 3\n" +
		"discod_catalog_instances{health=\"passing\"} 398\n" +
		"discod_records_events_total{event=\"applied\"} 307\n" +
		"discod_records_events_total{event=\"stale\"} 2\n" +
		"discod_http_blocked_requests 1000\n" +
		"go_gc_duration_seconds{quantile=\"0.5\"} 1.5e-05\n"
	m, err := parseProm(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		metric string
		labels []string
		want   float64
	}{
		{"gauge summed over labels", "discod_catalog_instances", nil, 401},
		{"one label", "discod_records_events_total", []string{`event="applied"`}, 307},
		{"no labels", "discod_http_blocked_requests", nil, 1000},
		{"float", "go_gc_duration_seconds", nil, 1.5e-05},
		{"absent", "discod_check_runs_total", nil, 0},
		{"prefix is not the name", "discod_catalog", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.sum(tt.metric, tt.labels...); got != tt.want {
				t.Errorf("sum(%s, %v) = %v; want %v", tt.metric, tt.labels, got, tt.want)
			}
		})
	}
	if _, err := parseProm(strings.NewReader("novalue\n")); err == nil {
		t.Error("a line without a value parsed")
	}
	if _, err := parseProm(strings.NewReader("x{a=\"b\"} notanumber\n")); err == nil {
		t.Error("a non-numeric value parsed")
	}
}

func TestParseConfigBeside(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(c config) string
		wantErr bool
	}{
		{"defaults", nil, func(c config) string {
			b := c.beside
			if b.rounds != 3 || b.checks != 1000 || b.blocked != 10000 || fmt.Sprint(b.sizes) != "[16 64 128]" || b.rate != 10000 ||
				!b.scenarios["checks"] || !b.scenarios["blocked"] || !b.scenarios["gossip"] || !c.phases["beside"] {
				return fmt.Sprintf("%+v", b)
			}
			return ""
		}, false},
		{"short", []string{"-short"}, func(c config) string {
			b := c.beside
			if b.rounds != 1 || b.checks != 100 || b.blocked != 1000 || fmt.Sprint(b.sizes) != "[8]" || b.catalog != 400 || b.duration != time.Second {
				return fmt.Sprintf("%+v", b)
			}
			return ""
		}, false},
		{"short keeps given flags", []string{"-short", "-beside-rounds", "2", "-beside-sizes", "4,6"}, func(c config) string {
			if c.beside.rounds != 2 || fmt.Sprint(c.beside.sizes) != "[4 6]" {
				return fmt.Sprintf("%+v", c.beside)
			}
			return ""
		}, false},
		{"one scenario", []string{"-phases", "beside", "-beside-scenarios", "blocked"}, func(c config) string {
			if len(c.beside.scenarios) != 1 || !c.beside.scenarios["blocked"] || len(c.phases) != 1 {
				return fmt.Sprintf("%+v %v", c.beside.scenarios, c.phases)
			}
			return ""
		}, false},
		{"unknown scenario", []string{"-beside-scenarios", "checks,bogus"}, nil, true},
		{"bad size", []string{"-beside-sizes", "1"}, nil, true},
		{"too many blocked", []string{"-beside-blocked", "20000"}, nil, true},
		{"zero rounds", []string{"-beside-rounds", "0"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseConfig(%v) error = %v; want error %v", tt.args, err, tt.wantErr)
			}
			if err == nil && tt.check != nil {
				if msg := tt.check(c); msg != "" {
					t.Errorf("parseConfig(%v): %s", tt.args, msg)
				}
			}
		})
	}
}

func TestBesideRatios(t *testing.T) {
	var samples []sample
	add := func(row string, round int, qps, cpu, p99 float64) {
		samples = append(samples,
			sample{Server: "agent", Kind: besideKind("checks", row, "max"), Round: round, QPS: qps, CPUPerQueryUS: cpu},
			sample{Server: "agent", Kind: besideKind("checks", row, "rate"), Round: round, P99US: p99})
	}
	add("quiet", 1, 100, 10, 200)
	add("loaded", 1, 80, 12, 300)
	add("quiet", 2, 100, 10, 200)
	add("loaded", 2, 90, 11, 100)
	add("loaded", 3, 50, 50, 50) // no quiet round 3: not compared
	rs := besideRatios(samples, "checks", "loaded")
	want := []struct {
		metric   string
		perRound string
	}{{"QPS", "[0.8 0.9]"}, {"CPU/query", "[1.2 1.1]"}, {"p99 latency", "[1.5 0.5]"}}
	if len(rs) != len(want) {
		t.Fatalf("got %d ratios; want %d", len(rs), len(want))
	}
	for i, w := range want {
		t.Run(w.metric, func(t *testing.T) {
			r := rs[i]
			if r.Metric != w.metric || fmt.Sprintf("%.1f", r.PerRound) != w.perRound || r.Name != "[checks] loaded / quiet" {
				t.Errorf("ratio %d = %+v; want %s per round %s", i, r, w.metric, w.perRound)
			}
		})
	}
}

func TestBesideScenarioRows(t *testing.T) {
	rows := []besideRow{
		{Scenario: "gossip-8", Row: "quiet", Round: 1}, {Scenario: "gossip-8", Row: "rest", Round: 1}, {Scenario: "gossip-8", Row: "deploy", Round: 1},
		{Scenario: "gossip-8", Row: "quiet", Round: 2}, {Scenario: "checks", Row: "quiet", Round: 1}, {Scenario: "checks", Row: "loaded", Round: 1},
	}
	order, by := besideScenarioRows(rows)
	if fmt.Sprint(order) != "[gossip-8 checks]" || fmt.Sprint(by["gossip-8"]) != "[quiet rest deploy]" || fmt.Sprint(by["checks"]) != "[quiet loaded]" {
		t.Errorf("order %v, rows %v", order, by)
	}
	if got := rowMedian(rows, "gossip-8", "quiet", func(r besideRow) float64 { return float64(r.Round) }); got != 1.5 {
		t.Errorf("rowMedian = %v; want 1.5", got)
	}
}

// TestHoldOne runs the holder's loop against a server that, like the
// agent's parked reads, answers a woken read with Connection: close: the
// holder must reconnect and keep a read in flight.
func TestHoldOne(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var index atomic.Int64
	index.Store(5)
	wake := make(chan struct{}, 10)
	var held atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("index") == fmt.Sprint(index.Load()) {
			held.Add(1)
			select {
			case <-wake:
				index.Add(1)
			case <-r.Context().Done():
				return
			}
			w.Header().Set("Connection", "close")
		}
		w.Header().Set("X-Consul-Index", fmt.Sprint(index.Load()))
		_, _ = w.Write([]byte("{}"))
	})}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()

	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	var errs atomic.Int64
	wakes := newWakeLog()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		holdOne(ctx, c, d, ln.Addr().String(), wakes, &errs)
	}()
	defer func() {
		cancel()
		<-done
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not after 10 s (wakeups %d, errors %d, held %d)", what, wakes.count(), errs.Load(), held.Load())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	for i := int64(1); i <= 3; i++ {
		waitFor(fmt.Sprintf("read %d held", i), func() bool { return held.Load() == i })
		wake <- struct{}{}
		waitFor(fmt.Sprintf("wake-up %d", i), func() bool { return int64(wakes.count()) == i })
	}
	if errs.Load() != 0 {
		t.Errorf("errors = %d; want 0", errs.Load())
	}
	// A server that goes away is an error, and the holder keeps trying.
	_ = srv.Close()
	waitFor("the failure seen", func() bool { return errs.Load() > 0 })
}

func TestWakeLog(t *testing.T) {
	w := newWakeLog()
	t0 := time.Unix(1000, 0)
	w.add("7", t0.Add(30*time.Millisecond))
	w.add("7", t0)
	w.add("7", t0.Add(10*time.Millisecond))
	w.add("8", t0.Add(time.Second))
	if w.count() != 4 {
		t.Errorf("count = %d; want 4", w.count())
	}
	if got := fmt.Sprint(w.spreads(2)); got != "[30]" {
		t.Errorf("spreads(2) = %s; want [30] (index 8 woke one read)", got)
	}
	if got := fmt.Sprint(w.spreads(0)); got != "[0 30]" {
		t.Errorf("spreads(0) = %s; want [0 30]", got)
	}
}
