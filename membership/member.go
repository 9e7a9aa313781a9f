package membership

import (
	"net/netip"
	"time"
)

// State is what this agent believes about a member.
type State uint8

// The member states. Their numeric values follow serf's MemberStatus, which
// Consul's /v1/agent/members API exposes as "Status" (1 alive, 3 left,
// 4 failed), so the HTTP API can report them unchanged.
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

// Role is the type of an agent: server or client. Servers count towards
// -bootstrap-expect and (later) join the WAN pool; both answer DNS.
type Role string

// The roles.
const (
	RoleServer Role = "server"
	RoleClient Role = "client"
)

// Member is one entry of the member table, copied out to readers. It is a
// value: changing a copy changes nothing in the table.
type Member struct {
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
	// server and HTTP API, to forward questions about other datacenters to
	// it; invalid when the node does not offer them (see Config.DNSAddr).
	DNSAddr, HTTPAddr netip.AddrPort
	// WANAddr is the node's address for other datacenters (-advertise-wan);
	// invalid when it has none besides Addr. Answers to other datacenters
	// use it (Config.WANAddr).
	WANAddr netip.Addr
	// Datacenters are, for a server, the other datacenters it knows through
	// the WAN pool, sorted; DatacentersPartial says the list was cut short
	// to fit the gossip metadata limit. Clients learn the datacenters from
	// them. Readers must not modify the slice.
	Datacenters        []string
	DatacentersPartial bool
	// Run identifies one run of the node's agent (new at every start) and
	// Gen the generation within it; together they tell a late rumour about
	// a node that left from the node really coming back (tombstones.go).
	Run string
	Gen uint64
	// Maintenance is the reason the node's operator gave for maintenance
	// mode (discod maint -enable); empty when the node is not in
	// maintenance. A node in maintenance stays in the cluster but is left
	// out of DNS answers.
	Maintenance string
	// State and StateChanged say what we believe and since when.
	State        State
	StateChanged time.Time
	// Protocol versions, as memberlist reports them.
	ProtocolMin, ProtocolMax, ProtocolCur uint8
	DelegateMin, DelegateMax, DelegateCur uint8
}

// IsServer reports whether the member runs as a server.
func (m Member) IsServer() bool { return m.Role == RoleServer }
