package config

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/discod/discod/membership"
	"github.com/discod/discod/servicedef"
)

// build applies the merged store on top of the defaults, derives what was
// not given and checks the settings that depend on each other.
func build(st *store, e *env) (*Runtime, error) {
	r := defaults()
	get(st, "-dev", &r.Dev)
	if r.Dev {
		r.Server = true
	}

	if err := r.nodeName(st, e); err != nil {
		return nil, err
	}
	get(st, "datacenter", &r.Datacenter)
	if err := r.addresses(st, e); err != nil {
		return nil, err
	}

	get(st, "data_dir", &r.DataDir)
	get(st, "server", &r.Server)
	get(st, "bootstrap_expect", &r.BootstrapExpect)
	r.StartJoin = values[string](st, "start_join")
	r.RetryJoin = values[string](st, "retry_join")
	get(st, "retry_interval", &r.RetryInterval)
	get(st, "retry_max", &r.RetryMax)
	r.StartJoinWAN = values[string](st, "start_join_wan")
	r.RetryJoinWAN = values[string](st, "retry_join_wan")
	r.Watches = watchValues(st)

	get(st, "ports.dns", &r.Ports.DNS)
	get(st, "ports.http", &r.Ports.HTTP)
	get(st, "ports.https", &r.Ports.HTTPS)
	get(st, "cert_file", &r.CertFile)
	get(st, "key_file", &r.KeyFile)
	get(st, "ports.serf_lan", &r.Ports.SerfLAN)
	get(st, "ports.serf_wan", &r.Ports.SerfWAN)

	get(st, "domain", &r.Domain)
	get(st, "alt_domain", &r.AltDomain)
	get(st, "log_level", &r.LogLevel)
	get(st, "log_json", &r.LogJSON)
	r.Recursors = values[string](st, "recursors")
	r.RecursorAllow = values[netip.Prefix](st, "recursor_allow")
	if r.RecursorAllow == nil {
		r.RecursorAllow = slices.Clone(defaultRecursorAllow)
	}

	get(st, "dns_config.node_ttl", &r.DNS.NodeTTL)
	get(st, "dns_config.soa.min_ttl", &r.DNS.NegativeTTL)
	get(st, "dns_config.failed_answer", &r.DNS.FailedAnswer)
	get(st, "dns_config.no_reverse", &r.DNS.NoReverse)
	r.DNS.ServiceTTL = serviceTTL(st)
	get(st, "dns_config.only_passing", &r.DNS.OnlyPassing)
	get(st, "dns_config.udp_answer_limit", &r.DNS.UDPAnswerLimit)
	get(st, "dns_config.a_record_limit", &r.DNS.ARecordLimit)
	get(st, "dns_config.enable_truncate", &r.DNS.EnableTruncate)

	get(st, "corefile", &r.Corefile)
	get(st, "metrics_addr", &r.MetricsAddr)
	r.HealthAddr = endpoint(st, "health_addr", r.ClientAddr, 8080)
	r.ReadyAddr = endpoint(st, "ready_addr", r.ClientAddr, 8181)
	get(st, "leave_on_terminate", &r.LeaveOnTerminate)
	get(st, "skip_leave_on_interrupt", &r.SkipLeaveOnInterrupt)
	get(st, "rejoin_after_leave", &r.Rejoin)
	get(st, "reconnect_timeout", &r.ReconnectTimeout)
	r.GossipLAN = tuning(st, "gossip_lan")
	r.GossipWAN = tuning(st, "gossip_wan")
	get(st, "encrypt", &r.Encrypt)
	get(st, "http_token", &r.HTTPToken)
	get(st, "enable_script_checks", &r.EnableScriptChecks)
	get(st, "enable_local_script_checks", &r.EnableLocalScriptChecks)
	get(st, "check_output_max_size", &r.CheckOutputMaxSize)
	get(st, "check_update_interval", &r.CheckUpdateInterval)

	if err := r.nodeMeta(st); err != nil {
		return nil, err
	}
	if err := r.crossCheck(st); err != nil {
		return nil, err
	}
	if err := r.definitions(st); err != nil {
		return nil, err
	}
	return r, nil
}

