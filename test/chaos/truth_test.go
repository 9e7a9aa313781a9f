package chaos

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
)

// probe is what decides one check's status: a target's server running,
// or a TTL check being fed.
type probe struct {
	target *target
	ttl    *ttlFeed
}

func (p probe) passing() bool {
	if p.target != nil {
		return p.target.isUp()
	}
	return p.ttl.fed.Load()
}

// inst is one service instance the truth holds: registered from a config
// file, or over the API and acknowledged.
type inst struct {
	s      *slot
	id     string
	name   string
	port   int
	tags   []string
	checks []probe
	api    bool
}

func (in *inst) key() string { return in.s.name + "/" + in.id }

func (in *inst) healthy() bool {
	for _, p := range in.checks {
		if !p.passing() {
			return false
		}
	}
	return true
}

// truth is what every agent must answer once the cluster has converged:
// every slot's agent runs at its address, holding its file services and
// the API registrations it acknowledged (and did not lose to a fresh data
// dir).
type truth struct {
	mu    sync.Mutex
	insts map[string]*inst // by key()
	names map[string]bool  // every service name ever registered
	dead  map[string]bool  // keys deregistered (must never come back)
}

func newTruth() *truth {
	return &truth{insts: map[string]*inst{}, names: map[string]bool{}, dead: map[string]bool{}}
}

func (t *truth) add(in *inst) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.insts[in.key()] = in
	t.names[in.name] = true
	delete(t.dead, in.key())
}

// remove drops an instance; dead marks it as deregistered (it must not
// come back), as opposed to lost with a fresh data dir.
func (t *truth) remove(key string, dead bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.insts, key)
	if dead {
		t.dead[key] = true
	}
}

// apiInsts returns the API instances, of slot s only when s is not nil,
// in a stable order.
func (t *truth) apiInsts(s *slot) []*inst {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*inst
	for _, k := range slices.Sorted(maps.Keys(t.insts)) {
		in := t.insts[k]
		if in.api && (s == nil || in.s == s) {
			out = append(out, in)
		}
	}
	return out
}

// expect is the answers every agent (and the watchers) must give.
type expect struct {
	nodeA    map[string]string // lower-case node name → address
	a        map[string]string // service name → sorted addresses, or NXDOMAIN
	srv      map[string]string // healthy service name → sorted "port target"
	services map[string]string // service name with instances → sorted tags
	catalog  map[string]string // same names → sorted node/id/port
	health   map[string]string // same names → sorted node/id of the passing
	nodes    string            // sorted "name address" of every node
	dead     map[string]bool
}

// watchedService is the service whose health a watcher follows.
const watchedService = "web"

// expect computes the answers of datacenter dc, whose slots are slots;
// the slots in gone have left the cluster
// (a graceful leave): their node names are NXDOMAIN and their instances
// are nowhere.
func (t *truth) expect(dc string, slots []*slot, gone map[*slot]bool) *expect {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := &expect{nodeA: map[string]string{}, a: map[string]string{}, srv: map[string]string{},
		services: map[string]string{}, catalog: map[string]string{}, health: map[string]string{},
		dead: maps.Clone(t.dead)}
	var nodes []string
	for _, s := range slots {
		if gone[s] {
			e.nodeA[strings.ToLower(s.name)] = "NXDOMAIN"
			continue
		}
		e.nodeA[strings.ToLower(s.name)] = s.IP()
		nodes = append(nodes, s.name+" "+s.IP())
	}
	e.nodes = joinSorted(nodes)
	addrs := map[string]map[string]bool{}
	srv := map[string][]string{}
	tags := map[string]map[string]bool{}
	cat := map[string][]string{}
	health := map[string][]string{}
	for _, in := range t.insts {
		if gone[in.s] || in.s.dc != dc {
			continue
		}
		if tags[in.name] == nil {
			tags[in.name] = map[string]bool{}
		}
		for _, tg := range in.tags {
			tags[in.name][tg] = true
		}
		cat[in.name] = append(cat[in.name], fmt.Sprintf("%s/%s/%d", in.s.name, in.id, in.port))
		if in.healthy() {
			health[in.name] = append(health[in.name], in.s.name+"/"+in.id)
			if addrs[in.name] == nil {
				addrs[in.name] = map[string]bool{}
			}
			addrs[in.name][in.s.IP()] = true
			srv[in.name] = append(srv[in.name], fmt.Sprintf("%d %s.node.%s.consul.", in.port, strings.ToLower(in.s.name), dc))
		}
	}
	for name := range t.names {
		e.a[name] = "NXDOMAIN"
		if len(addrs[name]) > 0 {
			e.a[name] = joinSorted(slices.Collect(maps.Keys(addrs[name])))
			e.srv[name] = joinSorted(srv[name])
		}
	}
	for name := range cat {
		e.services[name] = joinSorted(slices.Collect(maps.Keys(tags[name])))
		e.catalog[name] = joinSorted(cat[name])
		e.health[name] = joinSorted(health[name])
	}
	return e
}

// joinSorted sorts ss and joins them with commas.
func joinSorted(ss []string) string {
	ss = slices.Clone(ss)
	sort.Strings(ss)
	return strings.Join(ss, ",")
}
