package membership

import (
	"net/netip"
	"slices"
	"time"
)

// The WAN pool. Every server runs a second Agent, built with WANConfig,
// whose pool joins the servers of every datacenter (Consul's "serf WAN").
// Clients never join it. Its members are named <node>.<datacenter>, it
// uses memberlist's WAN timing profile by default (failures are noticed in
// tens of seconds, which tolerates latency between sites), and its packets
// carry the label wanLabel, so that a LAN agent and a WAN agent pointed at
// each other refuse each other's packets instead of merging their pools.
//
// The server's LAN agent learns of its WAN agent through SetWAN. From then
// on it sends the other datacenters the WAN pool knows to its LAN pool
// (datacenters.go), so that the clients of its datacenter know them too
// without asking (see Federation).

// DefaultWANPort is the WAN gossip port, Consul's Serf WAN port.
const DefaultWANPort = 8302

// wanLabel is memberlist's packet label for the WAN pool.
const wanLabel = "discod-wan"

// datacenterPublishInterval is the least time between two comparisons of
// the datacenters of a server's WAN pool with the list it gossips on the
// LAN; a comparison follows each change of the WAN pool's members.
const datacenterPublishInterval = time.Second

// WANConfig returns the configuration of the WAN agent of a server whose
// LAN agent is configured by lan: the same node name (as
// <node>.<datacenter>), datacenter, node ID, build, keys, bind address
// and logger, on port DefaultWANPort, advertising lan.WANAddr when set and
// lan.AdvertiseAddr otherwise, with the "wan" timing profile. It keeps
// lan.DNSAddr and lan.HTTPAddr: set them to addresses other datacenters
// can reach (ReachableAddr with the WAN address). The operator's node
// metadata, the snapshot and keyring paths and bootstrap-expect are not
// carried over; set SnapshotPath to a file of its own to rejoin the WAN
// pool after a restart.
func WANConfig(lan Config) Config {
	w := lan
	w.WAN = true
	w.Role = RoleServer
	w.BindPort = DefaultWANPort
	w.AdvertisePort = 0
	if lan.WANAddr.IsValid() {
		w.AdvertiseAddr = lan.WANAddr
	}
	w.WANAddr = netip.Addr{} // in the WAN pool the advertised address is the WAN one
	w.Profile = "wan"
	w.Meta = nil
	w.Tuning = Tuning{} // the WAN pool has its own (gossip_wan)
	w.Maintenance = ""  // maintenance takes a node out of its datacenter's answers; the WAN pool has none
	w.BootstrapExpect = 0
	w.SnapshotPath = ""
	w.KeyringPath = "" // the WAN pool has its own keyring file, if any
	return w
}

// ReachableAddr returns the address other agents should use to reach a
// listener on listen:port, for an agent that advertises advertise to them:
// the advertise address when listen is a wildcard, listen itself
// otherwise. A listener on loopback is unreachable from other hosts, so it
// gives an invalid AddrPort (nothing to gossip) unless advertise is
// loopback too (every agent on one host, as in tests). Port 0 is never
// reachable.
func ReachableAddr(listen, advertise netip.Addr, port int) netip.AddrPort {
	if port <= 0 || port > 65535 || !listen.IsValid() {
		return netip.AddrPort{}
	}
	host := listen.Unmap()
	switch {
	case host.IsUnspecified():
		if !advertise.IsValid() || advertise.IsUnspecified() {
			return netip.AddrPort{}
		}
		host = advertise.Unmap()
	case host.IsLoopback() && (!advertise.IsValid() || !advertise.IsLoopback()):
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(host, uint16(port))
}

// SetWAN attaches w, this server's WAN pool agent, to its LAN agent a.
// From then on a's Federation uses w's table, and a sends the other
// datacenters w knows to its LAN pool (checked after every change of w's
// members, at most once a second) so that the clients of its datacenter
// learn them. Call it once, right after both agents are
// created; shut w down after a.
func (a *Agent) SetWAN(w *Agent) {
	if w == nil || w == a {
		return
	}
	a.lifeMu.Lock()
	defer a.lifeMu.Unlock()
	if a.shut || !a.wan.CompareAndSwap(nil, w) {
		return
	}
	a.wg.Add(1)
	go a.publishDatacenters(w)
}

// WAN returns the WAN pool agent attached with SetWAN, or nil (a client,
// or a server without a WAN pool).
func (a *Agent) WAN() *Agent { return a.wan.Load() }

// WANTable returns the WAN pool's member table, or nil when the agent has
// no WAN pool.
func (a *Agent) WANTable() *Table {
	if w := a.wan.Load(); w != nil {
		return w.table
	}
	return nil
}

// publishDatacenters keeps a's datacenter list equal to the datacenters
// of the WAN pool w, until a stops. It waits on w's
// node list (followNodes), so an idle WAN pool costs nothing.
func (a *Agent) publishDatacenters(w *Agent) {
	defer a.wg.Done()
	followNodes(w.table, datacenterPublishInterval, a.stop, func() {
		f := Federation{Datacenter: a.cfg.Datacenter, WAN: w.table}
		a.setDatacenters(f.remoteDatacenters())
	})
}

// setDatacenters makes dcs (sorted, without our own) this server's
// datacenter list: sent whole to the LAN pool (datacenters.go) and, for
// the previous release's agents, gossiped in the node metadata, as many as
// fit the limit. It waits briefly for the metadata update to go out
// (gossip carries it anyway; a short wait keeps Shutdown from waiting on
// it). It does nothing once the agent is leaving, so the leaving flag is
// never overwritten.
func (a *Agent) setDatacenters(dcs []string) {
	if a.left.Load() {
		return
	}
	a.publishOwnDatacenters(dcs)
	// Previous release: it reads the list from the metadata only, cut to
	// fit and flagged. Remove next release, with fitDatacenters and the
	// metadata tags 'f' and 'p'.
	changed, _ := a.setMeta(func(m *nodeMeta) bool {
		if a.left.Load() || slices.Equal(m.Datacenters, dcs) && !m.DatacentersPartial {
			return false
		}
		fit, _ := fitDatacenters(*m, dcs)
		if slices.Equal(fit.Datacenters, m.Datacenters) && fit.DatacentersPartial == m.DatacentersPartial {
			return false
		}
		*m = fit
		return true
	})
	if !changed || a.isShut() {
		return
	}
	if err := a.ml.UpdateNode(datacenterPublishInterval / 2); err != nil {
		a.log.Debug("datacenter list update did not finish spreading; gossip will carry it", "error", err)
	}
}

// fitDatacenters returns base with as many of dcs as fit the metadata
// limit, and its encoding. base itself always fits (New checked it).
func fitDatacenters(base nodeMeta, dcs []string) (nodeMeta, []byte) {
	m := base
	m.Datacenters, m.DatacentersPartial = slices.Clone(dcs), false
	if b, err := m.encode(); err == nil {
		return m, b
	}
	m.DatacentersPartial = true
	for n := len(dcs) - 1; n >= 0; n-- {
		m.Datacenters = slices.Clone(dcs[:n])
		if b, err := m.encode(); err == nil {
			return m, b
		}
	}
	// Not even the partial flag fits: gossip no list at all.
	m.Datacenters, m.DatacentersPartial = nil, false
	b, _ := m.encode()
	return m, b
}
