package consulnode

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/membership"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"

	"github.com/discod/discod/internal/testproc"
)

// TestMetricNames runs promlint over the plugin's metrics, as CoreDNS's
// test/metric_naming_test.go does for in-tree plugins.
func TestMetricNames(t *testing.T) {
	// Vector metrics only show up in a gather once they have a child.
	lookups.WithLabelValues("dns://:53", "answer").Add(0)
	members.WithLabelValues("dc1", "alive").Add(0)

	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var ours []*dto.MetricFamily
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "coredns_consulnode_") {
			ours = append(ours, mf)
		}
	}
	if len(ours) != 2 {
		t.Fatalf("found %d coredns_consulnode_ metric families; want 2 (lookups_total, members)", len(ours))
	}
	problems, err := promlint.NewWithMetricFamilies(ours).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// TestMembersGauge checks the gauge counts the table by datacenter and
// status, and drops a datacenter's counts to zero when it empties.
func TestMembersGauge(t *testing.T) {
	tbl := membership.NewTable()
	add := func(name, dc string, s membership.State) {
		tbl.Upsert(membership.Member{Name: name, Datacenter: dc, State: s, Addr: netip.MustParseAddr("10.9.0.1")})
	}
	add("g1", "gdc", membership.StateAlive)
	add("g2", "gdc", membership.StateAlive)
	add("g3", "gdc", membership.StateFailed)
	add("g4", "", membership.StateLeft) // no datacenter: counted in the local one
	add("g5", "gdc2", membership.StateLeaving)

	r := startRefresher(tbl, "gdc")
	defer r.Stop()
	gauge := func(dc, status string) float64 {
		t.Helper()
		var m dto.Metric
		if err := members.WithLabelValues(dc, status).Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetGauge().GetValue()
	}
	want := map[[2]string]float64{
		{"gdc", "alive"}: 2, {"gdc", "failed"}: 1, {"gdc", "left"}: 1, {"gdc", "leaving"}: 0,
		{"gdc2", "leaving"}: 1, {"gdc2", "alive"}: 0,
	}
	for k, v := range want {
		if got := gauge(k[0], k[1]); got != v {
			t.Errorf("members{datacenter=%q,status=%q} = %v; want %v", k[0], k[1], got, v)
		}
	}

	// The refresher follows the table without being asked.
	tbl.Remove("g5")
	testproc.WaitFor(t, 10*time.Second, "members{datacenter=gdc2,status=leaving} to drop to 0 after its last member went", func() bool {
		return gauge("gdc2", "leaving") == 0
	})
	add("g6", "gdc", membership.StateAlive)
	testproc.WaitFor(t, 10*time.Second, "members{datacenter=gdc,status=alive} to count a new member", func() bool {
		return gauge("gdc", "alive") == 3
	})
}
