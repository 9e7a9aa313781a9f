package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/discod/discod/membership"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The member event counters are read from the agent
// (membership.EventCounts) at scrape time by memberCollector, registered
// in a registry of the Server's own (not the default one, so that several
// Servers, as in tests, never collide). GET /v1/agent/metrics serves that
// registry together with the process-wide default gatherer, which holds
// the Go runtime and process metrics and everything CoreDNS and
// plugin/consulnode register.
//
// The member gauge is plugin/consulnode's coredns_consulnode_members
// {datacenter, status}, not one of this package: it is the one that every
// scrape path sees (CoreDNS's prometheus endpoint, metrics_addr in discod
// and a stock CoreDNS's own, and this endpoint through the default
// gatherer), while a gauge here would exist only on this endpoint. It
// exists while the plugin runs, which in discod is whenever DNS is served
// for the consul zones. Until the 0.1 series it was duplicated here as
// discod_members.
var memberEventsDesc = prometheus.NewDesc("discod_member_events_total",
	"Membership events this agent observed since it started, by event (join, leave, failure, reap, conflict), "+
		"counted as its member table changes.",
	[]string{"event"}, nil)

// memberCollector is a prometheus.Collector reading the member event
// counters from an agent at every scrape.
type memberCollector struct {
	agent *membership.Agent
}

// Describe implements prometheus.Collector.
func (c *memberCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- memberEventsDesc
}

// Collect implements prometheus.Collector.
func (c *memberCollector) Collect(ch chan<- prometheus.Metric) {
	if c.agent == nil {
		return
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
