package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/discod/discod/membership"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The membership gauges are computed from the member table at scrape time,
// and the event counters read from the agent (membership.EventCounts), by
// memberCollector, registered in a registry of the Server's own
// (not the default one, so that several Servers, as in tests, never
// collide). GET /v1/agent/metrics serves that registry together with the
// process-wide default gatherer, which holds the Go runtime and process
// metrics and everything CoreDNS and plugin/consulnode register.
var (
	membersDesc = prometheus.NewDesc("discod_members",
		"Members in this agent's member table, by datacenter and status (alive, leaving, left, failed).",
		[]string{"datacenter", "status"}, nil)
	memberEventsDesc = prometheus.NewDesc("discod_member_events_total",
		"Membership events this agent observed since it started, by event (join, leave, failure, reap, conflict), "+
			"counted as its member table changes.",
		[]string{"event"}, nil)
)

// memberStatuses are the states reported by discod_members.
var memberStatuses = [...]membership.State{
	membership.StateAlive, membership.StateLeaving, membership.StateLeft, membership.StateFailed,
}

// memberCollector is a prometheus.Collector computing the membership
// metrics from an agent's table at every scrape.
type memberCollector struct {
	agent *membership.Agent
}

// Describe implements prometheus.Collector.
func (c *memberCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- membersDesc
	ch <- memberEventsDesc
}

// Collect implements prometheus.Collector. Every datacenter in the table
// and the local one get all four statuses, zeros included, so that a
// status that empties reads 0 rather than disappearing.
func (c *memberCollector) Collect(ch chan<- prometheus.Metric) {
	if c.agent == nil {
		return
	}
	local := c.agent.Config().Datacenter
	ms := c.agent.Table().Members()
	counts := map[string]*[len(memberStatuses)]int{local: new([len(memberStatuses)]int)}
	for _, m := range ms {
		dc := m.Datacenter
		if dc == "" {
			dc = local
		}
		n, ok := counts[dc]
		if !ok {
			n = new([len(memberStatuses)]int)
			counts[dc] = n
		}
		for i, s := range memberStatuses {
			if m.State == s {
				n[i]++
			}
		}
	}
	for dc, n := range counts {
		for i, s := range memberStatuses {
			ch <- prometheus.MustNewConstMetric(membersDesc, prometheus.GaugeValue, float64(n[i]), dc, s.String())
		}
	}
	ev := c.agent.EventCounts()
	for _, e := range []struct {
		name string
		n    uint64
	}{{"join", ev.Joins}, {"leave", ev.Leaves}, {"failure", ev.Failures}, {"reap", ev.Reaps}, {"conflict", ev.Conflicts}} {
		ch <- prometheus.MustNewConstMetric(memberEventsDesc, prometheus.CounterValue, float64(e.n), e.name)
	}
}

// metricsHandler returns the handler of GET /v1/agent/metrics:
// ?format=prometheus gives the Prometheus text format, no format Consul's
// JSON shape (Metrics).
func (s *Server) metricsHandler() http.HandlerFunc {
	reg := prometheus.NewRegistry()
	// A fresh registry and a collector with fixed, valid descriptors:
	// registration cannot fail.
	reg.MustRegister(&memberCollector{agent: s.Agent}, s.blockingCollector(), &catalogCollector{agent: s.Agent, local: s.Local, checks: s.CheckStats})
	gatherer := prometheus.Gatherers{prometheus.DefaultGatherer, reg}
	prom := promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return func(w http.ResponseWriter, r *http.Request) {
		switch f := r.URL.Query().Get("format"); f {
		case "prometheus":
			prom.ServeHTTP(w, r)
		case "":
			m, err := gatherJSON(gatherer, time.Now())
			if err != nil {
				httpError(w, http.StatusInternalServerError, err.Error())
				return
			}
			writeJSON(w, m)
		default:
			httpError(w, http.StatusBadRequest, fmt.Sprintf("unknown metrics format %q: want format=prometheus, or no format for JSON", f))
		}
	}
}

// blockingCollector returns the collector of the server's blocking-query
// metrics (metrics_blocking.go).
func (s *Server) blockingCollector() *blockingCollector {
	c := &blockingCollector{stats: &s.blockStats}
	if s.Agent != nil {
		c.store = s.Agent.Table()
	}
	return c
}