// origin names where setting id's value came from, "default" when no
// source set it.
func origin(st *store, id string) string {
	if e, ok := st.scalar[id]; ok {
		return e.from
	}
	return "default"
}

// nodeName sets NodeName from the sources or the host name.
func (r *Runtime) nodeName(st *store, e *env) error {
	if _, ok := get(st, "node_name", &r.NodeName); ok {
		return nil
	}
	host, err := e.hostname()
	if err != nil {
		return fmt.Errorf("no node name given and the host name cannot be read (%v): set -node", err)
	}
	label, _, _ := strings.Cut(host, ".")
	if err := membership.ValidateLabel("node name", label); err != nil {
		return fmt.Errorf("default node name from host name %q: %w; set -node to a valid DNS label", host, err)
	}
	r.NodeName = label
	return nil
}

// addresses sets the bind, advertise and client addresses, choosing the
// host's private IPv4 address where one is needed and not given.
func (r *Runtime) addresses(st *store, e *env) error {
	choose := func(flag string) (netip.Addr, error) {
		addrs, err := e.hostAddrs()
		if err != nil {
			return netip.Addr{}, fmt.Errorf("%w: set %s to the address other agents should use", err, flag)
		}
		return choosePrivateIPv4(addrs, flag)
	}
	if _, ok := get(st, "bind_addr", &r.BindAddr); !ok {
		if r.Dev {
			r.BindAddr = loopback4
		} else {
			a, err := choose("-bind")
			if err != nil {
				return err
			}
			r.BindAddr = a
		}
	}
	if _, ok := get(st, "advertise_addr", &r.AdvertiseAddr); !ok {
		switch {
		case !r.BindAddr.IsUnspecified():
			r.AdvertiseAddr = r.BindAddr
		case r.Dev:
			r.AdvertiseAddr = loopback4
		default:
			a, err := choose("-advertise")
			if err != nil {
				return fmt.Errorf("bind address %s (%s) is a wildcard and no advertise address is set: %w", r.BindAddr, origin(st, "bind_addr"), err)
			}
			r.AdvertiseAddr = a
		}
	}
	if _, ok := get(st, "advertise_addr_wan", &r.AdvertiseWANAddr); !ok {
		r.AdvertiseWANAddr = r.AdvertiseAddr
	}
	get(st, "client_addr", &r.ClientAddr)
	return nil
}

// nodeMeta merges the node_meta pairs, later values winning, and checks
// their number.
func (r *Runtime) nodeMeta(st *store) error {
	pairs := st.list["node_meta"]
	if len(pairs) == 0 {
		return nil
	}
	r.NodeMeta = make(map[string]string, len(pairs))
	for _, e := range pairs {
		p := e.val.(metaPair)
		r.NodeMeta[p.key] = p.value
		if len(r.NodeMeta) > servicedef.MaxMetaPairs {
			return fmt.Errorf("%s: node metadata has more than %d keys", e.from, servicedef.MaxMetaPairs)
		}
	}
	return nil
}

// crossCheck checks the settings that depend on each other.
func (r *Runtime) crossCheck(st *store) error {
	if r.BootstrapExpect > 0 && !r.Server {
		return fmt.Errorf("%s: bootstrap_expect %d needs server mode: add -server (or server = true)", origin(st, "bootstrap_expect"), r.BootstrapExpect)
	}
	if r.AltDomain != "" {
		if r.AltDomain == r.Domain {
			return fmt.Errorf("%s: alt_domain %q is the same as domain (%s)", origin(st, "alt_domain"), r.AltDomain, origin(st, "domain"))
		}
		if strings.HasSuffix(r.AltDomain, "."+r.Domain) || strings.HasSuffix(r.Domain, "."+r.AltDomain) {
			return fmt.Errorf("%s: alt_domain %q and domain %q (%s) nest, so names in the inner zone would be ambiguous", origin(st, "alt_domain"), r.AltDomain, r.Domain, origin(st, "domain"))
		}
	}
	if err := r.checkPorts(st); err != nil {
		return err
	}
	if err := r.checkTLS(st); err != nil {
		return err
	}
	if err := r.checkScriptExposure(st); err != nil {
		return err
	}
	return r.checkRecursorLoop(st)
}

