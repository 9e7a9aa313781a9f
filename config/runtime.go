package config

import (
	"encoding/base64"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/discod/discod/membership"
	"github.com/discod/discod/servicedef"
)

// Runtime is the agent's validated configuration: defaults, files and
// flags merged, derived values filled in. Load and Reload build it; treat it
// as read-only afterwards.
type Runtime struct {
	// NodeName is this member's name, a DNS label (letters, digits,
	// hyphens; 1–63 characters), case preserved. Flag -node, key
	// node_name. Default: the first label of the host name.
	NodeName string

	// Datacenter is the datacenter name, a DNS label stored lower case.
	// Flag -datacenter, key datacenter. Default "dc1".
	Datacenter string

	// BindAddr is where gossip (Serf LAN and WAN ports) listens. Flag
	// -bind, key bind_addr. Default: the host's single private IPv4
	// address (RFC 1918 or 100.64.0.0/10); none or several is an error
	// asking for -bind. With -dev: 127.0.0.1.
	BindAddr netip.Addr

	// AdvertiseAddr is the address other agents are told to reach this one
	// at, and what DNS answers for this node. Flag -advertise, key
	// advertise_addr. Default: BindAddr, or, when BindAddr is a wildcard
	// (0.0.0.0 or ::), the host's single private IPv4 address (127.0.0.1
	// with -dev). Never a wildcard.
	AdvertiseAddr netip.Addr

	// AdvertiseWANAddr is the address advertised to other datacenters.
	// Flag -advertise-wan, key advertise_addr_wan. Default: AdvertiseAddr.
	AdvertiseWANAddr netip.Addr

	// ClientAddr is where the DNS and HTTP interfaces listen. Flag
	// -client, key client_addr. Default 127.0.0.1.
	ClientAddr netip.Addr

	// DataDir is where state that survives restarts is kept. Flag
	// -data-dir, key data_dir. Default "": nothing is persisted (always
	// so with -dev unless given).
	DataDir string

	// Server marks the agent as a server. Flag -server, key server.
	// Default false (true with -dev).
	Server bool

	// BootstrapExpect is how many servers must be alive before the agent
	// reports ready; it requires Server. Flag -bootstrap-expect, key
	// bootstrap_expect. Default 0.
	BootstrapExpect int

	// StartJoin lists agents to join once at start (host, host:port,
	// [v6]:port). Flag -join (repeatable), key start_join. Default none.
	StartJoin []string

	// RetryJoin lists agents to join at start, retrying until one
	// answers. Flag -retry-join (repeatable), key retry_join. Default none.
	RetryJoin []string

	// RetryInterval is the wait between join attempts, LAN and WAN. Flag
	// -retry-interval, key retry_interval. Default 30s.
	RetryInterval time.Duration

	// RetryMax is how many join attempts to make before giving up; 0
	// retries forever. Flag -retry-max, key retry_max. Default 0.
	RetryMax int

	// StartJoinWAN lists servers in other datacenters to join once at
	// start. Flag -join-wan (repeatable), key start_join_wan. Default none.
	StartJoinWAN []string

	// RetryJoinWAN is like RetryJoin for the WAN pool. Flag
	// -retry-join-wan (repeatable), key retry_join_wan. Default none.
	RetryJoinWAN []string

	// Ports holds the listening ports.
	Ports Ports

	// Domain is the DNS zone served, lower case and fully qualified
	// ("consul."). Flag -domain, key domain. Default "consul.".
	Domain string

	// AltDomain is a second zone answered like Domain, in the same form;
	// "" for none. Flag -alt-domain, key alt_domain. Default "".
	AltDomain string

	// LogLevel is one of trace, debug, info, warn or error, lower case
	// (given case-insensitively; "warning" and "err" are accepted as
	// aliases). Flag -log-level, key log_level. Default "info", with -dev
	// too.
	LogLevel string

	// LogJSON selects JSON log lines. Flag -log-json, key log_json.
	// Default false.
	LogJSON bool

	// Dev is set by -dev: a single in-memory server on loopback. It only
	// changes defaults; explicit settings still win.
	Dev bool

	// Recursors are the upstream resolvers for names outside the served
	// zones, normalised to IP:port (port 53 unless given; IPv6 in
	// brackets). Host names are not accepted. Flag -recursor (repeatable),
	// key recursors. Default none: out-of-zone queries are refused.
	Recursors []string

	// RecursorAllow lists the client networks allowed to use the
	// recursors, so the agent is not an open resolver. Flag
	// -recursor-allow (repeatable), key recursor_allow. Default
	// 127.0.0.0/8, ::1/128, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16,
	// fc00::/7; any explicit value replaces the whole default.
	RecursorAllow []netip.Prefix

	// NodeMeta is the operator's node metadata, gossiped to peers. At
	// most 64 pairs; keys are letters, digits, '_' and '-', at most 128
	// characters, not starting with "consul-" or "discod-"; values at most
	// 512 characters. Flag -node-meta key:value (repeatable), key
	// node_meta. Default nil.
	NodeMeta map[string]string

	// DNS holds the DNS answer settings (key dns_config).
	DNS DNSConfig

	// Corefile is the path of an operator-written Corefile to run instead
	// of the generated one. Flag -corefile, key corefile. Default "":
	// generated from these settings.
	Corefile string

	// HealthAddr and ReadyAddr are the host:port of CoreDNS's health
	// (/health, liveness) and ready (/ready, -bootstrap-expect) endpoints in
	// the generated Corefile; "" when turned off. Flags -health-addr,
	// -ready-addr; keys health_addr, ready_addr; "off" turns one off.
	// Default: the client address with CoreDNS's ports 8080 and 8181.
	HealthAddr, ReadyAddr string

	// MetricsAddr is the host:port of the Prometheus metrics listener,
	// "" for none. Flag -metrics-addr, key metrics_addr. Default "".
	MetricsAddr string

	// LeaveOnTerminate makes SIGTERM leave the cluster gracefully before
	// exiting. Key leave_on_terminate. Default true — discod's documented
	// choice, unlike Consul's client default, because systemd and
	// Kubernetes stop services with SIGTERM.
	LeaveOnTerminate bool

	// SkipLeaveOnInterrupt makes SIGINT exit without leaving. Key
	// skip_leave_on_interrupt. Default false.
	SkipLeaveOnInterrupt bool

	// Rejoin makes the agent rejoin the cluster at start even after a
	// graceful leave. Flag -rejoin, key rejoin_after_leave. Default false.
	Rejoin bool

	// ReconnectTimeout is how long a failed member is kept (and retried)
	// before it is reaped. Key reconnect_timeout. Default 72h.
	ReconnectTimeout time.Duration

	// GossipLAN and GossipWAN override single gossip timing settings of the
	// LAN and WAN pools. Keys gossip_lan.* and gossip_wan.* (gossip_nodes,
	// gossip_interval, probe_interval, probe_timeout, suspicion_mult,
	// retransmit_mult), as in Consul. Default: memberlist's LAN and WAN
	// profiles.
	GossipLAN, GossipWAN membership.Tuning

	// Encrypt is the gossip encryption key, base64 of 16, 24 or 32 bytes
	// (AES-128/192/256); "" for none. Flag -encrypt, key encrypt.
	Encrypt string

	// CertFile and KeyFile are the PEM certificate chain and private key of
	// the HTTPS API. Flags -cert-file, -key-file; keys cert_file, key_file.
	// Required (and checked to load) when Ports.HTTPS is set.
	CertFile, KeyFile string

	// HTTPToken is the token the HTTP API requires for write requests; "" for
	// none. Flag -http-token, key http_token.
	HTTPToken string

	// EnableScriptChecks runs script checks from any source, the HTTP API
	// included. With a ClientAddr that is not loopback it requires
	// HTTPToken: otherwise anyone who reaches the API can run commands on
	// the machine. Flag -enable-script-checks, key enable_script_checks.
	// Default false.
	EnableScriptChecks bool

	// EnableLocalScriptChecks runs script checks defined in config files.
	// Flag -enable-local-script-checks, key enable_local_script_checks.
	// Default false.
	EnableLocalScriptChecks bool

	// CheckOutputMaxSize is the most output a check keeps, in bytes.
	// Key check_output_max_size. Default 4096.
	CheckOutputMaxSize int

	// CheckUpdateInterval is how long a change of a check's output alone
	// (no change of status) waits before it spreads to other agents. Key
	// check_update_interval. Default 5m, as Consul.
	CheckUpdateInterval time.Duration

	// Services are the service definitions of the config files (keys
	// service and services), normalized and validated, in file order,
	// with FromFile set and Source naming the file. Their IDs are unique.
	Services []servicedef.Service

	// Checks are the check definitions of the config files (keys check
	// and checks), as Services; checks inside a service are in its
	// Checks, not here.
	Checks []servicedef.Check

	// ConfigFiles lists the files read, in the order they were applied.
	ConfigFiles []string

	// Watches are the watches block's entries (watches.go), run by the
	// agent while it is up.
	Watches []Watch

	// Warnings are messages for the daemon to log: ignored settings
	// (Consul keys discod does not implement, one per key and file) and
	// what service and check validation accepts with a warning (names and
	// tags DNS cannot answer, deprecated keys).
	Warnings []string

	// args and env are what Reload needs to build the next Runtime.
	args []string
	env  *env
}

