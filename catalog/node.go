package catalog

import (
	"maps"
	"net/netip"
	"slices"
	"time"
)

// State is what this agent believes about a node.
type State uint8

// The node states. Their numeric values follow serf's MemberStatus, which
// Consul's /v1/agent/members API exposes as "Status" (1 alive, 2 leaving,
// 3 left, 4 failed).
const (
	StateNone    State = 0
	StateAlive   State = 1
	StateLeaving State = 2
	StateLeft    State = 3
	StateFailed  State = 4
)

// String returns the lower-case name used by `discod members`.
func (s State) String() string {
	switch s {
	case StateAlive:
		return "alive"
	case StateLeaving:
		return "leaving"
	case StateLeft:
		return "left"
	case StateFailed:
		return "failed"
	default:
		return "none"
	}
}

// Role is the type of an agent: server or client.
type Role string

// The roles.
const (
	RoleServer Role = "server"
	RoleClient Role = "client"
)

// Node is one node of the catalog, copied out to readers. It is a value:
// changing a copy changes nothing in the store.
type Node struct {
	// Name is the node name as the node itself spells it.
	Name string
	// ID is the node's stable identifier (a UUID), kept across restarts when
	// the node has a data dir.
	ID string
	// Addr and Port are the advertised gossip address: what DNS answers.
	Addr netip.Addr
	Port uint16
	// Datacenter is the node's datacenter, lower case.
	Datacenter string
	// Role says whether the node runs as a server or a client.
	Role Role
	// Build is the discod version the node runs.
	Build string
	// Meta is the operator's node metadata (-node-meta). Readers must not
	// modify it: the map is shared between copies.
	Meta map[string]string
	// DNSAddr and HTTPAddr are where other agents can reach the node's DNS
	// server and HTTP API; invalid when the node does not offer them.
	DNSAddr, HTTPAddr netip.AddrPort
	// WANAddr is the node's address for other datacenters (-advertise-wan);
	// invalid when it has none besides Addr.
	WANAddr netip.Addr
	// Datacenters are, for a server, the other datacenters it knows through
	// the WAN pool, sorted. Readers must not modify the slice.
	// DatacentersVersion orders the lists a server sends within one Run
	// (it raises it at every change); 0 means the list was read from the
	// server's metadata (a server of the previous release).
	Datacenters        []string
	DatacentersVersion uint64
	// Run identifies one run of the node's agent (new at every start) and
	// Gen the generation within it; together they order a late rumour
	// about a node that left against the node really coming back.
	Run string
	Gen uint64
	// Maintenance is the reason given for node maintenance mode; empty when
	// the node is not in maintenance. A node in maintenance stays in the
	// catalog but is left out of DNS answers.
	Maintenance string
	// State and StateChanged say what we believe and since when.
	State        State
	StateChanged time.Time
	// Protocol versions, as memberlist reports them.
	ProtocolMin, ProtocolMax, ProtocolCur uint8
	DelegateMin, DelegateMax, DelegateCur uint8

	// Owner is, for an external node (registered with PUT
	// /v1/catalog/register: a node without an agent), the name of the agent
	// that owns it; "" for an agent's own node. ExternalAddress is then the
	// address as registered (an IP, also in Addr, or a host name) and
	// ExternalTagged its tagged addresses. Readers must not modify the map.
	Owner, ExternalAddress string
	ExternalTagged         map[string]string

	// CreateIndex is the store index at which the node entered the store,
	// ModifyIndex the one at which it last changed. The store sets both;
	// values passed in are ignored.
	CreateIndex, ModifyIndex uint64
}

// IsServer reports whether the node runs as a server.
func (n Node) IsServer() bool { return n.Role == RoleServer }

// InCatalog says whether the node is listed by the catalog and health
// endpoints: as in Consul, alive and failed nodes are (until reaped), left
// ones are not. A leaving node is still listed until it has left.
func (n Node) InCatalog() bool {
	return n.State == StateAlive || n.State == StateFailed || n.State == StateLeaving
}

// Answerable says whether DNS answers for the node, and counts its service
// instances: alive and not in maintenance. This is the one visibility rule
// for A, AAAA, TXT, PTR and service answers.
func (n Node) Answerable() bool { return n.State == StateAlive && n.Maintenance == "" }

// sameAs reports whether n and o are equal in everything a reader can see
// but the indexes and StateChanged.
func (n *Node) sameAs(o *Node) bool {
	return n.Name == o.Name && n.ID == o.ID && n.Addr == o.Addr && n.Port == o.Port &&
		n.Datacenter == o.Datacenter && n.Role == o.Role && n.Build == o.Build &&
		maps.Equal(n.Meta, o.Meta) && n.DNSAddr == o.DNSAddr && n.HTTPAddr == o.HTTPAddr &&
		n.WANAddr == o.WANAddr && slices.Equal(n.Datacenters, o.Datacenters) &&
		n.DatacentersVersion == o.DatacentersVersion && n.Run == o.Run && n.Gen == o.Gen &&
		n.Maintenance == o.Maintenance && n.State == o.State &&
		n.Owner == o.Owner && n.ExternalAddress == o.ExternalAddress && maps.Equal(n.ExternalTagged, o.ExternalTagged) &&
		n.ProtocolMin == o.ProtocolMin && n.ProtocolMax == o.ProtocolMax && n.ProtocolCur == o.ProtocolCur &&
		n.DelegateMin == o.DelegateMin && n.DelegateMax == o.DelegateMax && n.DelegateCur == o.DelegateCur
}
