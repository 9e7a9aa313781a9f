package consulnode

import "github.com/discod/discod/membership"

// lookupMember finds node in datacenter dc ("" for the local one). node
// and dc are lower case. The local table only holds the local datacenter's
// pool, so a member that reports another datacenter is not found here.
func (cn *ConsulNode) lookupMember(be *backend, node, dc string) (membership.Member, bool) {
	if dc != "" && dc != be.dc {
		return cn.lookupRemote(node, dc)
	}
	m, ok := be.src.Table().Lookup(node)
	if !ok || (m.Datacenter != "" && m.Datacenter != be.dc) {
		return membership.Member{}, false
	}
	return m, true
}

// datacenterKnown reports whether dc ("" for the local one) is a
// datacenter this plugin answers for, so that <dc>.<zone> and
// node.<dc>.<zone> are empty non-terminals rather than NXDOMAIN.
func (cn *ConsulNode) datacenterKnown(be *backend, dc string) bool {
	return dc == "" || dc == be.dc || cn.remoteDatacenterKnown(dc)
}

// lookupRemote is the seam for multi-datacenter answers: a later change
// will look node up in datacenter dc through the WAN pool. Until then every
// datacenter other than the local one is unknown and its names NXDOMAIN.
func (cn *ConsulNode) lookupRemote(node, dc string) (membership.Member, bool) {
	return membership.Member{}, false
}

// remoteDatacenterKnown is the other half of the multi-datacenter seam: it
// will report whether dc is a datacenter reachable through the WAN pool.
// Until then it knows none.
func (cn *ConsulNode) remoteDatacenterKnown(dc string) bool {
	return false
}
