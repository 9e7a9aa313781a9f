package httpapi

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/membership"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

func TestMetricsPrometheus(t *testing.T) {
	ts, _ := newTestServer(t)
	resp, body := get(t, ts.URL+"/v1/agent/metrics?format=prometheus")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		"discod_http_blocked_requests 0",
		"# TYPE discod_http_blocking_wakeups_total counter",
		"discod_catalog_index ",
		"go_goroutines", // the default gatherer is served too
	} {
		if !strings.Contains(body, want) {
			t.Errorf("prometheus output lacks %q", want)
		}
	}
	// The member gauge is plugin/consulnode's coredns_consulnode_members
	// (tested there); this package must not serve a second one.
	for _, dup := range []string{"discod_members", "discod_member_events_total"} {
		if strings.Contains(body, dup) {
			t.Errorf("prometheus output has %s; the membership metrics are plugin/consulnode's", dup)
		}
	}
}

func TestMetricsJSON(t *testing.T) {
	ts, a := newTestServer(t)
	a.Table().Upsert(membership.Member{Name: "far", Addr: netip.MustParseAddr("127.0.4.4"), Datacenter: "dc2", State: membership.StateAlive})
	a.PublishDelta(catalog.Delta{To: catalog.Version{Epoch: 1, Seq: 1}})
	a.PublishDelta(catalog.Delta{From: catalog.Version{Epoch: 1, Seq: 1}, To: catalog.Version{Epoch: 1, Seq: 2}})
	resp, body := get(t, ts.URL+"/v1/agent/metrics")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var m Metrics
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse("2006-01-02 15:04:05 -0700 MST", m.Timestamp); err != nil {
		t.Errorf("Timestamp %q is not in Consul's format: %v", m.Timestamp, err)
	}
	gauge := func(name string, labels map[string]string) (float32, bool) {
		for _, g := range m.Gauges {
			if g.Name == name && equalLabels(g.Labels, labels) {
				return g.Value, true
			}
		}
		return 0, false
	}
	if _, ok := gauge("discod_catalog_index", map[string]string{}); !ok {
		t.Error("gauge discod_catalog_index missing from the JSON")
	}
	for _, g := range m.Gauges {
		if g.Name == "discod_members" {
			t.Errorf("gauge discod_members served; the member gauge is coredns_consulnode_members")
		}
	}
	if _, ok := gauge("go_goroutines", map[string]string{}); !ok {
		t.Error("runtime gauge go_goroutines missing from the JSON")
	}
	var published *SampledValue
	for i, c := range m.Counters {
		if c.Name == "discod_records_events_total" && c.Labels["event"] == "published" {
			published = &m.Counters[i]
		}
	}
	if published == nil || published.Count != 2 || published.Sum != 2 {
		t.Errorf("counter discod_records_events_total{event=published} = %+v; want Count and Sum 2", published)
	}
	if m.Points == nil || m.Samples == nil || m.Counters == nil {
		t.Errorf("Points, Samples and Counters must be arrays, not null: %s", body[:min(len(body), 200)])
	}

	resp, body = get(t, ts.URL+"/v1/agent/metrics?format=json")
	if resp.StatusCode != 400 || !strings.Contains(body, `unknown metrics format "json"`) {
		t.Errorf("format=json = %d %q; want 400 naming the format", resp.StatusCode, body)
	}
}

func equalLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestMetricNames runs promlint over discod's own metrics.
func TestMetricNames(t *testing.T) {
	a := testAgent(t)
	reg := prometheus.NewRegistry()
	s := &Server{Agent: a}
	if err := reg.Register(s.blockingCollector()); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(&catalogCollector{agent: a}); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 8 {
		t.Fatalf("gathered %d metric families; want 8 ("+
			"discod_http_blocked_requests, discod_http_blocking_wakeups_total, discod_catalog_index, "+
			"discod_catalog_services, discod_catalog_instances, discod_records_messages_total, "+
			"discod_records_bytes_total, discod_records_events_total)", len(mfs))
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// TestCatalogMetrics: services and instances by health follow the
// catalog.
func TestCatalogMetrics(t *testing.T) {
	ts, a := newTestServer(t)
	self := a.Local().Name
	a.Table().ReplaceRecords(self, catalog.Version{Epoch: 1, Seq: 1},
		[]catalog.Service{{ID: "web", Name: "web"}, {ID: "db", Name: "db"}},
		[]catalog.Check{{CheckID: "c", ServiceID: "db", Status: catalog.StatusWarning}})
	_, body := get(t, ts.URL+"/v1/agent/metrics?format=prometheus")
	for _, want := range []string{
		"discod_catalog_services 2",
		`discod_catalog_instances{health="passing"} 1`,
		`discod_catalog_instances{health="warning"} 1`,
		`discod_catalog_instances{health="critical"} 0`,
		`discod_records_messages_total{direction="sent",kind="delta"} 0`,
		`discod_records_messages_total{direction="sent",kind="exchange"} 0`,
		`discod_records_messages_total{direction="sent",kind="repair"} 0`,
		`discod_records_events_total{event="gap"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("prometheus output lacks %q", want)
		}
	}
}
