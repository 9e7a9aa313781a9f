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
