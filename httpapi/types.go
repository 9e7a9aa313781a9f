package httpapi

import (
	"fmt"
	"strconv"
	"time"
)

// The JSON shapes below mirror Consul's API (github.com/hashicorp/consul/api)
// field for field where discod has the data; fields Consul has and discod
// does not are left out rather than faked.

// AgentMember is one entry of GET /v1/agent/members, as Consul's
// api.AgentMember. Status follows serf: 1 alive, 2 leaving, 3 left, 4 failed.
type AgentMember struct {
	Name        string
	Addr        string
	Port        uint16
	Tags        map[string]string
	Status      int
	ProtocolMin uint8
	ProtocolMax uint8
	ProtocolCur uint8
	DelegateMin uint8
	DelegateMax uint8
	DelegateCur uint8
}

// Member tags, with Consul's names and values where Consul has them.
const (
	TagRole  = "role"  // "consul" for a server, "node" for a client (Consul's values)
	TagDC    = "dc"    // datacenter
	TagBuild = "build" // discod version
	TagID    = "id"    // node ID
	TagVsn   = "vsn"   // gossip protocol version in use

	// TagMaintenance is discod's: the maintenance reason, present only
	// while the node is in maintenance (discod maint).
	TagMaintenance = "maintenance"
)

// Role tag values, as Consul's.
const (
	RoleTagServer = "consul"
	RoleTagClient = "node"
)

// Self is GET /v1/agent/self, the subset of Consul's shape discod fills.
// Every top-level value is an object, as consul/api's Agent().Self()
// decodes it into map[string]map[string]interface{}; readiness is in
// Stats["agent"]["ready"] and GET /v1/agent/ready.
type Self struct {
	Config SelfConfig
	Member AgentMember
	Meta   map[string]string
	// Stats are key/value sections as in Consul's /v1/agent/self ("agent",
	// "serf_lan"); `discod info` prints them.
	Stats map[string]map[string]string
}

// SelfConfig is the Config object of /v1/agent/self.
type SelfConfig struct {
	Datacenter        string
	PrimaryDatacenter string
	NodeName          string
	NodeID            string
	Server            bool
	Revision          string
	Version           string
	Domain            string
	BootstrapExpect   int
}

// Node is one entry of GET /v1/catalog/nodes, as Consul's api.Node.
type Node struct {
	ID              string
	Node            string
	Address         string
	Datacenter      string
	TaggedAddresses map[string]string
	Meta            map[string]string
	CreateIndex     uint64
	ModifyIndex     uint64
}

// CatalogNode is GET /v1/catalog/node/<name>, as Consul's api.CatalogNode:
// the node and its service instances keyed by service ID.
type CatalogNode struct {
	Node     *Node
	Services map[string]*AgentService
}

// Metrics is GET /v1/agent/metrics without ?format=prometheus, in the shape
// of Consul's api.MetricsInfo. Names are the Prometheus names
// (discod_members, go_goroutines...) and labels are kept apart, as Consul
// does. Unlike Consul, whose go-metrics sink reports the last 10-second
// interval, values are the current ones: gauges as they are now, counters
// cumulative since the process started.
type Metrics struct {
	// Timestamp is when the metrics were gathered, in Go's time format
	// (UTC, to the second), as Consul writes it.
	Timestamp string
	Gauges    []GaugeValue
	// Points is always empty: discod has no point metrics.
	Points   []PointValue
	Counters []SampledValue
	// Samples holds the histograms and summaries: count, sum and mean.
	Samples []SampledValue
}

// GaugeValue is one gauge of Metrics, as Consul's api.GaugeValue.
type GaugeValue struct {
	Name   string
	Value  float32
	Labels map[string]string
}

// PointValue is one point metric of Metrics, as Consul's api.PointValue.
type PointValue struct {
	Name   string
	Points []float32
}

