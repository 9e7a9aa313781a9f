package httpapi

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/discod/discod/catalog"
)

// The /v1/catalog/* reads and /v1/kv/*. Every one goes through Server.read
// (blocking.go): ?index=&wait=, ?dc=, ?filter= and the query headers.

// catalogNodeOf converts a catalog node into Consul's catalog node shape.
// The WAN tagged addresses are the node's WAN address when it has one;
// toWAN (a request from another datacenter) makes it the Address too.
func catalogNodeOf(m catalog.Node, toWAN bool) Node {
	if m.Owner != "" {
		// An external node: its address and tagged addresses as registered.
		addr := m.ExternalAddress
		if a, ok := m.ExternalTagged["wan"]; ok && toWAN {
			addr = a
		}
		return Node{
			ID: m.ID, Node: m.Name, Address: addr, Datacenter: m.Datacenter,
			TaggedAddresses: nonNil(m.ExternalTagged), Meta: nonNil(m.Meta),
			CreateIndex: m.CreateIndex, ModifyIndex: m.ModifyIndex,
		}
	}
	wanIP := m.Addr
	if m.WANAddr.IsValid() {
		wanIP = m.WANAddr
	}
	addr, wan := m.Addr.String(), wanIP.String()
	tagged := map[string]string{"lan": addr, "wan": wan}
	tagged[family("lan", m.Addr)] = addr
	tagged[family("wan", wanIP)] = wan
	if toWAN {
		addr = wan
	}
	return Node{
		ID: m.ID, Node: m.Name, Address: addr, Datacenter: m.Datacenter,
		TaggedAddresses: tagged, Meta: nonNil(m.Meta),
		CreateIndex: m.CreateIndex, ModifyIndex: m.ModifyIndex,
	}
}

// family returns prefix_ipv4 or prefix_ipv6 for a's address family.
func family(prefix string, a netip.Addr) string {
	if a.Is4() {
		return prefix + "_ipv4"
	}
	return prefix + "_ipv6"
}

// agentServiceOf converts a service instance of node dc into Consul's
// AgentService shape.
func agentServiceOf(svc *catalog.Service, dc string) *AgentService {
	out := &AgentService{
		ID: svc.ID, Service: svc.Name, Tags: nonNilSlice(svc.Tags), Meta: nonNil(svc.Meta),
		Port: svc.Port, Address: svc.Address, EnableTagOverride: svc.EnableTagOverride,
		Weights:     AgentWeights{Passing: svc.Weights.Passing, Warning: svc.Weights.Warning},
		CreateIndex: svc.CreateIndex, ModifyIndex: svc.ModifyIndex, Datacenter: dc,
	}
	if len(svc.TaggedAddresses) > 0 {
		out.TaggedAddresses = make(map[string]ServiceAddress, len(svc.TaggedAddresses))
		for k, a := range svc.TaggedAddresses {
			out.TaggedAddresses[k] = ServiceAddress{Address: a.Address, Port: a.Port}
		}
	}
	return out
}

// catalogServiceOf converts an instance into Consul's CatalogService
// shape.
func catalogServiceOf(in *catalog.Instance, toWAN bool) CatalogService {
	n := catalogNodeOf(in.Node, toWAN)
	svc := agentServiceOf(&in.Service, in.Node.Datacenter)
	return CatalogService{
		ID: n.ID, Node: n.Node, Address: n.Address, Datacenter: n.Datacenter,
		TaggedAddresses: n.TaggedAddresses, NodeMeta: n.Meta,
		ServiceID: svc.ID, ServiceName: svc.Service, ServiceAddress: svc.Address,
		ServiceTaggedAddresses: svc.TaggedAddresses, ServiceTags: svc.Tags, ServiceMeta: svc.Meta,
		ServicePort: svc.Port, ServiceWeights: svc.Weights, ServiceEnableTagOverride: svc.EnableTagOverride,
		CreateIndex: in.Service.CreateIndex, ModifyIndex: in.Service.ModifyIndex,
	}
}

// nodeMetaFilter is ?node-meta=k:v, repeatable: a node matches when it
// has every pair (Consul's parseMetaFilter; "k" alone means k:"").
type nodeMetaFilter map[string]string

func parseNodeMeta(r *http.Request) nodeMetaFilter {
	vs := r.URL.Query()["node-meta"]
	if len(vs) == 0 {
		return nil
	}
	out := nodeMetaFilter{}
	for _, v := range vs {
		k, val, _ := strings.Cut(v, ":")
		out[k] = val
	}
	return out
}

