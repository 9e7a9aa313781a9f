package membership

import "github.com/discod/discod/catalog"

// Table is the member table: the catalog store's node rows. The LAN
// agent's table is the agent's whole catalog (services and checks live
// beside the nodes); a server's WAN pool agent has a store of its own that
// holds only the WAN members.
type Table = catalog.Store

// NewTable returns an empty table.
func NewTable() *Table { return catalog.NewStore() }
