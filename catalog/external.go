package catalog

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// External nodes.
//
// An external node is a node without an agent (a managed database),
// registered with Consul's PUT /v1/catalog/register on one agent: its
// owner. It is part of the owner's record set, so it spreads, versions
// and goes away exactly as the owner's own services do: a Delta carries
// external nodes whole (Nodes, DeleteNodes), and a whole set replaces
// them. Readers see it as a Node with Owner set, whose state is its
// owner's: listed while the owner is in the catalog, answered by DNS
// while the owner is alive. It has no serfHealth; while its owner is
// failed it carries the critical OwnerCheckID check instead.
//
// Inside the store an external node's services are indexed under the
// reference key "\x00<owner>\x00<name>" (lower case), which no member can
// have, so that two owners that both (wrongly) hold the same name never
// mix their rows. Readers see one of them: the one whose owner's name
// sorts first (every agent picks the same).

// ExternalNode is a node without an agent and everything registered on
// it: the unit a Delta carries.
type ExternalNode struct {
	// Name is the node name as registered; ID its optional UUID.
	Name, ID string
	// Address is an IP or a host name.
	Address         string
	TaggedAddresses map[string]string
	Meta            map[string]string
	// Services and Checks are the node's, sorted by ID. A check's Node is
	// ignored.
	Services []Service
	Checks   []Check
}

// The synthetic check of an external node whose owner is failed.
const (
	OwnerCheckID     = "discodOwnerHealth"
	OwnerCheckName   = "Owning Agent Health Status"
	OwnerCheckOutput = "The agent that registered this node is not live or unreachable: "
)

// extNode is one external node held by one owner.
type extNode struct {
	owner string // the owner's lower-case name
	node  Node   // the view readers get, but its State and Datacenter (the owner's)
	recs  *records
}

func (e *extNode) lower() string { return strings.ToLower(e.node.Name) }

// ref is the key of e's services in byService and of its noderec watch.
func (e *extNode) ref() string { return "\x00" + e.owner + "\x00" + e.lower() }

func newRecords() *records {
	return &records{services: map[string]*Service{}, checks: map[string]*Check{}}
}

// ownerChecks returns the synthetic checks of the external node n: the
// critical owner check while its owner is failed.
func ownerChecks(n *Node) []Check {
	if n.State != StateFailed {
		return nil
	}
	return []Check{{Node: n.Name, CheckID: OwnerCheckID, Name: OwnerCheckName, Status: StatusCritical,
		Output: OwnerCheckOutput + n.Owner, CreateIndex: n.CreateIndex, ModifyIndex: n.ModifyIndex}}
}

// view returns what readers see of e (nil when its owner is gone or a
// member has the same name); s.mu is held.
func (s *Store) view(e *extNode) *Node {
	o := s.nodes[e.owner]
	if o == nil || s.nodes[e.lower()] != nil || s.ext[e.lower()] != e {
		return nil
	}
	v := e.node
	v.State, v.StateChanged, v.Datacenter = o.State, o.StateChanged, o.Datacenter
	return &v
}

// resolve returns the node and records behind a byService reference key:
// a member's, or the visible external node's (nil when it is hidden).
func (s *Store) resolve(key string) (*Node, *records) {
	if !strings.HasPrefix(key, "\x00") {
		return s.nodes[key], s.records[key]
	}
	owner, name, _ := strings.Cut(key[1:], "\x00")
	r := s.records[owner]
	if r == nil || r.nodes[name] == nil {
		return nil, nil
	}
	e := r.nodes[name]
	return s.view(e), e.recs
}

// externalNamed returns the visible external node called key (lower
// case) and its records; s.mu is held.
func (s *Store) externalNamed(key string) (*Node, *records) {
	e := s.ext[key]
	if e == nil {
		return nil, nil
	}
	n := s.view(e)
	if n == nil {
		return nil, nil
	}
	return n, e.recs
}

// touchExt touches what a change of e (or of its owner's state) is
// visible in.
func (t *tx) touchExt(e *extNode) {
	key := e.lower()
	t.touch(KeyNodes, Key("node/"+key), Key("noderec/"+key), KeyChecks, KeyServices)
	for _, svc := range e.recs.services {
		t.touch(KeyService(svc.Name))
	}
}