// Ports holds the agent's listening ports. Each is 0–65535; 0 lets the
// operating system pick a free port, which is useful in tests only.
type Ports struct {
	// DNS is the DNS port (UDP and TCP) on ClientAddr. Flag -dns-port,
	// key ports.dns. Default 8600.
	DNS int
	// HTTP is the HTTP API port on ClientAddr. Flag -http-port, key
	// ports.http. Default 8500.
	HTTP int
	// SerfLAN is the LAN gossip port on BindAddr. Flag -serf-lan-port,
	// key ports.serf_lan. Default 8301.
	SerfLAN int
	// HTTPS is the HTTPS API port on ClientAddr; 0 (the default) is off.
	// Flag -https-port, key ports.https.
	HTTPS int
	// SerfWAN is the WAN gossip port on BindAddr. Flag -serf-wan-port,
	// key ports.serf_wan. Default 8302.
	SerfWAN int
}

// DNSConfig holds DNS answer settings (key dns_config).
type DNSConfig struct {
	// NodeTTL is the TTL of node records, whole seconds. Key
	// dns_config.node_ttl. Default 5s (Consul's is 0, which defeats
	// caching).
	NodeTTL time.Duration
	// NegativeTTL is the SOA minimum, hence how long resolvers cache
	// NXDOMAIN and NODATA. Key dns_config.soa.min_ttl, in seconds as
	// Consul. Default 5s.
	NegativeTTL time.Duration
	// FailedAnswer makes node lookups answer for failed members too (left
	// members never answer). Key dns_config.failed_answer (discod only).
	// Default false.
	FailedAnswer bool
	// NoReverse turns off PTR answers for members' addresses. Key
	// dns_config.no_reverse (discod only). Default false.
	NoReverse bool
	// ServiceTTL maps lower-case service names, and prefixes ending in
	// "*" ("*" alone for every service), to the TTL of their answers;
	// ServiceTTLFor looks a name up. Key dns_config.service_ttl, an object
	// of duration strings, as Consul. Default nil: NodeTTL applies.
	ServiceTTL map[string]time.Duration
	// OnlyPassing makes service answers leave out instances with a check
	// in warning, not only critical ones. Key dns_config.only_passing.
	// Default false.
	OnlyPassing bool
	// UDPAnswerLimit caps the records of a UDP service answer, as
	// Consul's; 0 (the default, unlike Consul's 3) sets no count limit:
	// discod fits the answer to the client's buffer and sets TC when it
	// leaves records out. Key dns_config.udp_answer_limit.
	UDPAnswerLimit int
	// ARecordLimit caps the A and AAAA records of any answer; 0 (the
	// default) sets none. Key dns_config.a_record_limit.
	ARecordLimit int
	// EnableTruncate sets TC when UDPAnswerLimit or ARecordLimit left
	// records out, as Consul's. Key dns_config.enable_truncate. Default
	// false.
	EnableTruncate bool
}

