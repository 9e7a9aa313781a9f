package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/discod/discod/membership"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The membership metrics are computed from the member table at scrape
// time by memberCollector, registered in a registry of the Server's own
// (not the default one, so that several Servers, as in tests, never
// collide). GET /v1/agent/metrics serves that registry together with the
// process-wide default gatherer, which holds the Go runtime and process
// metrics and everything CoreDNS and plugin/consulnode register.
var (
	membersDesc = prometheus.NewDesc("discod_members",
		"Members in this agent's member table, by datacenter and status (alive, leaving, left, failed).",
		[]string{"datacenter", "status"}, nil)
	memberEventsDesc = prometheus.NewDesc("discod_member_events_total",
		"Member state changes this agent observed in its member table, by event (join, leave, failure, reap). "+
			"Derived from the table at scrape time, so a change undone between two scrapes is missed.",
		[]string{"event"}, nil)
)

// memberStatuses are the states reported by discod_members.
var memberStatuses = [...]membership.State{
	membership.StateAlive, membership.StateLeaving, membership.StateLeft, membership.StateFailed,
}

// memberEvent is the event label of discod_member_events_total.
type memberEvent uint8

const (
	eventJoin    memberEvent = iota // became alive (first seen, or back from failed or left)
	eventLeave                      // became leaving or left (one event for both steps)
	eventFailure                    // became failed
	eventReap                       // removed from the table (reaped or pruned)
	numEvents
)

var eventNames = [numEvents]string{"join", "leave", "failure", "reap"}

// eventInto returns the event of a member entering state to from state
// from (StateNone for a member not seen before), if any.
func eventInto(from, to membership.State) (memberEvent, bool) {
	switch to {
	case membership.StateAlive:
		return eventJoin, true
	case membership.StateLeaving, membership.StateLeft:
		// alive → leaving → left is one graceful leave.
		return eventLeave, from != membership.StateLeaving
	case membership.StateFailed:
		return eventFailure, true
	}
	return 0, false
}

// seenState is what the event tracker last saw of a member.
type seenState struct {
	state   membership.State
	changed time.Time
}

// eventTracker derives event counts from successive snapshots of the
// member table. A member whose state or StateChanged differs from the last
// snapshot has changed state at least once since; the tracker counts the
// event of entering its current state. Intermediate states between two
// snapshots (alive → failed → alive in one scrape interval) are missed, so
// the counts are lower bounds. membership.Table has a change hook
// (onChange) that would make them exact; it is not exported yet.
type eventTracker struct {
	mu     sync.Mutex // guards seen and counts
	seen   map[string]seenState
	counts [numEvents]uint64
}

// observe compares ms (the whole table) with the previous snapshot and
// returns the updated counts.
func (t *eventTracker) observe(ms []membership.Member) [numEvents]uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen == nil {
		t.seen = make(map[string]seenState, len(ms))
	}
	present := make(map[string]bool, len(ms))
	for _, m := range ms {
		key := strings.ToLower(m.Name)
		present[key] = true
		prev, had := t.seen[key]
		if had && prev.state == m.State && prev.changed.Equal(m.StateChanged) {
			continue
		}
		t.seen[key] = seenState{state: m.State, changed: m.StateChanged}
		if ev, ok := eventInto(prev.state, m.State); ok {
			t.counts[ev]++
		}
	}
	for key := range t.seen {
		if !present[key] {
			delete(t.seen, key)
			t.counts[eventReap]++
		}
	}
	return t.counts
}

// memberCollector is a prometheus.Collector computing the membership
// metrics from an agent's table at every scrape.
type memberCollector struct {
	agent  *membership.Agent
	events eventTracker
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
	events := c.events.observe(ms)
	for ev, v := range events {
		ch <- prometheus.MustNewConstMetric(memberEventsDesc, prometheus.CounterValue, float64(v), eventNames[ev])
	}
}

// metricsHandler returns the handler of GET /v1/agent/metrics:
// ?format=prometheus gives the Prometheus text format, no format Consul's
// JSON shape (Metrics).
func (s *Server) metricsHandler() http.HandlerFunc {
	reg := prometheus.NewRegistry()
	// A fresh registry and a collector with fixed, valid descriptors:
	// registration cannot fail.
	reg.MustRegister(&memberCollector{agent: s.Agent})
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
