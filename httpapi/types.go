package httpapi

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
type Self struct {
	Config SelfConfig
	Member AgentMember
	Meta   map[string]string
	// Ready is discod's own: whether -bootstrap-expect is satisfied.
	Ready bool
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

// CatalogNode is GET /v1/catalog/node/<name>, as Consul's api.CatalogNode.
// Services is always empty until discod has services.
type CatalogNode struct {
	Node     *Node
	Services map[string]any
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