// ServiceTTLFor returns the TTL ServiceTTL gives service name (any case):
// the exact name's, else the longest matching "prefix*" entry's (Consul's
// rule); ok is false when no entry matches.
func (d *DNSConfig) ServiceTTLFor(name string) (ttl time.Duration, ok bool) {
	name = strings.ToLower(name)
	if ttl, ok := d.ServiceTTL[name]; ok {
		return ttl, true
	}
	best := -1
	for k, v := range d.ServiceTTL {
		pre, wild := strings.CutSuffix(k, "*")
		if wild && len(pre) > best && strings.HasPrefix(name, pre) {
			best, ttl, ok = len(pre), v, true
		}
	}
	return ttl, ok
}

// defaultRecursorAllow is the default for RecursorAllow: loopback and the
// private ranges.
var defaultRecursorAllow = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("fc00::/7"),
}

// loopback4 is 127.0.0.1, the default client address and -dev's bind
// address.
var loopback4 = netip.AddrFrom4([4]byte{127, 0, 0, 1})

// defaults returns a Runtime holding every default that does not depend on
// the host.
func defaults() *Runtime {
	return &Runtime{
		Datacenter:       "dc1",
		ClientAddr:       loopback4,
		RetryInterval:    30 * time.Second,
		Ports:            Ports{DNS: 8600, HTTP: 8500, SerfLAN: 8301, SerfWAN: 8302},
		Domain:           "consul.",
		LogLevel:         "info",
		DNS:              DNSConfig{NodeTTL: 5 * time.Second, NegativeTTL: 5 * time.Second},
		LeaveOnTerminate: true,
		ReconnectTimeout: 72 * time.Hour,

		CheckOutputMaxSize:  servicedef.DefaultOutputMaxSize,
		CheckUpdateInterval: 5 * time.Minute,
	}
}

// EncryptKey returns the decoded gossip key, or nil when Encrypt is empty.
// Load has already checked that it decodes to 16, 24 or 32 bytes.
func (r *Runtime) EncryptKey() []byte {
	if r.Encrypt == "" {
		return nil
	}
	key, err := base64.StdEncoding.DecodeString(r.Encrypt)
	if err != nil {
		return nil
	}
	return key
}

// LevelTrace is the slog level discod uses for "trace", below Debug.
const LevelTrace = slog.LevelDebug - 4

// SlogLevel returns LogLevel as a slog level; trace is LevelTrace.
func (r *Runtime) SlogLevel() slog.Level {
	switch r.LogLevel {
	case "trace":
		return LevelTrace
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}
