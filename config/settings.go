package config

import (
	"sort"
	"strings"
)

// kind is the shape of a setting's value in files and flags.
type kind int

const (
	kindString   kind = iota // a string
	kindBool                 // true or false
	kindInt                  // a whole number
	kindDuration             // a Go duration string such as "30s"
	kindSeconds              // a whole number of seconds (Consul's SOA fields)
	kindList                 // a list of strings; the flag repeats
	kindMap                  // an object of string values; the flag repeats as key:value
)

// setting describes one configurable value: its file key, its flag and how
// to check it. The settings table is the single source for parsing files,
// defining flags and suggesting names.
type setting struct {
	// key is the configuration file key, dotted for nested blocks
	// ("ports.dns"); "" for a flag-only setting.
	key string
	// flag is the flag name without its dash; "" for a file-only setting.
	flag string
	kind kind
	// arg names the flag's argument in -help.
	arg string
	// usage is the one-line -help text, default included.
	usage string
	// check validates one value of the kind's base type (string, bool,
	// int, time.Duration; one element of a list; a metaPair for a map) and
	// returns its stored form. nil accepts any value.
	check func(v any) (any, error)
}

// id names the setting in a store: its key, or "-flag" for flag-only ones.
func (s *setting) id() string {
	if s.key != "" {
		return s.key
	}
	return "-" + s.flag
}

// settings lists everything discod reads from files and flags, except
// -config-file and -config-dir, which name the files.
var settings = []*setting{
	{key: "node_name", flag: "node", arg: "name", check: checkNodeName,
		usage: "Node name, a DNS label (default: the host name's first label)"},
	{key: "datacenter", flag: "datacenter", arg: "name", check: checkDatacenter,
		usage: "Datacenter name, a DNS label, stored lower case (default dc1)"},
	{key: "bind_addr", flag: "bind", arg: "ip", check: checkAddr,
		usage: "Gossip bind address (default: this host's single private IPv4 address; 127.0.0.1 with -dev)"},
	{key: "advertise_addr", flag: "advertise", arg: "ip", check: checkAdvertise,
		usage: "Address advertised to other agents and answered in DNS (default: the bind address)"},
	{key: "advertise_addr_wan", flag: "advertise-wan", arg: "ip", check: checkAdvertise,
		usage: "Address advertised to other datacenters (default: the advertise address)"},
	{key: "client_addr", flag: "client", arg: "ip", check: checkAddr,
		usage: "Address the DNS and HTTP interfaces listen on (default 127.0.0.1)"},
	{key: "data_dir", flag: "data-dir", arg: "path", check: checkNonEmpty,
		usage: "Directory for state kept across restarts (default: none, nothing persisted)"},
	{key: "server", flag: "server", kind: kindBool,
		usage: "Run as a server"},
	{key: "bootstrap_expect", flag: "bootstrap-expect", kind: kindInt, arg: "n", check: checkNonNegative,
		usage: "Servers that must be alive before the agent reports ready; needs -server (default 0)"},
	{key: "start_join", flag: "join", kind: kindList, arg: "addr", check: checkJoinAddr,
		usage: "Agent to join at start, once; repeatable"},
	{key: "retry_join", flag: "retry-join", kind: kindList, arg: "addr", check: checkJoinAddr,
		usage: "Agent to join at start, retrying until it answers; repeatable"},
	{key: "retry_interval", flag: "retry-interval", kind: kindDuration, arg: "duration", check: checkPositiveDuration,
		usage: "Time between join attempts (default 30s)"},
	{key: "retry_max", flag: "retry-max", kind: kindInt, arg: "n", check: checkNonNegative,
		usage: "Join attempts before giving up; 0 retries forever (default 0)"},
	{key: "start_join_wan", flag: "join-wan", kind: kindList, arg: "addr", check: checkJoinAddr,
		usage: "Server in another datacenter to join at start, once; repeatable"},
	{key: "retry_join_wan", flag: "retry-join-wan", kind: kindList, arg: "addr", check: checkJoinAddr,
		usage: "Server in another datacenter to join, retrying; repeatable"},
	{key: "ports.dns", flag: "dns-port", kind: kindInt, arg: "port", check: checkPort,
		usage: "DNS port, UDP and TCP (default 8600)"},
	{key: "ports.http", flag: "http-port", kind: kindInt, arg: "port", check: checkPort,
		usage: "HTTP API port (default 8500)"},
	{key: "ports.https", flag: "https-port", kind: kindInt, arg: "port", check: checkPort,
		usage: "HTTPS API port on the client address; needs -cert-file and -key-file (default: off)"},
	{key: "cert_file", flag: "cert-file", arg: "path", check: checkNonEmpty,
		usage: "TLS certificate chain (PEM) for the HTTPS API"},
	{key: "key_file", flag: "key-file", arg: "path", check: checkNonEmpty,
		usage: "TLS private key (PEM) for the HTTPS API"},
	{key: "ports.serf_lan", flag: "serf-lan-port", kind: kindInt, arg: "port", check: checkPort,
		usage: "LAN gossip port, UDP and TCP (default 8301)"},
	{key: "ports.serf_wan", flag: "serf-wan-port", kind: kindInt, arg: "port", check: checkPort,
		usage: "WAN gossip port, UDP and TCP (default 8302)"},
	{key: "domain", flag: "domain", arg: "domain", check: checkDomain,
		usage: "DNS zone to answer (default consul.)"},
	{key: "alt_domain", flag: "alt-domain", arg: "domain", check: checkDomain,
		usage: "Second DNS zone answered like -domain (default: none)"},
	{key: "log_level", flag: "log-level", arg: "level", check: checkLogLevel,
		usage: "Log level: trace, debug, info, warn or error (default info)"},
	{key: "log_json", flag: "log-json", kind: kindBool,
		usage: "Write log lines as JSON"},
	{key: "recursors", flag: "recursor", kind: kindList, arg: "ip[:port]", check: checkRecursor,
		usage: "Upstream resolver for names outside the zones; repeatable (default: none, such queries are refused)"},
	{key: "recursor_allow", flag: "recursor-allow", kind: kindList, arg: "cidr", check: checkPrefix,
		usage: "Client network allowed to use the recursors; repeatable, replaces the default (loopback and private ranges)"},
	{key: "node_meta", flag: "node-meta", kind: kindMap, arg: "key:value", check: checkMetaPair,
		usage: "Node metadata pair; repeatable, at most 64"},
	{key: "dns_config.node_ttl", kind: kindDuration, check: checkTTL},
	{key: "dns_config.soa.min_ttl", kind: kindSeconds, check: checkTTL},
	{key: "dns_config.failed_answer", kind: kindBool},
	{key: "dns_config.no_reverse", kind: kindBool},
	{key: "dns_config.service_ttl", kind: kindMap, check: checkServiceTTL},
	{key: "dns_config.only_passing", kind: kindBool},
	{key: "dns_config.udp_answer_limit", kind: kindInt, check: checkAnswerLimit},
	{key: "dns_config.a_record_limit", kind: kindInt, check: checkAnswerLimit},
	{key: "dns_config.enable_truncate", kind: kindBool},
	{key: "enable_script_checks", flag: "enable-script-checks", kind: kindBool,
		usage: "Run script checks from any source, the HTTP API included; with a non-loopback -client it needs -http-token"},
	{key: "enable_local_script_checks", flag: "enable-local-script-checks", kind: kindBool,
		usage: "Run script checks defined in config files"},
	{key: "check_output_max_size", kind: kindInt, check: checkPositive},
	{key: "check_update_interval", kind: kindDuration, check: checkNonNegativeDuration},
	{key: "corefile", flag: "corefile", arg: "path", check: checkCorefile,
		usage: "Run this Corefile instead of the generated one"},
	{key: "metrics_addr", flag: "metrics-addr", arg: "host:port", check: checkMetricsAddr,
		usage: "Serve Prometheus metrics on this address (default: off)"},
	{key: "health_addr", flag: "health-addr", arg: "host:port|off", check: checkEndpointAddr,
		usage: "CoreDNS health endpoint (/health) address, or off (default: the client address, port 8080)"},
	{key: "ready_addr", flag: "ready-addr", arg: "host:port|off", check: checkEndpointAddr,
		usage: "CoreDNS ready endpoint (/ready) address, or off (default: the client address, port 8181)"},
	{key: "leave_on_terminate", kind: kindBool},
	{key: "skip_leave_on_interrupt", kind: kindBool},
	{key: "rejoin_after_leave", flag: "rejoin", kind: kindBool,
		usage: "Rejoin the cluster at start even after a graceful leave"},
	{key: "reconnect_timeout", kind: kindDuration, check: checkPositiveDuration},
	{key: "encrypt", flag: "encrypt", arg: "key", check: checkEncrypt,
		usage: "Gossip encryption key, base64 of 16, 24 or 32 bytes"},
	{key: "http_token", flag: "http-token", arg: "token",
		usage: "Token the HTTP API requires (default: none)"},
	{flag: "dev", kind: kindBool,
		usage: "Development mode: an in-memory server on 127.0.0.1"},
}

