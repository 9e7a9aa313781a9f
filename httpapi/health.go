package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/discod/discod/catalog"
)

// The /v1/health/* reads: checks in Consul's shape, the node's synthetic
// ones (serfHealth, _node_maintenance) included. Every one goes through
// Server.read (blocking.go).

// healthCheckOf converts a check into Consul's HealthCheck shape; tags are
// the tags of the instance it belongs to (nil for a node check).
func healthCheckOf(c *catalog.Check, tags []string) HealthCheck {
	d := c.Definition
	return HealthCheck{
		Node: c.Node, CheckID: c.CheckID, Name: c.Name, Status: c.Status, Notes: c.Notes, Output: c.Output,
		ServiceID: c.ServiceID, ServiceName: c.ServiceName, ServiceTags: nonNilSlice(tags), Type: c.Type,
		Definition: HealthCheckDefinition{
			HTTP: d.HTTP, Header: d.Header, Method: d.Method, Body: d.Body, TLSServerName: d.TLSServerName,
			TLSSkipVerify: d.TLSSkipVerify, TCP: d.TCP, UDP: d.UDP, GRPC: d.GRPC, H2PING: d.H2PING,
			Interval: Duration(d.Interval), Timeout: Duration(d.Timeout),
			DeregisterCriticalServiceAfter: Duration(d.DeregisterCriticalServiceAfter),
		},
		CreateIndex: c.CreateIndex, ModifyIndex: c.ModifyIndex,
	}
}

// healthChecksOf converts a list of checks; tagsOf gives the tags of a
// check's instance (nil: none known).
func healthChecksOf(cs []catalog.Check, tagsOf func(serviceID string) []string) []HealthCheck {
	out := make([]HealthCheck, 0, len(cs))
	for i := range cs {
		var tags []string
		if tagsOf != nil && cs[i].ServiceID != "" {
			tags = tagsOf(cs[i].ServiceID)
		}
		out = append(out, healthCheckOf(&cs[i], tags))
	}
	return out
}

// healthService lists the instances of one service with their checks;
// ?passing keeps only the instances all of whose checks pass, ?tag= and
// ?node-meta= narrow it as in catalogService. An unknown service is [].
func (s *Server) healthService(w http.ResponseWriter, r *http.Request) {
	name, meta, toWAN := r.PathValue("name"), parseNodeMeta(r), fromWAN(r)
	tags := r.URL.Query()["tag"]
	passing, err := parsePassing(r)
	if err != nil {
		s.readError(w, err)
		return
	}
	sample := &ServiceEntry{Node: &Node{}, Service: &AgentService{}, Checks: []HealthCheck{}}
	s.read(w, r, sample, func(o *queryOptions, ws *catalog.WatchSet) (any, uint64, error) {
		ins, idx := s.Agent.Table().ServiceInstances(name, ws)
		out := []ServiceEntry{}
		for i := range ins {
			in := &ins[i]
			if !hasTags(in.Service.Tags, tags) || !meta.match(in.Node.Meta) || passing && !allPassing(in.Checks) {
				continue
			}
			n := catalogNodeOf(in.Node, toWAN)
			svc := agentServiceOf(&in.Service, in.Node.Datacenter)
			out = append(out, ServiceEntry{Node: &n, Service: svc,
				Checks: healthChecksOf(in.Checks, func(string) []string { return svc.Tags })})
		}
		out, err := filterList(o.filter, out)
		return out, idx, err
	})
}

// parsePassing reads ?passing (present, empty or a true boolean).
func parsePassing(r *http.Request) (bool, error) {
	q := r.URL.Query()
	if !q.Has("passing") {
		return false, nil
	}
	v := q.Get("passing")
	if v == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, &queryError{fmt.Sprintf("Invalid value for ?passing: %q is not a boolean", v)}
	}
	return b, nil
}

// allPassing reports whether every check passes (Consul's ?passing drops
// an instance with any warning or critical check, maintenance included).
func allPassing(cs []catalog.Check) bool {
	for i := range cs {
		if cs[i].Status != catalog.StatusPassing {
			return false
		}
	}
	return true
}

// healthNode lists the checks of one node: its synthetic ones, its own and
// those of its instances. An unknown node has none ([]).
func (s *Server) healthNode(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s.read(w, r, &HealthCheck{}, func(o *queryOptions, ws *catalog.WatchSet) (any, uint64, error) {
		cs, idx := s.Agent.Table().NodeChecks(name, ws)
		_, svcs, _, i := s.Agent.Table().NodeServices(name, ws)
		tags := make(map[string][]string, len(svcs))
		for _, svc := range svcs {
			tags[svc.ID] = svc.Tags
		}
		out, err := filterList(o.filter, healthChecksOf(cs, func(id string) []string { return tags[id] }))
		return out, max(idx, i), err
	})
}

// healthChecks lists the checks of every instance of one service (not the
// node checks, as Consul). An unknown service has none ([]).
func (s *Server) healthChecks(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s.read(w, r, &HealthCheck{}, func(o *queryOptions, ws *catalog.WatchSet) (any, uint64, error) {
		ins, idx := s.Agent.Table().ServiceInstances(name, ws)
		out := []HealthCheck{}
		for i := range ins {
			for j := range ins[i].Checks {
				if c := &ins[i].Checks[j]; c.ServiceID != "" && c.ServiceID == ins[i].Service.ID {
					out = append(out, healthCheckOf(c, ins[i].Service.Tags))
				}
			}
		}
		out, err := filterList(o.filter, out)
		return out, idx, err
	})
}

// healthStates are the states GET /v1/health/state/<state> accepts.
var healthStates = map[string]bool{"any": true, catalog.StatusPassing: true, catalog.StatusWarning: true, catalog.StatusCritical: true}

// healthState lists every check of the datacenter in one state (or any).
// ServiceTags are not filled in here (the store's check list does not
// carry them).
func (s *Server) healthState(w http.ResponseWriter, r *http.Request) {
	state := r.PathValue("state")
	if !healthStates[state] {
		s.readError(w, &queryError{fmt.Sprintf("Invalid state %q: want any, passing, warning or critical", state)})
		return
	}
	s.read(w, r, &HealthCheck{}, func(o *queryOptions, ws *catalog.WatchSet) (any, uint64, error) {
		cs, idx := s.Agent.Table().Checks(state, ws)
		out, err := filterList(o.filter, healthChecksOf(cs, nil))
		return out, idx, err
	})
}
