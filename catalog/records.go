package catalog

import (
	"maps"
	"slices"
	"strings"
)

// Version orders the record sets one owner publishes. Epoch is new at
// every run of the owning agent and larger than any earlier run's (its
// start time in nanoseconds); Seq counts the owner's changes within the
// run. A record set or delta is applied only when it is newer than what a
// store holds, so an old run never overwrites a newer one.
type Version struct {
	Epoch, Seq uint64
}

// Less reports whether v is older than o.
func (v Version) Less(o Version) bool {
	return v.Epoch < o.Epoch || v.Epoch == o.Epoch && v.Seq < o.Seq
}

// IsZero reports whether v is the version of no records at all.
func (v Version) IsZero() bool { return v == Version{} }

// records is what one node owns: its services and checks, at a version.
type records struct {
	version  Version
	services map[string]*Service // by service ID
	checks   map[string]*Check   // by check ID
	nodes    map[string]*extNode // the external nodes it owns, by lower-case name (external.go)
}

// Delta is one change to the records a node owns, from version From to To.
// Services and Checks are added or replaced whole; the deletes name IDs.
// Nodes are external nodes added or replaced whole, with their services
// and checks; DeleteNodes names the external nodes removed.
type Delta struct {
	From, To       Version
	Services       []Service
	Checks         []Check
	DeleteServices []string
	DeleteChecks   []string
	Nodes          []ExternalNode
	DeleteNodes    []string
}

// DeltaResult says what ApplyDelta did.
type DeltaResult uint8

const (
	// DeltaApplied: the store was at From and is now at To.
	DeltaApplied DeltaResult = iota
	// DeltaStale: the store already holds To or newer; nothing changed.
	DeltaStale
	// DeltaGap: the store holds something older than From (or nothing): a
	// change was missed, and the caller should fetch the whole set.
	DeltaGap
)

// RecordsVersion returns the version of the records held for node.
func (s *Store) RecordsVersion(node string) Version {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if r := s.records[strings.ToLower(node)]; r != nil {
		return r.version
	}
	return Version{}
}

// Versions returns the version of every node's records, by lower-case
// node name: the digest that anti-entropy compares.
func (s *Store) Versions() map[string]Version {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]Version, len(s.records))
	for k, r := range s.records {
		out[k] = r.version
	}
	return out
}

// Records returns the services and checks node owns, sorted by ID, and
// their version.
func (s *Store) Records(node string) (Version, []Service, []Check) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.records[strings.ToLower(node)]
	if r == nil {
		return Version{}, nil, nil
	}
	return r.version, sortedServices(r), sortedChecks(r, "")
}

// ReplaceRecords makes svcs and checks the whole record set of node at
// version v, if v is newer than what the store holds, and reports whether
// it did; the node then owns no external node. Rows equal to the ones
// held keep their indexes.
func (s *Store) ReplaceRecords(node string, v Version, svcs []Service, checks []Check) bool {
	return s.ReplaceRecordSet(node, v, svcs, checks, nil)
}

// ReplaceRecordSet is ReplaceRecords with the external nodes node owns.
func (s *Store) ReplaceRecordSet(node string, v Version, svcs []Service, checks []Check, nodes []ExternalNode) bool {
	key := strings.ToLower(node)
	s.mu.Lock()
	r := s.records[key]
	if r != nil && !r.version.Less(v) {
		s.mu.Unlock()
		return false
	}
	t := s.begin()
	if r == nil {
		r = &records{services: map[string]*Service{}, checks: map[string]*Check{}}
		s.records[key] = r
	}
	r.version = v
	keepS := make(map[string]bool, len(svcs))
	for i := range svcs {
		keepS[svcs[i].ID] = true
		s.putService(t, key, r, svcs[i])
	}
	for id := range r.services {
		if !keepS[id] {
			s.deleteService(t, key, r, id)
		}
	}
	keepC := make(map[string]bool, len(checks))
	for i := range checks {
		keepC[checks[i].CheckID] = true
		s.putCheck(t, key, r, checks[i])
	}
	for id := range r.checks {
		if !keepC[id] {
			s.deleteCheck(t, key, r, id)
		}
	}
	keepN := make(map[string]bool, len(nodes))
	for i := range nodes {
		keepN[strings.ToLower(nodes[i].Name)] = true
		s.putExternal(t, key, r, nodes[i])
	}
	for k := range r.nodes {
		if !keepN[k] {
			s.deleteExternal(t, r, k)
		}
	}
	s.unlockAndNotify(t.commit())
	return true
}

// ApplyDelta applies d to node's records if they are at d.From.
func (s *Store) ApplyDelta(node string, d Delta) DeltaResult {
	key := strings.ToLower(node)
	s.mu.Lock()
	r := s.records[key]
	cur := Version{}
	if r != nil {
		cur = r.version
	}
	switch {
	case !cur.Less(d.To):
		s.mu.Unlock()
		return DeltaStale
	case cur != d.From:
		s.mu.Unlock()
		return DeltaGap
	}
	t := s.begin()
	if r == nil {
		r = &records{services: map[string]*Service{}, checks: map[string]*Check{}}
		s.records[key] = r
	}
	r.version = d.To
	for _, id := range d.DeleteChecks {
		s.deleteCheck(t, key, r, id)
	}
	for _, id := range d.DeleteServices {
		s.deleteService(t, key, r, id)
	}
	for i := range d.Services {
		s.putService(t, key, r, d.Services[i])
	}
	for i := range d.Checks {
		s.putCheck(t, key, r, d.Checks[i])
	}
	for _, name := range d.DeleteNodes {
		s.deleteExternal(t, r, strings.ToLower(name))
	}
	for i := range d.Nodes {
		s.putExternal(t, key, r, d.Nodes[i])
	}
	s.unlockAndNotify(t.commit())
	return DeltaApplied
}

