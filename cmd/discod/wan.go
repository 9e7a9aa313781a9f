package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/discod/discod/config"
	"github.com/discod/discod/membership"
)

// Several datacenters: servers also join the WAN pool (membership's
// wan.go), and every agent gossips where its DNS server and HTTP API can
// be reached, so that questions about other datacenters can be forwarded
// (membership's federation.go).

// wanSnapshotFile holds the WAN peers a server knows, for rejoining the
// WAN pool after a restart.
const wanSnapshotFile = "peers-wan.json"

// wanKeyringFile holds the WAN pool's gossip keyring.
const wanKeyringFile = "keyring-wan"

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
	if rt.DataDir != "" {
		wc.SnapshotPath = filepath.Join(rt.DataDir, wanSnapshotFile)
		// The WAN pool keeps its own keyring (Consul's serf/remote.keyring),
		// seeded from the LAN keyring the first time and following the WAN
		// pool's rotations after that.
		wc.KeyringPath = filepath.Join(rt.DataDir, wanKeyringFile)
		saved, err := membership.ReadKeyringFile(wc.KeyringPath)
		switch {
		case err != nil:
			return fmt.Errorf("WAN gossip keyring: %w (fix or remove the file; it is seeded again from the LAN keyring)", err)
		case saved != nil:
			wc.Keys = saved
		case len(wc.Keys) > 0:
			if err := membership.WriteKeyringFile(wc.KeyringPath, wc.Keys); err != nil {
				return fmt.Errorf("WAN gossip keyring: save %s: %w", wc.KeyringPath, err)
			}
		}
	}
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

// joinWAN joins the -join-wan servers (an error when none answers), starts
// -retry-join-wan in the background, and rejoins the WAN peers the
// snapshot remembers.
func (d *daemon) joinWAN() error {
	if d.wan == nil {
		return nil
	}
	rt := d.runtime()
	if len(rt.StartJoinWAN) > 0 {
		n, err := d.wan.Join(rt.StartJoinWAN)
		if n == 0 {
			return fmt.Errorf("join the WAN pool at start (-join-wan): %w", err)
		}
		if err != nil {
			d.log.Warn("some -join-wan addresses could not be reached", "error", err)
		}
	}
	if len(rt.RetryJoinWAN) > 0 {
		go d.retryJoin("retry-join-wan", d.wan, rt.RetryJoinWAN)
	}
	if peers, left := d.wan.PreviousPeers(); len(peers) > 0 && (!left || rt.Rejoin) {
		go func() {
			if n, err := d.wan.Join(peers); n > 0 {
				d.log.Info("rejoined previous WAN peers from the snapshot", "contacted", n, "of", len(peers))
			} else if err != nil {
				d.log.Warn("could not rejoin any previous WAN peer from the snapshot", "error", err)
			}
		}()
	}
	return nil
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
