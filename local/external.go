package local

import (
	"maps"
	"slices"
	"strings"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// External nodes: nodes without an agent (a managed database), registered
// with Consul's PUT /v1/catalog/register on this agent, which owns them.
// They are part of this agent's record set (catalog.ExternalNode), are
// kept in the persistence file with the API's services, and count against
// the agent's service and check limits.

// ExternalRegistration is one catalog registration, as Consul's
// api.CatalogRegistration: the node, and optionally one service and some
// checks on it.
type ExternalRegistration struct {
	Node, ID, Address string
	TaggedAddresses   map[string]string
	NodeMeta          map[string]string
	// SkipNodeUpdate keeps the address, tagged addresses and meta of a
	// node already registered.
	SkipNodeUpdate bool
	// Service is the service registered on the node, nil for none; its
	// ID defaults to its name.
	Service *catalog.Service
	// Checks are registered on the node: a check's CheckID defaults to
	// its name, its Status to critical; a ServiceID must name a service of
	// the node (this one or an earlier one).
	Checks []catalog.Check
}

// RegisterExternal adds or updates an external node, its service and its
// checks, as Consul's catalog register: what is named is replaced, the
// node's other services and checks stay.
func (s *State) RegisterExternal(reg ExternalRegistration) error {
	switch {
	case reg.Node == "":
		return errorf(ErrInvalid, "Must provide node")
	case reg.Address == "" && !reg.SkipNodeUpdate:
		return errorf(ErrInvalid, "Must provide address")
	case reg.Service != nil && reg.Service.Name == "":
		return errorf(ErrInvalid, "Must provide service name")
	}
	if len(reg.Checks) > s.cfg.MaxChecks {
		// Refused before the checks are merged one by one.
		return errorf(ErrLimit, "external node %q: %d checks in one registration: the agent's limit is %d checks", reg.Node, len(reg.Checks), s.cfg.MaxChecks)
	}
	if err := s.externalNameFree(reg.Node); err != nil {
		return err
	}
	if len(reg.NodeMeta) > servicedef.MaxMetaPairs || reg.Service != nil && len(reg.Service.Meta) > servicedef.MaxMetaPairs {
		return errorf(ErrInvalid, "external node %q: more than %d meta pairs", reg.Node, servicedef.MaxMetaPairs)
	}
	for k, v := range reg.NodeMeta {
		if err := servicedef.ValidateMetaPair("node meta", k, v, []string{servicedef.ReservedMetaPrefix}); err != nil {
			return errorf(ErrInvalid, "external node %q: %v", reg.Node, err)
		}
	}
	s.mu.Lock()
	defer s.unlock()
	if s.closed {
		return errorf(ErrClosed, "local: closed")
	}
	key := strings.ToLower(reg.Node)
	old, had := s.external[key]
	n := catalog.ExternalNode{Name: reg.Node, ID: reg.ID, Address: reg.Address,
		TaggedAddresses: maps.Clone(reg.TaggedAddresses), Meta: maps.Clone(reg.NodeMeta)}
	if had {
		n.Services, n.Checks = slices.Clone(old.Services), slices.Clone(old.Checks)
		if reg.SkipNodeUpdate {
			n.Name, n.ID, n.Address, n.TaggedAddresses, n.Meta = old.Name, old.ID, old.Address, old.TaggedAddresses, old.Meta
		}
	} else if reg.Address == "" {
		return errorf(ErrInvalid, "Must provide address")
	}
	addS, addC := 0, 0
	if reg.Service != nil {
		svc := *reg.Service
		if svc.ID == "" {
			svc.ID = svc.Name
		}
		for k, v := range svc.Meta {
			if err := servicedef.ValidateMetaPair("service meta", k, v, []string{servicedef.ReservedMetaPrefix}); err != nil {
				return errorf(ErrInvalid, "external node %q: service %q: %v", reg.Node, svc.ID, err)
			}
		}
		if svc.Weights == (catalog.Weights{}) {
			svc.Weights = catalog.DefaultWeights
		}
		if i := slices.IndexFunc(n.Services, func(o catalog.Service) bool { return o.ID == svc.ID }); i >= 0 {
			n.Services[i] = svc
		} else {
			n.Services = append(n.Services, svc)
			addS++
		}
	}
	for _, c := range reg.Checks {
		if c.CheckID == "" {
			c.CheckID = c.Name
		}
		if c.CheckID == "" {
			return errorf(ErrInvalid, "external node %q: a check needs a CheckID or a Name", reg.Node)
		}
		if c.Node != "" && !strings.EqualFold(c.Node, reg.Node) {
			return errorf(ErrInvalid, "external node %q: check %q names node %q", reg.Node, c.CheckID, c.Node)
		}
		c.Node = ""
		if c.Status == "" {
			c.Status = catalog.StatusCritical
		}
		switch c.Status {
		case catalog.StatusPassing, catalog.StatusWarning, catalog.StatusCritical:
		default:
			return errorf(ErrInvalid, "external node %q: check %q: status %q is not passing, warning or critical", reg.Node, c.CheckID, c.Status)
		}
		if c.ServiceID != "" && !slices.ContainsFunc(n.Services, func(o catalog.Service) bool { return o.ID == c.ServiceID }) {
			return errorf(ErrInvalid, "external node %q: check %q: no service %q on the node", reg.Node, c.CheckID, c.ServiceID)
		}
		c.ServiceName = ""
		if i := slices.IndexFunc(n.Checks, func(o catalog.Check) bool { return o.CheckID == c.CheckID }); i >= 0 {
			n.Checks[i] = c
		} else {
			n.Checks = append(n.Checks, c)
			addC++
		}
	}
	if addS > 0 && s.serviceCount()+addS > s.cfg.MaxServices {
		return errorf(ErrLimit, "external node %q: the agent already has %d services, the limit (deregister some first)", reg.Node, s.cfg.MaxServices)
	}
	if addC > 0 && s.checkCount()+addC > s.cfg.MaxChecks {
		return errorf(ErrLimit, "external node %q: %d more checks would pass the agent's limit of %d checks", reg.Node, addC, s.cfg.MaxChecks)
	}
	sortExternal(&n)
	s.external[key] = n
	err := s.persistLocked()
	s.commitLocked(false)
	return err
}

// externalNameFree refuses a node name that is an agent's, or an external
// node another agent owns.
func (s *State) externalNameFree(name string) error {
	if strings.EqualFold(name, s.cfg.NodeName) {
		return errorf(ErrInvalid, "node %q is this agent's own node: register its services with /v1/agent/service/register", name)
	}
	if m, ok := s.cfg.Store.LookupFold(name); ok && m.State != catalog.StateLeft {
		return errorf(ErrInvalid, "node %q is the name of an agent (a member, %s): an external node needs a name of its own", name, m.State)
	}
	if owner, ok := s.cfg.Store.ExternalOwner(name); ok && !strings.EqualFold(owner, s.cfg.NodeName) {
		return errorf(ErrInvalid, "node %q is an external node the agent %q registered: register and deregister it there", name, owner)
	}
	return nil
}

// DeregisterExternal removes, from the external node called node, the
// check checkID if it is not "", else the service serviceID and its
// checks if it is not "", else the whole node. It reports whether
// anything was removed; a name this agent does not hold is no error, as
// in Consul, unless another agent owns it.
func (s *State) DeregisterExternal(node, serviceID, checkID string) (bool, error) {
	if node == "" {
		return false, errorf(ErrInvalid, "Must provide node")
	}
	if strings.EqualFold(node, s.cfg.NodeName) {
		return false, errorf(ErrInvalid, "node %q is this agent's own node: deregister its services with /v1/agent/service/deregister", node)
	}
	s.mu.Lock()
	defer s.unlock()
	key := strings.ToLower(node)
	n, ok := s.external[key]
	if !ok {
		if owner, other := s.cfg.Store.ExternalOwner(node); other && !strings.EqualFold(owner, s.cfg.NodeName) {
			return false, errorf(ErrInvalid, "node %q is an external node the agent %q registered: deregister it there", node, owner)
		}
		return false, nil
	}
	switch {
	case checkID != "":
		i := slices.IndexFunc(n.Checks, func(c catalog.Check) bool { return c.CheckID == checkID })
		if i < 0 {
			return false, nil
		}
		n.Checks = slices.Delete(slices.Clone(n.Checks), i, i+1)
		s.external[key] = n
	case serviceID != "":
		i := slices.IndexFunc(n.Services, func(o catalog.Service) bool { return o.ID == serviceID })
		if i < 0 {
			return false, nil
		}
		n.Services = slices.Delete(slices.Clone(n.Services), i, i+1)
		n.Checks = slices.DeleteFunc(slices.Clone(n.Checks), func(c catalog.Check) bool { return c.ServiceID == serviceID })
		s.external[key] = n
	default:
		delete(s.external, key)
	}
	err := s.persistLocked()
	s.commitLocked(false)
	return true, err
}

// ExternalNodes returns the external nodes this agent owns, sorted by
// name.
func (s *State) ExternalNodes() []catalog.ExternalNode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.externalRows()
}

