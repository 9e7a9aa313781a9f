package config

import "reflect"

// restartSettings lists, for RestartNeeded, every Runtime setting that only
// takes effect when the agent restarts, with the name shown to operators.
//
// Everything not listed is applied by the daemon on reload: log_level,
// leave_on_terminate, skip_leave_on_interrupt and http_token directly, and
// the DNS settings (domain, alt_domain, recursors, recursor_allow,
// dns_config, corefile) by regenerating the Corefile and restarting the
// embedded CoreDNS instance, which keeps the gossip layer running.
var restartSettings = []struct {
	name string
	get  func(*Runtime) any
}{
	{"node name (node_name)", func(r *Runtime) any { return r.NodeName }},
	{"datacenter (datacenter)", func(r *Runtime) any { return r.Datacenter }},
	{"bind address (bind_addr)", func(r *Runtime) any { return r.BindAddr }},
	{"advertise address (advertise_addr)", func(r *Runtime) any { return r.AdvertiseAddr }},
	{"WAN advertise address (advertise_addr_wan)", func(r *Runtime) any { return r.AdvertiseWANAddr }},
	{"client address (client_addr)", func(r *Runtime) any { return r.ClientAddr }},
	{"data directory (data_dir)", func(r *Runtime) any { return r.DataDir }},
	{"server mode (server)", func(r *Runtime) any { return r.Server }},
	{"bootstrap expect (bootstrap_expect)", func(r *Runtime) any { return r.BootstrapExpect }},
	{"join addresses (start_join)", func(r *Runtime) any { return r.StartJoin }},
	{"retry join addresses (retry_join)", func(r *Runtime) any { return r.RetryJoin }},
	{"retry interval (retry_interval)", func(r *Runtime) any { return r.RetryInterval }},
	{"retry max (retry_max)", func(r *Runtime) any { return r.RetryMax }},
	{"WAN join addresses (start_join_wan)", func(r *Runtime) any { return r.StartJoinWAN }},
	{"WAN retry join addresses (retry_join_wan)", func(r *Runtime) any { return r.RetryJoinWAN }},
	{"DNS port (ports.dns)", func(r *Runtime) any { return r.Ports.DNS }},
	{"HTTP port (ports.http)", func(r *Runtime) any { return r.Ports.HTTP }},
	{"HTTPS port (ports.https)", func(r *Runtime) any { return r.Ports.HTTPS }},
	{"HTTPS certificate (cert_file, key_file)", func(r *Runtime) any { return r.CertFile + "|" + r.KeyFile }},
	{"Serf LAN port (ports.serf_lan)", func(r *Runtime) any { return r.Ports.SerfLAN }},
	{"Serf WAN port (ports.serf_wan)", func(r *Runtime) any { return r.Ports.SerfWAN }},
	{"JSON logging (log_json)", func(r *Runtime) any { return r.LogJSON }},
	{"development mode (-dev)", func(r *Runtime) any { return r.Dev }},
	{"node metadata (node_meta)", func(r *Runtime) any { return r.NodeMeta }},
	{"metrics address (metrics_addr)", func(r *Runtime) any { return r.MetricsAddr }},
	{"rejoin after leave (rejoin_after_leave)", func(r *Runtime) any { return r.Rejoin }},
	{"reconnect timeout (reconnect_timeout)", func(r *Runtime) any { return r.ReconnectTimeout }},
	{"LAN gossip timing (gossip_lan)", func(r *Runtime) any { return r.GossipLAN }},
	{"WAN gossip timing (gossip_wan)", func(r *Runtime) any { return r.GossipWAN }},
	{"gossip encryption key (encrypt)", func(r *Runtime) any { return r.Encrypt }},
	{"watches (watches)", func(r *Runtime) any { return watchesWithoutFrom(r.Watches) }},
}

// RestartNeeded lists, by human-readable name, the settings that differ
// between old and new but only take effect when the agent restarts (node
// name, datacenter, addresses, ports, server mode, data dir, encryption
// key, …). It returns nil when there are none or either Runtime is nil.
func RestartNeeded(old, new *Runtime) []string {
	if old == nil || new == nil {
		return nil
	}
	var out []string
	for _, s := range restartSettings {
		if !reflect.DeepEqual(s.get(old), s.get(new)) {
			out = append(out, s.name)
		}
	}
	return out
}

// watchesWithoutFrom compares watches by what they do, not by where they
// were defined.
func watchesWithoutFrom(ws []Watch) []Watch {
	out := make([]Watch, len(ws))
	for i, w := range ws {
		w.From = ""
		out[i] = w
	}
	return out
}
