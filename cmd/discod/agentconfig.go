package main

import (
	"log/slog"
	"path/filepath"
	"time"

	"github.com/discod/discod/config"
	"github.com/discod/discod/corefile"
	"github.com/discod/discod/membership"
)

// lanConfig maps the runtime configuration to the LAN pool agent's
// settings: the one place where a Runtime field becomes a gossip setting.
// The keys and the maintenance reason come from the data dir (keys.go,
// maint.go).
func lanConfig(rt *config.Runtime, nodeID, maintenance string, keys [][]byte, log *slog.Logger) membership.Config {
	mc := membership.DefaultConfig()
	mc.NodeName = rt.NodeName
	mc.NodeID = nodeID
	mc.Datacenter = rt.Datacenter
	if rt.Server {
		mc.Role = membership.RoleServer
	}
	mc.BootstrapExpect = rt.BootstrapExpect
	mc.Build = version
	mc.Meta = rt.NodeMeta
	mc.Maintenance = maintenance
	mc.BindAddr = rt.BindAddr
	mc.BindPort = rt.Ports.SerfLAN
	mc.AdvertiseAddr = rt.AdvertiseAddr
	mc.Tuning = rt.GossipLAN
	if rt.ReconnectTimeout > 0 {
		mc.ReconnectTimeout = rt.ReconnectTimeout
	}
	if rt.DataDir != "" {
		mc.SnapshotPath = filepath.Join(rt.DataDir, snapshotFile)
		mc.KeyringPath = filepath.Join(rt.DataDir, keyringFile)
	}
	mc.Keys = keys
	federationAddrs(rt, &mc) // wan.go
	mc.Logger = log.With("component", "gossip")
	return mc
}

// corefileOptions maps the runtime configuration to the options of the
// default Corefile.
func corefileOptions(rt *config.Runtime) corefile.Options {
	domains := []string{rt.Domain}
	if rt.AltDomain != "" {
		domains = append(domains, rt.AltDomain)
	}
	return corefile.Options{
		ListenAddr:     rt.ClientAddr,
		DNSPort:        rt.Ports.DNS,
		Domains:        domains,
		TTL:            int(rt.DNS.NodeTTL / time.Second),
		NegativeTTL:    int(rt.DNS.NegativeTTL / time.Second),
		FailedAnswer:   rt.DNS.FailedAnswer,
		NoReverse:      rt.DNS.NoReverse,
		Recursors:      rt.Recursors,
		RecursorAllow:  rt.RecursorAllow,
		ReadyAddr:      rt.ReadyAddr,
		HealthAddr:     rt.HealthAddr,
		MetricsAddr:    rt.MetricsAddr,
		ServiceTTL:     serviceTTLSeconds(rt.DNS.ServiceTTL),
		OnlyPassing:    rt.DNS.OnlyPassing,
		UDPAnswerLimit: rt.DNS.UDPAnswerLimit,
		ARecordLimit:   rt.DNS.ARecordLimit,
		EnableTruncate: rt.DNS.EnableTruncate,
	}
}

// serviceTTLSeconds converts dns_config.service_ttl to the Corefile's whole
// seconds.
func serviceTTLSeconds(m map[string]time.Duration) map[string]int {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]int, len(m))
	for name, d := range m {
		out[name] = int(d / time.Second)
	}
	return out
}