// match reports whether meta has every pair of f.
func (f nodeMetaFilter) match(meta map[string]string) bool {
	for k, v := range f {
		if got, ok := meta[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// hasTags reports whether have holds every tag of want (compared without
// regard to case, as Consul's tag filter).
func hasTags(have, want []string) bool {
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, w) }) {
			return false
		}
	}
	return true
}

func (s *Server) catalogNodes(w http.ResponseWriter, r *http.Request) {
	meta, toWAN := parseNodeMeta(r), fromWAN(r)
	s.read(w, r, &Node{}, func(o *queryOptions, ws *catalog.WatchSet) (any, uint64, error) {
		all, idx := s.Agent.Table().CatalogNodes(ws) // external nodes included
		out := []Node{}
		for _, m := range all {
			if meta.match(m.Meta) {
				out = append(out, catalogNodeOf(m, toWAN))
			}
		}
		out, err := filterList(o.filter, out)
		return out, idx, err
	})
}

func (s *Server) catalogNode(w http.ResponseWriter, r *http.Request) {
	name, toWAN := r.PathValue("name"), fromWAN(r)
	s.read(w, r, &AgentService{}, func(o *queryOptions, ws *catalog.WatchSet) (any, uint64, error) {
		m, svcs, ok, idx := s.Agent.Table().NodeServices(name, ws)
		if !ok {
			return nil, idx, nil // Consul answers an unknown node with null and 200
		}
		n := catalogNodeOf(m, toWAN)
		out := CatalogNode{Node: &n, Services: map[string]*AgentService{}}
		for i := range svcs {
			svc := agentServiceOf(&svcs[i], m.Datacenter)
			ok, err := o.filter.match(svc)
			if err != nil {
				return nil, idx, err
			}
			if ok {
				out.Services[svc.ID] = svc
			}
		}
		return out, idx, nil
	})
}

// catalogServices lists every service name with the union of its tags.
// With ?node-meta= or ?filter= it is computed from the instances that
// match, as Consul does.
func (s *Server) catalogServices(w http.ResponseWriter, r *http.Request) {
	meta, toWAN := parseNodeMeta(r), fromWAN(r)
	s.read(w, r, &CatalogService{}, func(o *queryOptions, ws *catalog.WatchSet) (any, uint64, error) {
		names, idx := s.Agent.Table().ServiceNames(ws)
		if meta == nil && o.filter == nil {
			return names, idx, nil
		}
		out := map[string][]string{}
		for name := range names {
			ins, i := s.Agent.Table().ServiceInstances(name, ws)
			idx = max(idx, i)
			for j := range ins {
				cs := catalogServiceOf(&ins[j], toWAN)
				ok, err := o.filter.match(&cs)
				if err != nil {
					return nil, idx, err
				}
				if !ok || !meta.match(ins[j].Node.Meta) {
					continue
				}
				out[cs.ServiceName] = append(out[cs.ServiceName], cs.ServiceTags...)
			}
		}
		for name, tags := range out {
			slices.Sort(tags)
			out[name] = slices.Compact(tags)
		}
		return out, idx, nil
	})
}

// catalogService lists the instances of one service; ?tag= (repeatable:
// all must match) and ?node-meta= narrow it. An unknown service is [].
func (s *Server) catalogService(w http.ResponseWriter, r *http.Request) {
	name, meta, toWAN := r.PathValue("name"), parseNodeMeta(r), fromWAN(r)
	tags := r.URL.Query()["tag"]
	s.read(w, r, &CatalogService{}, func(o *queryOptions, ws *catalog.WatchSet) (any, uint64, error) {
		ins, idx := s.Agent.Table().ServiceInstances(name, ws)
		out := []CatalogService{}
		for i := range ins {
			if hasTags(ins[i].Service.Tags, tags) && meta.match(ins[i].Node.Meta) {
				out = append(out, catalogServiceOf(&ins[i], toWAN))
			}
		}
		out, err := filterList(o.filter, out)
		return out, idx, err
	})
}

// kv answers every key with 404: discod has no key/value store. The
// answer carries the query headers and honours blocking, so a client
// watching a key (Fabio, consul-template) waits rather than spins.
func (s *Server) kv(w http.ResponseWriter, r *http.Request) {
	s.read(w, r, nil, func(*queryOptions, *catalog.WatchSet) (any, uint64, error) {
		return notFound{}, s.Agent.Table().BaseIndex(), nil
	})
}

func nonNilSlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
