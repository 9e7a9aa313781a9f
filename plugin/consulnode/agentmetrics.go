package consulnode

import (
	"sync"

	"github.com/coredns/coredns/plugin"
	"github.com/discod/discod/membership"
	"github.com/prometheus/client_golang/prometheus"
)

// memberEventsDesc describes coredns_consulnode_member_events_total, the
// agent's membership event counters (membership.EventCounts): discod's one
// copy of them, which its HTTP API serves through the default gatherer.
// The plugin reports them in both modes, for whichever agent it answers
// from.
var memberEventsDesc = prometheus.NewDesc(prometheus.BuildFQName(plugin.Namespace, pluginName, "member_events_total"),
	"Counter of membership events the gossip agent observed since it started, by event (join, leave, failure, reap, conflict).",
	[]string{"event"}, nil)

// agentEvents is the collector of the agents the plugin's instances use;
// registered once with the default registry, which the prometheus plugin
// serves.
var agentEvents = &eventCollector{agents: map[*membership.Agent]int{}}

func init() { prometheus.MustRegister(agentEvents) }

// eventCollector reports the event counters of the agents in use, read at
// scrape time. Several agents (blocks binding different addresses in a
// stock CoreDNS) are summed; usually there is one.
type eventCollector struct {
	mu     sync.Mutex // guards agents
	agents map[*membership.Agent]int
}

// use counts one plugin instance answering from a.
func (c *eventCollector) use(a *membership.Agent) {
	c.mu.Lock()
	c.agents[a]++
	c.mu.Unlock()
}

// drop undoes one use of a.
func (c *eventCollector) drop(a *membership.Agent) {
	c.mu.Lock()
	if c.agents[a]--; c.agents[a] <= 0 {
		delete(c.agents, a)
	}
	c.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (c *eventCollector) Describe(ch chan<- *prometheus.Desc) { ch <- memberEventsDesc }

// Collect implements prometheus.Collector. With no agent in use it
// reports nothing.
func (c *eventCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	var sum []membership.NamedCount
	for a := range c.agents {
		counts := a.EventCounts().Named()
		if sum == nil {
			sum = counts
			continue
		}
		for i := range sum {
			sum[i].N += counts[i].N
		}
	}
	c.mu.Unlock()
	for _, e := range sum {
		ch <- prometheus.MustNewConstMetric(memberEventsDesc, prometheus.CounterValue, float64(e.N), e.Name)
	}
}
