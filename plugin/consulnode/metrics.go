package consulnode

import (
	"context"
	"sync"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/discod/discod/catalog"
	"github.com/discod/discod/membership"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	// lookups counts queries by what the plugin did with them.
	lookups = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "lookups_total",
		Help:      "Counter of queries handled, by result (answer, nodata, nxdomain, refused, passed, servfail).",
	}, []string{"server", "result"})

	// members is the member table by datacenter and status.
	members = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "members",
		Help:      "Gauge of members in the gossip member table, by datacenter and status.",
	}, []string{"datacenter", "status"})
)

// result is the result label of lookups_total.
type result uint8

const (
	resultAnswer   result = iota // records in the answer section
	resultNoData                 // NOERROR, empty answer, SOA
	resultNXDomain               // NXDOMAIN, SOA
	resultRefused                // REFUSED, left to the server to write
	resultPassed                 // handed to the next plugin
	resultServFail               // SERVFAIL: another datacenter could not be reached
	numResults
)

var resultNames = [numResults]string{"answer", "nodata", "nxdomain", "refused", "passed", "servfail"}

// counterCache holds the lookups_total children per server label, so that
// counting a query is a read-locked map lookup rather than a
// WithLabelValues call, which allocates.
type counterCache struct {
	mu sync.RWMutex // guards byServer
	// byServer maps a server address to its counters, indexed by result.
	byServer map[string]*[numResults]prometheus.Counter
}

func (c *counterCache) get(server string) *[numResults]prometheus.Counter {
	c.mu.RLock()
	cs, ok := c.byServer[server]
	c.mu.RUnlock()
	if ok {
		return cs
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs, ok := c.byServer[server]; ok {
		return cs
	}
	cs = new([numResults]prometheus.Counter)
	for i := range cs {
		cs[i] = lookups.WithLabelValues(server, resultNames[i])
	}
	if c.byServer == nil {
		c.byServer = map[string]*[numResults]prometheus.Counter{}
	}
	c.byServer[server] = cs
	return cs
}

// count adds one to lookups_total{server, result}.
func (cn *ConsulNode) count(ctx context.Context, r result) {
	cn.counters.get(serverLabel(ctx))[r].Inc()
}

// serverLabel returns the address of the server handling the request, as
// plugin/metrics's WithServer does ("dns://:53"), without importing
// plugin/metrics (which would pull in coremain and its flags).
func serverLabel(ctx context.Context) string {
	if s, ok := ctx.Value(dnsserver.Key{}).(*dnsserver.Server); ok {
		return s.Addr
	}
	return ""
}

// memberStatuses are the states reported by the members gauge.
var memberStatuses = [...]membership.State{
	membership.StateAlive, membership.StateLeaving, membership.StateLeft, membership.StateFailed,
}

// refresher keeps the members gauge up to date from one table until Stop.
// It waits on a watch set on the node list (catalog.Store.NodesIndex), so
// it recomputes the gauge when the table changed and sleeps otherwise; a
// burst of changes wakes it once.
type refresher struct {
	table *membership.Table
	dc    string          // local datacenter, for members that report none
	seen  map[string]bool // datacenters reported so far; only refresh touches it
	stop  chan struct{}
	done  chan struct{}
}

// startRefresher reports t at once and then after every change of its
// node list.
func startRefresher(t *membership.Table, dc string) *refresher {
	r := &refresher{table: t, dc: dc, seen: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	ws := r.watch()
	r.refresh()
	go r.run(ws)
	return r
}

// watch returns a watch set registered on the node list.
func (r *refresher) watch() *catalog.WatchSet {
	ws := catalog.NewWatchSet()
	r.table.NodesIndex(ws)
	return ws
}

// run refreshes after each change ws (registered before the last
// refresh, so that no change is missed) reports, until Stop.
func (r *refresher) run(ws *catalog.WatchSet) {
	defer close(r.done)
	for {
		select {
		case <-r.stop:
			ws.Close()
			return
		case <-ws.C():
		}
		ws.Close()
		ws = r.watch()
		r.refresh()
	}
}

// Stop ends the refresh goroutine and waits for it.
func (r *refresher) Stop() {
	close(r.stop)
	<-r.done
}

// refresh sets members{datacenter, status} for every datacenter seen so
// far, zero included, so a datacenter whose members were all reaped drops
// to zero instead of keeping stale counts.
func (r *refresher) refresh() {
	counts := map[string]*[len(memberStatuses)]int{}
	r.table.Each(func(m *membership.Member) {
		dc := m.Datacenter
		if dc == "" {
			dc = r.dc
		}
		c, ok := counts[dc]
		if !ok {
			c = new([len(memberStatuses)]int)
			counts[dc] = c
		}
		for i, s := range memberStatuses {
			if m.State == s {
				c[i]++
			}
		}
	})
	r.seen[r.dc] = true
	for dc := range counts {
		r.seen[dc] = true
	}
	for dc := range r.seen {
		c := counts[dc]
		for i, s := range memberStatuses {
			v := 0
			if c != nil {
				v = c[i]
			}
			members.WithLabelValues(dc, s.String()).Set(float64(v))
		}
	}
}