func (s *State) externalRows() []catalog.ExternalNode {
	out := make([]catalog.ExternalNode, 0, len(s.external))
	for _, k := range slices.Sorted(maps.Keys(s.external)) {
		out = append(out, s.external[k])
	}
	return out
}

// serviceCount and checkCount are what counts against MaxServices and
// MaxChecks: the agent's own and its external nodes'.
func (s *State) serviceCount() int {
	n := len(s.services)
	for _, e := range s.external {
		n += len(e.Services)
	}
	return n
}

func (s *State) checkCount() int {
	n := len(s.checks)
	for _, e := range s.external {
		n += len(e.Checks)
	}
	return n
}

func sortExternal(n *catalog.ExternalNode) {
	slices.SortFunc(n.Services, func(a, b catalog.Service) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(n.Checks, func(a, b catalog.Check) int { return strings.Compare(a.CheckID, b.CheckID) })
}

// externalDelta adds to d the external nodes changed since pub and the
// ones removed, and returns the new published set.
func (s *State) externalDelta(d *catalog.Delta, pub map[string]catalog.ExternalNode) map[string]catalog.ExternalNode {
	next := maps.Clone(s.external)
	for _, k := range slices.Sorted(maps.Keys(s.external)) {
		if old, ok := pub[k]; !ok || !sameExternal(&old, s.external[k]) {
			d.Nodes = append(d.Nodes, s.external[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(pub)) {
		if _, ok := s.external[k]; !ok {
			d.DeleteNodes = append(d.DeleteNodes, pub[k].Name)
		}
	}
	return next
}

func sameExternal(a *catalog.ExternalNode, b catalog.ExternalNode) bool {
	return a.Name == b.Name && a.ID == b.ID && a.Address == b.Address && maps.Equal(a.TaggedAddresses, b.TaggedAddresses) &&
		maps.Equal(a.Meta, b.Meta) && slices.EqualFunc(a.Services, b.Services, func(x, y catalog.Service) bool {
		return x.ID == y.ID && x.Name == y.Name && slices.Equal(x.Tags, y.Tags) && x.Address == y.Address && x.Port == y.Port &&
			maps.Equal(x.Meta, y.Meta) && maps.Equal(x.TaggedAddresses, y.TaggedAddresses) &&
			x.EnableTagOverride == y.EnableTagOverride && x.Weights == y.Weights
	}) && slices.EqualFunc(a.Checks, b.Checks, func(x, y catalog.Check) bool {
		return x.CheckID == y.CheckID && x.Name == y.Name && x.Status == y.Status && x.Notes == y.Notes &&
			x.Output == y.Output && x.ServiceID == y.ServiceID && x.Type == y.Type
	})
}