// DropRecords forgets every record of node (its owner left, or was
// removed) and reports whether there were any.
func (s *Store) DropRecords(node string) bool {
	key := strings.ToLower(node)
	s.mu.Lock()
	t := s.begin()
	_, had := s.records[key]
	s.dropRecords(t, key)
	s.unlockAndNotify(t.commit())
	return had
}

func (s *Store) dropRecords(t *tx, key string) {
	r := s.records[key]
	if r == nil {
		return
	}
	for id := range r.checks {
		s.deleteCheck(t, key, r, id)
	}
	for id := range r.services {
		s.deleteService(t, key, r, id)
	}
	delete(s.records, key)
	for k := range r.nodes {
		s.deleteExternal(t, r, k)
	}
	t.touch(Key("noderec/" + key))
}

// putService stores svc in r unless an equal row is there.
func (s *Store) putService(t *tx, key string, r *records, svc Service) {
	old := r.services[svc.ID]
	if old != nil && old.sameAs(&svc) {
		return
	}
	svc.Tags = slices.Clone(svc.Tags)
	svc.Meta = maps.Clone(svc.Meta)
	svc.TaggedAddresses = maps.Clone(svc.TaggedAddresses)
	if svc.Weights == (Weights{}) {
		svc.Weights = DefaultWeights
	}
	svc.CreateIndex, svc.ModifyIndex = t.next, t.next
	if old != nil {
		svc.CreateIndex = old.CreateIndex
		if !strings.EqualFold(old.Name, svc.Name) {
			s.unindex(old.Name, key, old.ID)
			t.touch(KeyService(old.Name))
		}
	}
	r.services[svc.ID] = &svc
	lower := strings.ToLower(svc.Name)
	set := s.byService[lower]
	if set == nil {
		set = map[instanceRef]bool{}
		s.byService[lower] = set
	}
	set[instanceRef{key, svc.ID}] = true
	t.touch(KeyServices, KeyService(svc.Name), Key("noderec/"+key))
	// The checks of the instance name it: keep their ServiceName right.
	for _, c := range r.checks {
		if c.ServiceID == svc.ID && c.ServiceName != svc.Name {
			cp := *c
			cp.ServiceName, cp.ModifyIndex = svc.Name, t.next
			r.checks[c.CheckID] = &cp
			t.touch(KeyChecks)
		}
	}
}

func (s *Store) deleteService(t *tx, key string, r *records, id string) {
	old := r.services[id]
	if old == nil {
		return
	}
	delete(r.services, id)
	s.unindex(old.Name, key, id)
	t.touch(KeyServices, KeyService(old.Name), Key("noderec/"+key))
}

func (s *Store) unindex(name, key, id string) {
	lower := strings.ToLower(name)
	if set := s.byService[lower]; set != nil {
		delete(set, instanceRef{key, id})
		if len(set) == 0 {
			delete(s.byService, lower)
		}
	}
}

// putCheck stores c in r unless an equal row is there.
func (s *Store) putCheck(t *tx, key string, r *records, c Check) {
	if c.ServiceID != "" {
		if svc := r.services[c.ServiceID]; svc != nil {
			c.ServiceName = svc.Name
		}
	}
	old := r.checks[c.CheckID]
	if old != nil && old.sameAs(&c) && old.ServiceName == c.ServiceName {
		return
	}
	c.Definition.Header = maps.Clone(c.Definition.Header)
	c.CreateIndex, c.ModifyIndex = t.next, t.next
	if old != nil {
		c.CreateIndex = old.CreateIndex
		s.touchCheckOwner(t, key, r, old)
	}
	r.checks[c.CheckID] = &c
	s.touchCheckOwner(t, key, r, &c)
}

func (s *Store) deleteCheck(t *tx, key string, r *records, id string) {
	old := r.checks[id]
	if old == nil {
		return
	}
	delete(r.checks, id)
	s.touchCheckOwner(t, key, r, old)
}

// touchCheckOwner touches what a check's change is visible in: the check
// lists, its node's records, and the service it belongs to, or every
// service of its node for a node check.
func (s *Store) touchCheckOwner(t *tx, key string, r *records, c *Check) {
	t.touch(KeyChecks, Key("noderec/"+key))
	if c.ServiceID == "" {
		for _, svc := range r.services {
			t.touch(KeyService(svc.Name))
		}
		return
	}
	if svc := r.services[c.ServiceID]; svc != nil {
		t.touch(KeyService(svc.Name))
	} else if c.ServiceName != "" {
		t.touch(KeyService(c.ServiceName))
	}
}

func sortedServices(r *records) []Service {
	out := make([]Service, 0, len(r.services))
	for _, svc := range r.services {
		out = append(out, *svc)
	}
	slices.SortFunc(out, func(a, b Service) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// sortedChecks returns r's checks sorted by ID, only those of service ID
// serviceID when it is not "" (node checks are then left out).
func sortedChecks(r *records, serviceID string) []Check {
	out := make([]Check, 0, len(r.checks))
	for _, c := range r.checks {
		if serviceID == "" || c.ServiceID == serviceID {
			out = append(out, *c)
		}
	}
	slices.SortFunc(out, func(a, b Check) int { return strings.Compare(a.CheckID, b.CheckID) })
	return out
}