// SampledValue is one counter or sample of Metrics, with the fields of
// Consul's api.SampledValue that a cumulative Prometheus metric can fill:
// for a counter, Sum is its value and Count the same value when it is a
// whole number (counters of events); for a histogram or summary, Count and
// Sum are its sample count and sum and Mean their ratio. Min, Max, Rate and
// Stddev are left out: Prometheus metrics do not keep them.
type SampledValue struct {
	Name   string
	Count  int64
	Sum    float64
	Mean   float64 `json:",omitempty"`
	Labels map[string]string
}

// AgentService is one service instance as Consul's api.AgentService, in
// GET /v1/catalog/node/<name> and /v1/health/service/<name>.
type AgentService struct {
	ID                string
	Service           string
	Tags              []string
	Meta              map[string]string
	Port              int
	Address           string
	TaggedAddresses   map[string]ServiceAddress `json:",omitempty"`
	Weights           AgentWeights
	EnableTagOverride bool
	CreateIndex       uint64 `json:",omitempty" bexpr:"-"`
	ModifyIndex       uint64 `json:",omitempty" bexpr:"-"`
	// ContentHash is set by GET /v1/agent/service/<id> only, for
	// hash-based blocking.
	ContentHash string `json:",omitempty" bexpr:"-"`
	Datacenter  string `json:",omitempty"`
}

// ServiceAddress is one tagged address of a service, as Consul's.
type ServiceAddress struct {
	Address string
	Port    int
}

// AgentWeights are the SRV weights of an instance, as Consul's
// api.AgentWeights.
type AgentWeights struct {
	Passing int
	Warning int
}

// CatalogService is one entry of GET /v1/catalog/service/<name>, as
// Consul's api.CatalogService: the node's fields, then the instance's.
type CatalogService struct {
	ID                       string
	Node                     string
	Address                  string
	Datacenter               string
	TaggedAddresses          map[string]string
	NodeMeta                 map[string]string
	ServiceID                string
	ServiceName              string
	ServiceAddress           string
	ServiceTaggedAddresses   map[string]ServiceAddress `json:",omitempty"`
	ServiceTags              []string
	ServiceMeta              map[string]string
	ServicePort              int
	ServiceWeights           AgentWeights
	ServiceEnableTagOverride bool
	CreateIndex              uint64
	ModifyIndex              uint64
}

// ServiceEntry is one entry of GET /v1/health/service/<name>, as Consul's
// api.ServiceEntry: the node, the instance and every check that counts
// against it (the node's, then the instance's).
type ServiceEntry struct {
	Node    *Node
	Service *AgentService
	Checks  []HealthCheck
}

// HealthCheck is one check, as Consul's api.HealthCheck, in the
// /v1/health/* answers.
type HealthCheck struct {
	Node        string
	CheckID     string
	Name        string
	Status      string
	Notes       string
	Output      string
	ServiceID   string
	ServiceName string
	ServiceTags []string
	Type        string
	Definition  HealthCheckDefinition
	CreateIndex uint64
	ModifyIndex uint64
}

// HealthCheckDefinition is what a check runs, as Consul's
// api.HealthCheckDefinition. The durations are always Go duration
// strings ("10s", "0s"): consul/api's ReadableDuration fails the whole
// decode on "".
type HealthCheckDefinition struct {
	HTTP                           string              `json:",omitempty"`
	Header                         map[string][]string `json:",omitempty"`
	Method                         string              `json:",omitempty"`
	Body                           string              `json:",omitempty"`
	TLSServerName                  string              `json:",omitempty"`
	TLSSkipVerify                  bool                `json:",omitempty"`
	TCP                            string              `json:",omitempty"`
	UDP                            string              `json:",omitempty"`
	GRPC                           string              `json:",omitempty"`
	H2PING                         string              `json:",omitempty"`
	Interval                       Duration
	Timeout                        Duration
	DeregisterCriticalServiceAfter Duration
}

// Duration is a time.Duration sent as a Go duration string ("10s", "0s")
// and read from one or from a number of nanoseconds, as Consul's
// ReadableDuration.
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(time.Duration(d).String())), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if s, err := strconv.Unquote(string(b)); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	n, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("duration %s: want a string such as \"10s\" or a number of nanoseconds", b)
	}
	*d = Duration(n)
	return nil
}
