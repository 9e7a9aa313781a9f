package httpapi

import (
	"github.com/discod/discod/catalog"
	"github.com/prometheus/client_golang/prometheus"
)

// The blocking-query metrics, beside the membership ones (metrics.go):
// read at scrape time from the Server's counters (blockStats) and the
// catalog store.
var (
	blockedDesc = prometheus.NewDesc("discod_http_blocked_requests",
		"HTTP reads (?index=&wait=) held by this agent now, waiting for their result to change.",
		nil, nil)
	wakeupsDesc = prometheus.NewDesc("discod_http_blocking_wakeups_total",
		"Times a held HTTP read was woken by a change to the catalog keys its result depends on.",
		nil, nil)
	catalogIndexDesc = prometheus.NewDesc("discod_catalog_index",
		"The catalog's index: raised by every change a reader could see (X-Consul-Index).",
		nil, nil)
)

// blockingCollector is a prometheus.Collector for the blocking-query
// metrics of one Server.
type blockingCollector struct {
	stats *blockStats
	store *catalog.Store
}

// Describe implements prometheus.Collector.
func (c *blockingCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- blockedDesc
	ch <- wakeupsDesc
	ch <- catalogIndexDesc
}

// Collect implements prometheus.Collector.
func (c *blockingCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(blockedDesc, prometheus.GaugeValue, float64(c.stats.blocked.Load()))
	ch <- prometheus.MustNewConstMetric(wakeupsDesc, prometheus.CounterValue, float64(c.stats.wakeups.Load()))
	if c.store != nil {
		ch <- prometheus.MustNewConstMetric(catalogIndexDesc, prometheus.GaugeValue, float64(c.store.Index()))
	}
}