// Gossip timing, Consul's gossip_lan and gossip_wan blocks
// (membership.Tuning explains each key). Unset keeps the profile's value.
func init() {
	for _, pool := range []string{"gossip_lan", "gossip_wan"} {
		settings = append(settings,
			&setting{key: pool + ".gossip_nodes", kind: kindInt, check: checkNonNegative},
			&setting{key: pool + ".gossip_interval", kind: kindDuration, check: checkPositiveDuration},
			&setting{key: pool + ".probe_interval", kind: kindDuration, check: checkPositiveDuration},
			&setting{key: pool + ".probe_timeout", kind: kindDuration, check: checkPositiveDuration},
			&setting{key: pool + ".suspicion_mult", kind: kindInt, check: checkNonNegative},
			&setting{key: pool + ".retransmit_mult", kind: kindInt, check: checkNonNegative})
	}
}

// Indexes over settings, built once.
var (
	settingByKey = map[string]*setting{}
	// blocks are the nested objects discod reads keys from.
	blocks = map[string]bool{}
	// siblings maps a block path ("" for the top level) to the names that
	// may appear in it, for suggestions.
	siblings = map[string][]string{}
)

func init() {
	for _, s := range settings {
		if s.key == "" {
			continue
		}
		settingByKey[s.key] = s
		parts := strings.Split(s.key, ".")
		for i := 1; i < len(parts); i++ {
			blocks[strings.Join(parts[:i], ".")] = true
		}
	}
	known := map[string]bool{}
	for k := range settingByKey {
		known[k] = true
	}
	for k := range blocks {
		known[k] = true
	}
	for k := range consulIgnored {
		known[k] = true
	}
	for k := range definitionKeys {
		known[k] = true
	}
	for k := range known {
		parent, name := splitKey(k)
		siblings[parent] = append(siblings[parent], name)
	}
	for _, v := range siblings {
		sort.Strings(v)
	}
}

// splitKey splits a dotted key into its parent block and last name.
func splitKey(k string) (parent, name string) {
	if i := strings.LastIndexByte(k, '.'); i >= 0 {
		return k[:i], k[i+1:]
	}
	return "", k
}