// putExternal makes en one of owner r's external nodes, replacing its
// services and checks whole.
func (s *Store) putExternal(t *tx, owner string, r *records, en ExternalNode) {
	key := strings.ToLower(en.Name)
	if r.nodes == nil {
		r.nodes = map[string]*extNode{}
	}
	e := r.nodes[key]
	isNew := e == nil
	if isNew {
		e = &extNode{owner: owner, recs: newRecords()}
		e.node.CreateIndex = t.next
		r.nodes[key] = e
	}
	n := Node{Name: en.Name, ID: en.ID, Owner: s.ownerName(owner), ExternalAddress: en.Address,
		ExternalTagged: maps.Clone(en.TaggedAddresses), Meta: maps.Clone(en.Meta),
		CreateIndex: e.node.CreateIndex, ModifyIndex: e.node.ModifyIndex}
	if a, err := netip.ParseAddr(en.Address); err == nil {
		n.Addr = a.Unmap()
	}
	if isNew || !n.sameAs(&e.node) {
		n.ModifyIndex = t.next
		e.node = n
		t.touchExt(e)
	}
	ref := e.ref()
	keepS := map[string]bool{}
	for i := range en.Services {
		keepS[en.Services[i].ID] = true
		s.putService(t, ref, e.recs, en.Services[i])
	}
	for id := range e.recs.services {
		if !keepS[id] {
			s.deleteService(t, ref, e.recs, id)
		}
	}
	keepC := map[string]bool{}
	for i := range en.Checks {
		keepC[en.Checks[i].CheckID] = true
		s.putCheck(t, ref, e.recs, en.Checks[i])
	}
	for id := range e.recs.checks {
		if !keepC[id] {
			s.deleteCheck(t, ref, e.recs, id)
		}
	}
	t.touch(Key("noderec/" + key))
	if isNew {
		s.elect(t, key)
	}
}

// ownerName returns the owner's name as it spells it.
func (s *Store) ownerName(owner string) string {
	if n := s.nodes[owner]; n != nil {
		return n.Name
	}
	return owner
}

// deleteExternal removes the external node key (lower case) from owner
// r's records.
func (s *Store) deleteExternal(t *tx, r *records, key string) {
	e := r.nodes[key]
	if e == nil {
		return
	}
	ref := e.ref()
	for id := range e.recs.checks {
		s.deleteCheck(t, ref, e.recs, id)
	}
	for id := range e.recs.services {
		s.deleteService(t, ref, e.recs, id)
	}
	t.touchExt(e)
	delete(r.nodes, key)
	s.elect(t, key)
}

// elect makes the visible external node called key the one whose owner's
// name sorts first, after one was added or removed.
func (s *Store) elect(t *tx, key string) {
	var best *extNode
	for _, r := range s.records {
		if e := r.nodes[key]; e != nil && (best == nil || e.owner < best.owner) {
			best = e
		}
	}
	if cur := s.ext[key]; cur == best {
		return
	} else if cur != nil {
		t.touchExt(cur)
	}
	if best == nil {
		delete(s.ext, key)
		return
	}
	s.ext[key] = best
	t.touchExt(best)
}

// ExternalOwner returns the name of the agent whose external node called
// name (any case) readers see, and whether there is one.
func (s *Store) ExternalOwner(name string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.ext[strings.ToLower(name)]
	if e == nil {
		return "", false
	}
	return s.ownerName(e.owner), true
}

// RecordSet is Records with the external nodes node owns, read at once.
func (s *Store) RecordSet(node string) (Version, []Service, []Check, []ExternalNode) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.records[strings.ToLower(node)]
	if r == nil {
		return Version{}, nil, nil, nil
	}
	return r.version, sortedServices(r), sortedChecks(r, ""), externalNodesOf(r)
}

// ExternalNodes returns the external nodes owner holds, sorted by name,
// with their services and checks: the part of its record set that
// Records does not return.
func (s *Store) ExternalNodes(owner string) []ExternalNode {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.records[strings.ToLower(owner)]
	if r == nil {
		return nil
	}
	return externalNodesOf(r)
}

func externalNodesOf(r *records) []ExternalNode {
	if len(r.nodes) == 0 {
		return nil
	}
	out := make([]ExternalNode, 0, len(r.nodes))
	for _, e := range r.nodes {
		out = append(out, ExternalNode{Name: e.node.Name, ID: e.node.ID, Address: e.node.ExternalAddress,
			TaggedAddresses: maps.Clone(e.node.ExternalTagged), Meta: maps.Clone(e.node.Meta),
			Services: sortedServices(e.recs), Checks: sortedChecks(e.recs, "")})
	}
	slices.SortFunc(out, func(a, b ExternalNode) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// LookupExternalInto copies the external node called name (lower case)
// into dst, for DNS node lookups, and reports whether there is one with
// an IP address.
func (s *Store) LookupExternalInto(name string, dst *Node) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, _ := s.externalNamed(name)
	if n == nil || !n.Addr.IsValid() {
		return false
	}
	*dst = *n
	return true
}

// CatalogNodes returns the nodes the catalog lists (Node.InCatalog), the
// external ones included, sorted by name, and the index of the node list.
func (s *Store) CatalogNodes(ws *WatchSet) ([]Node, uint64) {
	s.mu.RLock()
	out := make([]Node, 0, len(s.nodes)+len(s.ext))
	for _, n := range s.nodes {
		if n.InCatalog() {
			out = append(out, *n)
		}
	}
	for _, e := range s.ext {
		if n := s.view(e); n != nil && n.InCatalog() {
			out = append(out, *n)
		}
	}
	idx := s.watch(ws, KeyNodes)
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Node) int { return strings.Compare(a.Name, b.Name) })
	return out, idx
}

// externalKeys returns the lower-case names of the visible external nodes
// in the catalog; s.mu is held.
func (s *Store) externalKeys() []string {
	var out []string
	for k, e := range s.ext {
		if n := s.view(e); n != nil && n.InCatalog() {
			out = append(out, k)
		}
	}
	return out
}
