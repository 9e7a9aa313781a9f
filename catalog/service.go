package catalog

import (
	"maps"
	"slices"
	"time"
)

// Service is one service instance registered on a node, in Consul's
// model. The owning agent is the one writer of its node's services.
type Service struct {
	// ID is unique per node; Consul's default is the name.
	ID string
	// Name is the service name as registered (DNS and lookups fold case).
	Name string
	// Tags are opaque labels; DNS answers <tag>.<name>.service for them.
	Tags []string
	// Address is the service's own address, an IP or a host name; "" means
	// the node's address.
	Address string
	// Port is the service port; 0 when none was given.
	Port int
	// Meta is the service metadata (at most 64 pairs).
	Meta map[string]string
	// TaggedAddresses are the lan/wan/lan_ipv4/... addresses of the
	// service, keyed by tag.
	TaggedAddresses map[string]ServiceAddress
	// EnableTagOverride is Consul's flag of the same name; discod keeps and
	// reports it.
	EnableTagOverride bool
	// Weights are the SRV weights by health status.
	Weights Weights

	// CreateIndex and ModifyIndex are set by the store.
	CreateIndex, ModifyIndex uint64
}

// ServiceAddress is one tagged address of a service.
type ServiceAddress struct {
	Address string
	Port    int
}

// Weights are the SRV weights of an instance by its aggregated status, as
// Consul's {"Passing": 1, "Warning": 1}.
type Weights struct {
	Passing, Warning int
}

// DefaultWeights are Consul's defaults.
var DefaultWeights = Weights{Passing: 1, Warning: 1}

func (s *Service) sameAs(o *Service) bool {
	return s.ID == o.ID && s.Name == o.Name && slices.Equal(s.Tags, o.Tags) && s.Address == o.Address &&
		s.Port == o.Port && maps.Equal(s.Meta, o.Meta) && maps.Equal(s.TaggedAddresses, o.TaggedAddresses) &&
		s.EnableTagOverride == o.EnableTagOverride && s.Weights == o.Weights
}

// Check statuses, as Consul's.
const (
	StatusPassing  = "passing"
	StatusWarning  = "warning"
	StatusCritical = "critical"
	// StatusMaintenance is an aggregated status only, never a check's.
	StatusMaintenance = "maintenance"
)

// Check is one health check of a node (ServiceID "") or of one of its
// service instances, in Consul's model.
type Check struct {
	// Node is the name of the node the check belongs to; the store fills it
	// in on reads.
	Node string
	// CheckID is unique per node.
	CheckID string
	Name    string
	// Status is passing, warning or critical.
	Status string
	Notes  string
	Output string
	// ServiceID is the instance the check belongs to; "" for a node check,
	// which counts against every service of the node.
	ServiceID string
	// ServiceName is filled in by the store from the instance.
	ServiceName string
	// Type is the check type: http, tcp, udp, grpc, h2ping, ttl, script,
	// alias, or "" for synthetic checks (serfHealth, maintenance).
	Type string
	// Definition is what the check runs, for display.
	Definition CheckDefinition

	// CreateIndex and ModifyIndex are set by the store.
	CreateIndex, ModifyIndex uint64
}

// CheckDefinition is the displayed part of a check's definition, as
// Consul's HealthCheckDefinition.
type CheckDefinition struct {
	HTTP, TCP, UDP, GRPC, H2PING   string
	Method                         string
	Header                         map[string][]string
	Body                           string
	TLSServerName                  string
	TLSSkipVerify                  bool
	Interval, Timeout              time.Duration
	DeregisterCriticalServiceAfter time.Duration
}

func (c *Check) sameAs(o *Check) bool {
	a, b := c.Definition, o.Definition
	return c.Node == o.Node && c.CheckID == o.CheckID && c.Name == o.Name && c.Status == o.Status && c.Notes == o.Notes &&
		c.Output == o.Output && c.ServiceID == o.ServiceID && c.Type == o.Type &&
		a.HTTP == b.HTTP && a.TCP == b.TCP && a.UDP == b.UDP && a.GRPC == b.GRPC && a.H2PING == b.H2PING &&
		a.Method == b.Method && a.Body == b.Body && a.TLSServerName == b.TLSServerName &&
		a.TLSSkipVerify == b.TLSSkipVerify && a.Interval == b.Interval && a.Timeout == b.Timeout &&
		a.DeregisterCriticalServiceAfter == b.DeregisterCriticalServiceAfter &&
		maps.EqualFunc(a.Header, b.Header, slices.Equal)
}

// Synthetic check IDs and names, as Consul's.
const (
	SerfCheckID           = "serfHealth"
	SerfCheckName         = "Serf Health Status"
	SerfAliveOutput       = "Agent alive and reachable"
	SerfFailedOutput      = "Agent not live or unreachable"
	NodeMaintCheckID      = "_node_maintenance"
	NodeMaintCheckName    = "Node Maintenance Mode"
	ServiceMaintPrefix    = "_service_maintenance:"
	ServiceMaintCheckName = "Service Maintenance Mode"

	// DefaultNodeMaintReason and DefaultServiceMaintReason are Consul's
	// texts for maintenance enabled without a reason.
	DefaultNodeMaintReason    = "Maintenance mode is enabled for this node, but no reason was provided. This is a default message."
	DefaultServiceMaintReason = "Maintenance mode is enabled for this service, but no reason was provided. This is a default message."
)

// NodeChecks returns the checks the catalog synthesises for n: serfHealth
// always, and _node_maintenance while n is in maintenance; for an
// external node only OwnerCheckID, while its owner is failed. Their indexes
// are the node's.
func NodeChecks(n *Node) []Check {
	if n.Owner != "" {
		return ownerChecks(n)
	}
	serf := Check{Node: n.Name, CheckID: SerfCheckID, Name: SerfCheckName, Status: StatusPassing, Output: SerfAliveOutput,
		CreateIndex: n.CreateIndex, ModifyIndex: n.ModifyIndex}
	if n.State == StateFailed {
		serf.Status, serf.Output = StatusCritical, SerfFailedOutput
	}
	out := []Check{serf}
	if n.Maintenance != "" {
		out = append(out, Check{Node: n.Name, CheckID: NodeMaintCheckID, Name: NodeMaintCheckName, Status: StatusCritical,
			Notes: n.Maintenance, CreateIndex: n.CreateIndex, ModifyIndex: n.ModifyIndex})
	}
	return out
}

// IsMaintenance reports whether a check ID is a node or service
// maintenance check.
func IsMaintenance(checkID string) bool {
	return checkID == NodeMaintCheckID || len(checkID) > len(ServiceMaintPrefix) && checkID[:len(ServiceMaintPrefix)] == ServiceMaintPrefix
}

// AggregatedStatus is Consul's api.HealthChecks.AggregatedStatus:
// maintenance over critical over warning over passing; an empty list is
// passing, an unknown status "".
func AggregatedStatus(checks []Check) string {
	var warn, crit, maint bool
	for i := range checks {
		if IsMaintenance(checks[i].CheckID) {
			maint = true
			continue
		}
		switch checks[i].Status {
		case StatusPassing:
		case StatusWarning:
			warn = true
		case StatusCritical:
			crit = true
		default:
			return ""
		}
	}
	switch {
	case maint:
		return StatusMaintenance
	case crit:
		return StatusCritical
	case warn:
		return StatusWarning
	}
	return StatusPassing
}
