package httpapi

import (
	"github.com/discod/discod/catalog"
	"github.com/discod/discod/checks"
	"github.com/discod/discod/local"
	"github.com/discod/discod/membership"
	"github.com/prometheus/client_golang/prometheus"
)

// The catalog's metrics, computed at scrape time: services and instances
// by health as this agent sees the datacenter, this agent's own checks by
// status, and the traffic of the records transport that spreads them
// (membership's RecordsCounts).
var (
	catalogServicesDesc = prometheus.NewDesc("discod_catalog_services",
		"Service names in this agent's catalog.", nil, nil)
	catalogInstancesDesc = prometheus.NewDesc("discod_catalog_instances",
		"Service instances in this agent's catalog, by aggregated health (passing, warning, critical, maintenance).",
		[]string{"health"}, nil)
	localChecksDesc = prometheus.NewDesc("discod_local_checks",
		"Checks this agent owns and runs, by status (passing, warning, critical).", []string{"status"}, nil)
	recordsMessagesDesc = prometheus.NewDesc("discod_records_messages_total",
		"Messages of the records transport that spreads services and checks, by kind (delta, set, pull, digest, exchange, repair: a pull answered with the missing changes) and direction (sent, received).",
		[]string{"kind", "direction"}, nil)
	recordsBytesDesc = prometheus.NewDesc("discod_records_bytes_total",
		"Bytes of records transport messages, by direction (sent, received).", []string{"direction"}, nil)
	checkRunsDesc = prometheus.NewDesc("discod_check_runs_total",
		"Runs of this agent's active checks (http, tcp, udp, grpc, h2ping, script).", nil, nil)
	checkRunSecondsDesc = prometheus.NewDesc("discod_check_run_seconds_total",
		"Time spent in runs of this agent's active checks.", nil, nil)
	checkChangesDesc = prometheus.NewDesc("discod_check_status_changes_total",
		"Status changes of this agent's active checks, after flap dampening.", nil, nil)
	recordsEventsDesc = prometheus.NewDesc("discod_records_events_total",
		"Records transport events: published (local changes handed to gossip), applied (deltas applied), stale (deltas already held), "+
			"gap (a missed change that led to a pull), drop (a message not sent: a queue was full), malformed (a message that could not be decoded).",
		[]string{"event"}, nil)
)

var healthStatuses = [...]string{catalog.StatusPassing, catalog.StatusWarning, catalog.StatusCritical, catalog.StatusMaintenance}

// catalogCollector is a prometheus.Collector computing the catalog
// metrics at every scrape.
type catalogCollector struct {
	agent  *membership.Agent
	local  *local.State        // nil: no local checks reported
	checks func() checks.Stats // nil: no check runs reported
}

// Describe implements prometheus.Collector.
func (c *catalogCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{catalogServicesDesc, catalogInstancesDesc, localChecksDesc,
		recordsMessagesDesc, recordsBytesDesc, recordsEventsDesc, checkRunsDesc, checkRunSecondsDesc, checkChangesDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. Every health and status is
// reported, zeros included.
func (c *catalogCollector) Collect(ch chan<- prometheus.Metric) {
	if c.agent == nil {
		return
	}
	store := c.agent.Table()
	names, _ := store.ServiceNames(nil)
	ch <- prometheus.MustNewConstMetric(catalogServicesDesc, prometheus.GaugeValue, float64(len(names)))
	byHealth := map[string]int{}
	for name := range names {
		ins, _ := store.ServiceInstances(name, nil)
		for i := range ins {
			byHealth[ins[i].Status()]++
		}
	}
	for _, h := range healthStatuses {
		ch <- prometheus.MustNewConstMetric(catalogInstancesDesc, prometheus.GaugeValue, float64(byHealth[h]), h)
	}
	if c.local != nil {
		byStatus := map[string]int{}
		for _, chk := range c.local.Checks() {
			byStatus[chk.Status]++
		}
		for _, st := range healthStatuses[:3] {
			ch <- prometheus.MustNewConstMetric(localChecksDesc, prometheus.GaugeValue, float64(byStatus[st]), st)
		}
	}
	if c.checks != nil {
		st := c.checks()
		ch <- prometheus.MustNewConstMetric(checkRunsDesc, prometheus.CounterValue, float64(st.Runs))
		ch <- prometheus.MustNewConstMetric(checkRunSecondsDesc, prometheus.CounterValue, st.RunTime.Seconds())
		ch <- prometheus.MustNewConstMetric(checkChangesDesc, prometheus.CounterValue, float64(st.StatusChanges))
	}
	rc := c.agent.RecordsCounts()
	for _, m := range []struct {
		kind, dir string
		n         uint64
	}{
		{"delta", "sent", rc.DeltasSent}, {"delta", "received", rc.DeltasReceived},
		{"set", "sent", rc.SetsSent}, {"set", "received", rc.SetsReceived},
		{"pull", "sent", rc.PullsSent}, {"pull", "received", rc.PullsServed},
		{"digest", "sent", rc.DigestsSent}, {"digest", "received", rc.DigestsReceived},
		{"exchange", "sent", rc.ExchangesSent}, {"exchange", "received", rc.ExchangesReceived},
		{"repair", "sent", rc.RepairsSent},
	} {
		ch <- prometheus.MustNewConstMetric(recordsMessagesDesc, prometheus.CounterValue, float64(m.n), m.kind, m.dir)
	}
	ch <- prometheus.MustNewConstMetric(recordsBytesDesc, prometheus.CounterValue, float64(rc.BytesSent), "sent")
	ch <- prometheus.MustNewConstMetric(recordsBytesDesc, prometheus.CounterValue, float64(rc.BytesReceived), "received")
	for _, e := range []struct {
		name string
		n    uint64
	}{
		{"published", rc.DeltasPublished}, {"applied", rc.DeltasApplied}, {"stale", rc.DeltasStale},
		{"gap", rc.DeltaGaps}, {"drop", rc.Drops}, {"malformed", rc.Malformed},
	} {
		ch <- prometheus.MustNewConstMetric(recordsEventsDesc, prometheus.CounterValue, float64(e.n), e.name)
	}
}
