package main

import (
	"fmt"
	"os"

	"github.com/discod/discod/config"
	"github.com/discod/discod/internal/datadir"
	"github.com/discod/discod/membership"
)

// Several datacenters: servers also join the WAN pool (membership's
// wan.go), and every agent gossips where its DNS server and HTTP API can
// be reached, so that questions about other datacenters can be forwarded
// (membership's federation.go).

// wanProfileEnv overrides the WAN pool's timing profile ("wan" by
// default; "lan" or "local" detect failures in seconds rather than tens of
// seconds, for tests and single-site labs). Only the daemon reads it.
const wanProfileEnv = "DISCOD_WAN_PROFILE"

// federationAddrs fills in what mc gossips about this agent for several
// datacenters: its reachable DNS and HTTP addresses, and its WAN address
// when it differs from the LAN one.
func federationAddrs(rt *config.Runtime, mc *membership.Config) {
	mc.DNSAddr = membership.ReachableAddr(rt.ClientAddr, rt.AdvertiseAddr, rt.Ports.DNS)
	mc.HTTPAddr = membership.ReachableAddr(rt.ClientAddr, rt.AdvertiseAddr, rt.Ports.HTTP)
	if rt.AdvertiseWANAddr.IsValid() && rt.AdvertiseWANAddr != rt.AdvertiseAddr {
		mc.WANAddr = rt.AdvertiseWANAddr
	}
}

// startWAN starts a server's WAN pool agent, configured like its LAN
// agent lan, and attaches it. Clients never join the WAN pool: WAN joins
// given to a client are an error.
func (d *daemon) startWAN(lan membership.Config) error {
	rt := d.runtime()
	if !rt.Server {
		if len(rt.StartJoinWAN) > 0 || len(rt.RetryJoinWAN) > 0 {
			return fmt.Errorf("-join-wan and -retry-join-wan need -server: only servers join the WAN pool")
		}
		return nil
	}
	wc := membership.WANConfig(lan)
	wc.BindPort = rt.Ports.SerfWAN
	wc.Tuning = rt.GossipWAN
	wc.DNSAddr = membership.ReachableAddr(rt.ClientAddr, rt.AdvertiseWANAddr, rt.Ports.DNS)
	wc.HTTPAddr = membership.ReachableAddr(rt.ClientAddr, rt.AdvertiseWANAddr, rt.Ports.HTTP)
	if p := os.Getenv(wanProfileEnv); p != "" {
		wc.Profile = p
		d.log.Info("WAN gossip timing profile set by "+wanProfileEnv, "profile", p)
	}
	wc.SnapshotPath = datadir.Path(rt.DataDir, datadir.WANSnapshot)
	// The WAN pool keeps its own keyring (Consul's serf/remote.keyring),
	// seeded from the LAN keyring the first time and following the WAN
	// pool's rotations after that.
	wc.KeyringPath = datadir.Path(rt.DataDir, datadir.WANKeyring)
	keys, err := loadKeyring(wc.KeyringPath, wc.Keys, "the LAN keyring", false, d.log) // keys.go
	if err != nil {
		return fmt.Errorf("WAN %w", err)
	}
	wc.Keys = keys
	wc.Logger = d.log.With("component", "gossip-wan")
	w, err := membership.New(wc)
	if err != nil {
		return fmt.Errorf("WAN gossip: %w", err)
	}
	d.wan = w
	d.agent.SetWAN(w)
	if !wc.DNSAddr.IsValid() {
		d.log.Warn("other datacenters cannot forward DNS questions to this server: its DNS listens on loopback only; set -client to an address they can reach (or 0.0.0.0)",
			"client_addr", rt.ClientAddr.String())
	}
	return nil
}

// joinWAN runs the WAN pool's join plan (joinplan.go) on a server.
func (d *daemon) joinWAN() error {
	if d.wan == nil {
		return nil
	}
	rt := d.runtime()
	return d.run(joinPlan{pool: "WAN ", startWhat: "join the WAN pool at start", startFlag: "-join-wan",
		retryFlag: "retry-join-wan", agent: d.wan, start: rt.StartJoinWAN, retry: rt.RetryJoinWAN})
}

// leaveWAN leaves the WAN pool gracefully, if this agent is in it.
func (d *daemon) leaveWAN() {
	if d.wan != nil {
		_ = d.wan.Leave() // logs its own outcome
	}
}

// stopWAN leaves the WAN pool (when graceful) and shuts its agent down.
func (d *daemon) stopWAN(graceful bool) {
	if d.wan == nil {
		return
	}
	if graceful {
		d.leaveWAN()
	}
	_ = d.wan.Shutdown()
}

// clusterPorts describes the gossip ports for the banner.
func (d *daemon) clusterPorts(lanPort uint16) string {
	if d.wan == nil {
		return fmt.Sprintf("LAN: %d", lanPort)
	}
	return fmt.Sprintf("LAN: %d, WAN: %d", lanPort, d.wan.Local().Port)
}
