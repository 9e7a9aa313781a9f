package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// GET /v1/agent/metrics serves a registry of the Server's own (not the
// default one, so that several Servers, as in tests, never collide)
// together with the process-wide default gatherer, which holds the Go
// runtime and process metrics and everything CoreDNS and plugin/consulnode
// register.
//
// The membership metrics are plugin/consulnode's: the gauge
// coredns_consulnode_members{datacenter, status} and the counter
// coredns_consulnode_member_events_total{event}, read from the agent at
// scrape time. They are the ones every scrape path sees (CoreDNS's
// prometheus endpoint, metrics_addr in discod and a stock CoreDNS's own,
// and this endpoint through the default gatherer), while copies here
// would exist only on this endpoint. They exist while the plugin runs,
// which in discod is whenever DNS is served for the consul zones. Until
// the 0.1 series they were duplicated here as discod_members and
// discod_member_events_total.

// metricsHandler returns the handler of GET /v1/agent/metrics:
// ?format=prometheus gives the Prometheus text format, no format Consul's
// JSON shape (Metrics).
func (s *Server) metricsHandler() http.HandlerFunc {
	reg := prometheus.NewRegistry()
	// A fresh registry and a collector with fixed, valid descriptors:
	// registration cannot fail.
	reg.MustRegister(s.blockingCollector(), &catalogCollector{agent: s.Agent, local: s.Local, checks: s.CheckStats})
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
