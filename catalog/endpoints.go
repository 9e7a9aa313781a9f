package catalog

import (
	"net/netip"
	"strings"
)

// Endpoint is what DNS needs of one healthy service instance. Its maps are
// shared with the store and must not be modified.
type Endpoint struct {
	// Node is the node's name as it spells it, Datacenter its datacenter.
	Node, Datacenter string
	// NodeAddr is the node's address, NodeWANAddr its WAN address (invalid
	// when it has none besides NodeAddr).
	NodeAddr, NodeWANAddr netip.Addr
	// ServiceID is the instance's ID.
	ServiceID string
	// Address is the service's own address (an IP or a host name), "" when
	// it uses the node's.
	Address string
	// TaggedAddresses are the service's tagged addresses (wan, lan, ...).
	TaggedAddresses map[string]ServiceAddress
	Port            int
	// Status is passing or warning; Weight the SRV weight for it.
	Status string
	Weight int
	// Meta is the service metadata (DNS-SD TXT records).
	Meta map[string]string
}

// AppendEndpoints appends to dst the instances of service name (lower
// case) that DNS answers, and returns the extended slice. An instance is
// answered when it carries tag (lower case; "" for any tag, compared
// without regard to case), its node is answerable (Node.Answerable) and
// none of its checks or its node's checks is critical or in maintenance;
// a warning keeps it unless onlyPassing. The order is the store's: callers
// shuffle. Lookups are keyed on the service name, so their cost grows with
// the instances of that name only, never with the catalog.
func (s *Store) AppendEndpoints(dst []Endpoint, name, tag string, onlyPassing bool) []Endpoint {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for ref := range s.byService[name] {
		n, r := s.resolve(ref.node)
		if n == nil || !n.Answerable() {
			continue
		}
		svc := r.services[ref.id]
		if tag != "" && !hasTag(svc.Tags, tag) {
			continue
		}
		status := instanceStatus(r, svc.ID)
		if status == StatusCritical || status == StatusMaintenance || onlyPassing && status != StatusPassing {
			continue
		}
		w := svc.Weights.Passing
		if status == StatusWarning {
			w = svc.Weights.Warning
		}
		dst = append(dst, Endpoint{
			Node: n.Name, Datacenter: n.Datacenter, NodeAddr: n.Addr, NodeWANAddr: n.WANAddr,
			ServiceID: svc.ID, Address: serviceAddress(n, svc), TaggedAddresses: svc.TaggedAddresses,
			Port: svc.Port, Status: status, Weight: w, Meta: svc.Meta,
		})
	}
	return dst
}

// HasService reports whether any instance of service name (lower case)
// is registered, healthy or not.
func (s *Store) HasService(name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byService[name]) > 0
}

func hasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if strings.EqualFold(t, tag) {
			return true
		}
	}
	return false
}

// instanceStatus aggregates the node's own checks and the instance's
// checks held in r (the synthetic node checks are covered by
// Node.Answerable).
func instanceStatus(r *records, id string) string {
	status := StatusPassing
	for _, c := range r.checks {
		if c.ServiceID != "" && c.ServiceID != id {
			continue
		}
		if IsMaintenance(c.CheckID) {
			return StatusMaintenance
		}
		switch c.Status {
		case StatusCritical:
			status = StatusCritical
		case StatusWarning:
			if status == StatusPassing {
				status = StatusWarning
			}
		case StatusPassing:
		default:
			status = StatusCritical // an unknown status is not healthy
		}
	}
	return status
}

// serviceAddress is the address DNS answers for svc on n: its own, or ""
// for the node's; an external node registered with a host name lends it
// to its services that have none.
func serviceAddress(n *Node, svc *Service) string {
	if svc.Address == "" && n.Owner != "" && !n.Addr.IsValid() {
		return n.ExternalAddress
	}
	return svc.Address
}
