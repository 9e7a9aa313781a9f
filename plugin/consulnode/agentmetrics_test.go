package consulnode

import (
	"testing"

	"github.com/coredns/caddy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
)

// TestMemberEventsMetric: while an instance runs, the plugin reports its
// agent's event counters under a name promlint accepts, every event label
// present; after OnShutdown it reports none.
func TestMemberEventsMetric(t *testing.T) {
	cn, err := parse(caddy.NewTestController("dns", "consulnode {\n node ev1\n bind 127.0.2.60:0\n}"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cn.OnStartup(); err != nil {
		t.Fatal(err)
	}
	family := func() *dto.MetricFamily {
		t.Helper()
		mfs, err := prometheus.DefaultGatherer.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "coredns_consulnode_member_events_total" {
				return mf
			}
		}
		return nil
	}
	mf := family()
	if mf == nil {
		t.Fatal("no coredns_consulnode_member_events_total while an agent runs")
	}
	events := map[string]bool{}
	for _, m := range mf.GetMetric() {
		for _, l := range m.GetLabel() {
			events[l.GetValue()] = true
		}
	}
	for _, e := range []string{"join", "leave", "failure", "reap", "conflict"} {
		if !events[e] {
			t.Errorf("no member_events_total{event=%q}", e)
		}
	}
	if n := eventCount(t, "join"); n < 1 {
		t.Errorf("member_events_total{event=join} = %v; want at least 1 (the agent itself)", n)
	}
	problems, err := promlint.NewWithMetricFamilies([]*dto.MetricFamily{mf}).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	if err := cn.OnShutdown(); err != nil {
		t.Fatal(err)
	}
	if family() != nil {
		t.Error("coredns_consulnode_member_events_total still reported after the last instance stopped")
	}
}