// checkPorts refuses two listeners on the same port and address. DNS and
// HTTP share the client address, the gossip ports the bind address; when
// the two addresses overlap, all four must differ. Port 0 (any free port)
// never clashes.
func (r *Runtime) checkPorts(st *store) error {
	type port struct {
		key string
		n   int
	}
	client := []port{{"ports.dns", r.Ports.DNS}, {"ports.http", r.Ports.HTTP}, {"ports.https", r.Ports.HTTPS}}
	gossip := []port{{"ports.serf_lan", r.Ports.SerfLAN}, {"ports.serf_wan", r.Ports.SerfWAN}}
	groups := [][]port{client, gossip}
	if r.ClientAddr == r.BindAddr || r.ClientAddr.IsUnspecified() || r.BindAddr.IsUnspecified() {
		groups = [][]port{append(client, gossip...)}
	}
	for _, g := range groups {
		for i := range g {
			for j := i + 1; j < len(g); j++ {
				if g[i].n != 0 && g[i].n == g[j].n {
					return fmt.Errorf("%s: port %d is already taken by %s (%s) on the same address", origin(st, g[j].key), g[j].n, g[i].key, origin(st, g[i].key))
				}
			}
		}
	}
	return nil
}

// endpoint returns the configured address of a CoreDNS HTTP endpoint, its
// default on the client address, or "" for off.
func endpoint(st *store, key string, client netip.Addr, port int) string {
	var s string
	get(st, key, &s)
	switch s {
	case "off":
		return ""
	case "":
		return net.JoinHostPort(client.String(), strconv.Itoa(port))
	}
	return s
}

// checkTLS requires a certificate and key, both loadable, when the HTTPS
// port is set.
func (r *Runtime) checkTLS(st *store) error {
	if r.Ports.HTTPS == 0 {
		return nil
	}
	if r.CertFile == "" || r.KeyFile == "" {
		return fmt.Errorf("%s: the HTTPS port needs cert_file and key_file (-cert-file, -key-file)", origin(st, "ports.https"))
	}
	if _, err := tls.LoadX509KeyPair(r.CertFile, r.KeyFile); err != nil {
		return fmt.Errorf("%s, %s: cannot load the HTTPS certificate and key: %w", origin(st, "cert_file"), origin(st, "key_file"), err)
	}
	return nil
}

// checkRecursorLoop refuses a recursor that is this agent's own DNS
// listener: every out-of-zone query would come straight back.
func (r *Runtime) checkRecursorLoop(st *store) error {
	for _, e := range st.list["recursors"] {
		ap := netip.MustParseAddrPort(e.val.(string))
		if int(ap.Port()) != r.Ports.DNS {
			continue
		}
		a := ap.Addr()
		self := a == r.ClientAddr ||
			r.ClientAddr.IsUnspecified() && (a.IsLoopback() || a == r.AdvertiseAddr || a == r.BindAddr)
		if self {
			return fmt.Errorf("%s: recursor %s is this agent's own DNS listener; forwarding to it would loop", e.from, ap)
		}
	}
	return nil
}

// tuning reads the gossip timing block prefix (gossip_lan or gossip_wan).
func tuning(st *store, prefix string) membership.Tuning {
	var t membership.Tuning
	get(st, prefix+".gossip_nodes", &t.GossipNodes)
	get(st, prefix+".gossip_interval", &t.GossipInterval)
	get(st, prefix+".probe_interval", &t.ProbeInterval)
	get(st, prefix+".probe_timeout", &t.ProbeTimeout)
	get(st, prefix+".suspicion_mult", &t.SuspicionMult)
	get(st, prefix+".retransmit_mult", &t.RetransmitMult)
	return t
}
