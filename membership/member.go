package membership

import "github.com/discod/discod/catalog"

// State is what this agent believes about a member (catalog.State).
type State = catalog.State

// The member states (catalog's; numeric values follow serf's).
const (
	StateNone    = catalog.StateNone
	StateAlive   = catalog.StateAlive
	StateLeaving = catalog.StateLeaving
	StateLeft    = catalog.StateLeft
	StateFailed  = catalog.StateFailed
)

// Role is the type of an agent: server or client. Servers count towards
// -bootstrap-expect and join the WAN pool; both answer DNS.
type Role = catalog.Role

// The roles.
const (
	RoleServer = catalog.RoleServer
	RoleClient = catalog.RoleClient
)

// Member is one entry of the member table, copied out to readers: a
// catalog node. It is a value: changing a copy changes nothing in the
// table.
type Member = catalog.Node
