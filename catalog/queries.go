package catalog

import (
	"slices"
	"strings"
)

// This file holds the reads behind the catalog and health endpoints. Each
// takes a *WatchSet (nil for none), registers it on the keys its result
// depends on, and returns the result's index (watch.go). Only nodes in
// the catalog (Node.InCatalog) and their records are listed.

// Instance is one service instance with the node it runs on and every
// check that counts against it: the node's synthetic checks, the node's
// own checks and the instance's checks, sorted by check ID within each
// group.
type Instance struct {
	Node    Node
	Service Service
	Checks  []Check
}

// Status is the instance's aggregated status (AggregatedStatus).
func (in *Instance) Status() string { return AggregatedStatus(in.Checks) }

// ServiceNames returns every service name with the union of its tags,
// sorted, as GET /v1/catalog/services. A name spelled differently by
// different instances is listed under the spelling that sorts first.
func (s *Store) ServiceNames(ws *WatchSet) (map[string][]string, uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string][]string{}
	for _, set := range s.byService {
		name := ""
		var tags []string
		for ref := range set {
			n, r := s.resolve(ref.node)
			if n == nil || !n.InCatalog() {
				continue
			}
			svc := r.services[ref.id]
			if name == "" || svc.Name < name {
				name = svc.Name
			}
			tags = append(tags, svc.Tags...)
		}
		if name == "" {
			continue
		}
		slices.Sort(tags)
		out[name] = append([]string{}, slices.Compact(tags)...)
	}
	return out, s.watch(ws, KeyServices, KeyNodes)
}

// ServiceInstances returns the instances of service name (any case),
// sorted by node name and service ID.
func (s *Store) ServiceInstances(name string, ws *WatchSet) ([]Instance, uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Instance
	for ref := range s.byService[strings.ToLower(name)] {
		n, r := s.resolve(ref.node)
		if n == nil || !n.InCatalog() {
			continue
		}
		svc := r.services[ref.id]
		checks := NodeChecks(n)
		checks = append(checks, named(sortedChecks(r, ""), n.Name, func(c *Check) bool { return c.ServiceID == "" })...)
		checks = append(checks, named(sortedChecks(r, svc.ID), n.Name, nil)...)
		out = append(out, Instance{Node: *n, Service: *svc, Checks: checks})
	}
	slices.SortFunc(out, func(a, b Instance) int {
		if c := strings.Compare(a.Node.Name, b.Node.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Service.ID, b.Service.ID)
	})
	return out, s.watch(ws, KeyService(name))
}

// named fills in the node name of each check that keep accepts (all when
// keep is nil) and drops the others.
func named(cs []Check, node string, keep func(*Check) bool) []Check {
	out := cs[:0]
	for i := range cs {
		if keep != nil && !keep(&cs[i]) {
			continue
		}
		cs[i].Node = node
		out = append(out, cs[i])
	}
	return out
}

// NodeServices returns the node called name (any case) with its services
// sorted by ID; ok is false when the node is not in the catalog.
func (s *Store) NodeServices(name string, ws *WatchSet) (n Node, svcs []Service, ok bool, idx uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	key := strings.ToLower(name)
	idx = s.watch(ws, Key("node/"+key), Key("noderec/"+key))
	np, r := s.nodes[key], s.records[key]
	if np == nil {
		np, r = s.externalNamed(key)
	}
	if np == nil || !np.InCatalog() {
		return Node{}, nil, false, idx
	}
	if r != nil {
		svcs = sortedServices(r)
	}
	return *np, svcs, true, idx
}

// NodeChecks returns every check of the node called name (any case): the
// synthetic ones first, then its own sorted by ID. A node not in the
// catalog has none.
func (s *Store) NodeChecks(name string, ws *WatchSet) ([]Check, uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	key := strings.ToLower(name)
	idx := s.watch(ws, Key("node/"+key), Key("noderec/"+key))
	n := s.nodeNamed(key)
	if n == nil || !n.InCatalog() {
		return []Check{}, idx
	}
	return s.checksOf(key), idx
}

// nodeNamed returns the member or the visible external node called key
// (lower case); s.mu is held.
func (s *Store) nodeNamed(key string) *Node {
	if n := s.nodes[key]; n != nil {
		return n
	}
	n, _ := s.externalNamed(key)
	return n
}

// checksOf returns the checks of the node called key (lower case), a
// member or an external node; s.mu is held.
func (s *Store) checksOf(key string) []Check {
	n, r := s.nodes[key], s.records[key]
	if n == nil {
		n, r = s.externalNamed(key)
	}
	if n == nil {
		return nil
	}
	out := NodeChecks(n)
	if r != nil {
		out = append(out, named(sortedChecks(r, ""), n.Name, nil)...)
	}
	return out
}

// Checks returns every check of every node in the catalog whose status is
// state ("any" or "" for all), sorted by node name, as GET
// /v1/health/state/<state>.
func (s *Store) Checks(state string, ws *WatchSet) ([]Check, uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	keys := make([]string, 0, len(s.nodes))
	for k, n := range s.nodes {
		if n.InCatalog() {
			keys = append(keys, k)
		}
	}
	keys = append(keys, s.externalKeys()...)
	slices.Sort(keys)
	out := []Check{}
	for _, k := range keys {
		for _, c := range s.checksOf(k) {
			if state == "" || state == "any" || c.Status == state {
				out = append(out, c)
			}
		}
	}
	return out, s.watch(ws, KeyChecks)
}

// ServiceChecks returns the checks of every instance of service name (any
// case), not the node checks, as GET /v1/health/checks/<service>.
func (s *Store) ServiceChecks(name string, ws *WatchSet) ([]Check, uint64) {
	ins, idx := s.ServiceInstances(name, ws)
	out := []Check{}
	for i := range ins {
		for _, c := range ins[i].Checks {
			if c.ServiceID == ins[i].Service.ID && c.ServiceID != "" {
				out = append(out, c)
			}
		}
	}
	return out, idx
}
