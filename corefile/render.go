package corefile

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/discod/discod/plugin/consulnode"
)

// Options are the agent settings discod's default Corefile is rendered
// from. Start from DefaultOptions; Render also fills in the documented
// default of a field left at its zero value, except DNSPort, whose zero
// value asks for a free port.
type Options struct {
	// ListenAddr is the address DNS listens on, UDP and TCP: the agent's
	// -client address. Default 127.0.0.1 (also used when the Addr is the
	// zero value). An unspecified address (0.0.0.0, ::) listens on all
	// interfaces.
	ListenAddr netip.Addr

	// DNSPort is the DNS port (-dns-port). Default 8600. 0 binds a free
	// port, for tests: UDP and TCP then get different ports, which
	// Server.Addrs reports.
	DNSPort int

	// Domains are the zones consulnode answers for, the first one being
	// -domain and a second one -alt-domain. Names may be given with or
	// without the final dot and are lower-cased. Default ["consul."].
	Domains []string

	// TTL is the TTL in seconds of node answers (dns_config.node_ttl), at
	// most 3600. 0 keeps the plugin's default (5 s).
	TTL int

	// NegativeTTL is the TTL in seconds of NXDOMAIN and NODATA answers, the
	// SOA minimum (dns_config.soa.min_ttl), at most 3600. 0 keeps the
	// plugin's default (5 s).
	NegativeTTL int

	// FailedAnswer makes consulnode keep answering for members that are
	// failed (not left), as Consul does until they are reaped: the
	// plugin's `failed answer`. Default false: failed members get NXDOMAIN.
	FailedAnswer bool

	// NoReverse turns off PTR answers: the reverse zones are not served
	// (consulnode's `no_reverse`). Default false.
	NoReverse bool

	// Recursors are the upstream resolvers for names outside Domains
	// (-recursor), each an IP address with an optional port ("10.0.0.2",
	// "10.0.0.2:5353", "[2001:db8::1]:53"); the port defaults to 53. They
	// are tried in the order given; an unreachable one is skipped. At most
	// 15. Default none: names outside Domains get REFUSED and answers do not
	// set RA (recursion available).
	Recursors []string

	// RecursorAllow are the client networks allowed to use the recursors;
	// everyone else gets REFUSED for names outside Domains (and, when
	// recursors are set, for reverse names: see Render). Default (also
	// used when nil): loopback and the private ranges, 127.0.0.0/8,
	// ::1/128, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 and fc00::/7.
	// Only used when Recursors is not empty; an empty, non-nil list is then
	// an error, since nobody could use the recursors.
	RecursorAllow []netip.Prefix

	// HealthAddr is the HOST:PORT of the health plugin's /health endpoint.
	// Default "": no health plugin.
	HealthAddr string

	// ReadyAddr is the HOST:PORT of the ready plugin's /ready endpoint,
	// which reports consulnode's readiness continuously. Default "": no
	// ready plugin.
	ReadyAddr string

	// MetricsAddr is the HOST:PORT of the prometheus plugin's /metrics
	// endpoint. Default "": no prometheus plugin.
	MetricsAddr string

	// ServiceTTL are the TTLs in seconds of service answers by service
	// name (dns_config.service_ttl): a name, or a prefix followed by '*'
	// ("*" alone for every service); an exact name beats the longest
	// prefix. Each at most consulnode.MaxTTL. Default none: the plugin's
	// 5 s for every service.
	ServiceTTL map[string]int

	// OnlyPassing leaves service instances with a check in warning out of
	// DNS answers (dns_config.only_passing). Default false.
	OnlyPassing bool

	// UDPAnswerLimit caps service answers over UDP to clients without EDNS
	// at that many records (dns_config.udp_answer_limit). 0 (the default)
	// leaves the plugin's default: as many as fit.
	UDPAnswerLimit int

	// ARecordLimit caps the A and AAAA records of service answers over UDP
	// and TCP (dns_config.a_record_limit). Default 0: no cap.
	ARecordLimit int

	// EnableTruncate sets TC on answers cut by UDPAnswerLimit
	// (dns_config.enable_truncate). Answers cut because they do not fit
	// always set TC. Default false.
	EnableTruncate bool
}

// DefaultOptions returns the defaults of a stand-alone agent: DNS on
// 127.0.0.1:8600 for consul., no recursors, no HTTP endpoints.
func DefaultOptions() Options {
	return Options{
		ListenAddr:    netip.AddrFrom4([4]byte{127, 0, 0, 1}),
		DNSPort:       8600,
		Domains:       []string{"consul."},
		RecursorAllow: DefaultRecursorAllow(),
	}
}

// DefaultRecursorAllow returns the default of Options.RecursorAllow:
// loopback and the private ranges.
func DefaultRecursorAllow() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("fc00::/7"),
	}
}

const (
	maxRecursors = 15 // the forward plugin's limit on upstreams
)

// reverseZones are the zones PTR queries arrive in.
var reverseZones = []string{"in-addr.arpa.", "ip6.arpa."}

// Render returns discod's default Corefile for o, or an error naming the
// bad setting. The result is what Start expects; DefaultName is the name
// to start it under.
//
// Without recursors it is one server block that serves the Domains and
// (unless NoReverse) the reverse zones, on ListenAddr:DNSPort:
//
//	consul.:8600 in-addr.arpa.:8600 ip6.arpa.:8600 {
//	    bind 127.0.0.1
//	    errors
//	    consulnode consul. in-addr.arpa. ip6.arpa.
//	}
//
// Names in no served zone get REFUSED from CoreDNS itself, reverse names
// consulnode does not know get REFUSED from consulnode, and RA is never
// set. health, ready (with `monitor continuously`, so /ready turns red
// again if the agent stops) and prometheus are added when their address
// is set.
//
// With recursors the same block also serves the root zone, and gains two
// acl rules and a forward:
//
//	consul.:8600 in-addr.arpa.:8600 ip6.arpa.:8600 .:8600 {
//	    bind 127.0.0.1
//	    errors
//	    acl consul. {
//	        allow
//	    }
//	    acl . {
//	        allow net 127.0.0.0/8 ::1/128 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7
//	        block
//	    }
//	    consulnode consul. in-addr.arpa. ip6.arpa. {
//	        recursion_available
//	    }
//	    forward . 10.0.0.2:53 10.0.0.3:53 {
//	        except consul.
//	        policy sequential
//	    }
//	}
//
// It is one block, not a separate `.` block, because CoreDNS hands a DS
// query to the block of the outermost served zone that encloses the name
// (dnsserver.Server.ServeDNS walks up to the root, DS belonging to the
// parent): with a separate `.` block, "x.node.consul. DS" would go to the
// recursors, and a validating resolver that forwards consul. back to
// discod would loop (hashicorp/consul#6183). In one block consulnode sees
// every name in its zones, DS included, and answers it authoritatively.
//
// The first acl rule lets anyone ask about the Domains; the second lets
// only RecursorAllow use anything that may be forwarded and REFUSEs the
// rest. Reverse names fall under the second rule: a client outside
// RecursorAllow never makes discod send a query upstream, at the price of
// not getting PTR answers for members either while recursors are set.
// forward gets only what consulnode passes on (names outside the Domains
// and unknown reverse names); `except` keeps the Domains from ever being
// forwarded even so, and `policy sequential` tries the recursors in the
// given order, skipping one that does not answer, as Consul does.
//
// log, cache and loop are left out: a log line per query halves the
// throughput, a cache does not speed up answers from memory, and loop
// exits the process when it sees a loop. A user Corefile may use them.
func Render(o Options) (string, error) {
	o, err := normalize(o)
	if err != nil {
		return "", err
	}
	port := strconv.Itoa(o.DNSPort)
	zones := append([]string(nil), o.Domains...)
	if !o.NoReverse {
		zones = append(zones, reverseZones...)
	}
	keys := append([]string(nil), zones...)
	if len(o.Recursors) > 0 {
		keys = append(keys, ".")
	}

	var b strings.Builder
	b.WriteString("# discod's default Corefile, rendered from the agent's settings.\n")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k + ":" + port)
	}
	b.WriteString(" {\n")
	line(&b, 1, "bind "+o.ListenAddr.String())
	if o.ReadyAddr != "" {
		line(&b, 1, "ready "+o.ReadyAddr+" {")
		line(&b, 2, "monitor continuously")
		line(&b, 1, "}")
	}
	if o.HealthAddr != "" {
		line(&b, 1, "health "+o.HealthAddr)
	}
	if o.MetricsAddr != "" {
		line(&b, 1, "prometheus "+o.MetricsAddr)
	}
	line(&b, 1, "errors")
	if len(o.Recursors) > 0 {
		line(&b, 1, "acl "+strings.Join(o.Domains, " ")+" {")
		line(&b, 2, "allow")
		line(&b, 1, "}")
		nets := make([]string, len(o.RecursorAllow))
		for i, p := range o.RecursorAllow {
			nets[i] = p.String()
		}
		line(&b, 1, "acl . {")
		line(&b, 2, "allow net "+strings.Join(nets, " "))
		line(&b, 2, "block")
		line(&b, 1, "}")
	}

	var props []string
	if o.TTL > 0 {
		props = append(props, "ttl "+strconv.Itoa(o.TTL))
	}
	if o.NegativeTTL > 0 {
		props = append(props, "negative_ttl "+strconv.Itoa(o.NegativeTTL))
	}
	if o.FailedAnswer {
		props = append(props, "failed answer")
	}
	if o.NoReverse {
		props = append(props, "no_reverse")
	}
	for _, name := range slices.Sorted(maps.Keys(o.ServiceTTL)) {
		props = append(props, "service_ttl "+name+" "+strconv.Itoa(o.ServiceTTL[name]))
	}
	if o.OnlyPassing {
		props = append(props, "only_passing")
	}
	if o.UDPAnswerLimit > 0 {
		props = append(props, "udp_answer_limit "+strconv.Itoa(o.UDPAnswerLimit))
	}
	if o.ARecordLimit > 0 {
		props = append(props, "a_record_limit "+strconv.Itoa(o.ARecordLimit))
	}
	if o.EnableTruncate {
		props = append(props, "enable_truncate")
	}
	if len(o.Recursors) > 0 {
		props = append(props, "recursion_available")
	}
	if len(props) == 0 {
		line(&b, 1, "consulnode "+strings.Join(zones, " "))
	} else {
		line(&b, 1, "consulnode "+strings.Join(zones, " ")+" {")
		for _, p := range props {
			line(&b, 2, p)
		}
		line(&b, 1, "}")
	}

	if len(o.Recursors) > 0 {
		line(&b, 1, "forward . "+strings.Join(o.Recursors, " ")+" {")
		line(&b, 2, "except "+strings.Join(o.Domains, " "))
		line(&b, 2, "policy sequential")
		line(&b, 1, "}")
	}
	b.WriteString("}\n")
	return b.String(), nil
}

// line writes s indented by depth levels of four spaces.
func line(b *strings.Builder, depth int, s string) {
	b.WriteString(strings.Repeat("    ", depth))
	b.WriteString(s)
	b.WriteByte('\n')
}

// normalize validates o, fills in defaults and puts every value in the
// form Render writes.
func normalize(o Options) (Options, error) {
	if !o.ListenAddr.IsValid() {
		o.ListenAddr = DefaultOptions().ListenAddr
	}
	o.ListenAddr = o.ListenAddr.Unmap()
	if o.ListenAddr.Zone() != "" {
		return o, fmt.Errorf("dns listen address %s has an IPv6 zone, which the bind plugin cannot take; give an address without one", o.ListenAddr)
	}
	if o.DNSPort < 0 || o.DNSPort > 65535 {
		return o, fmt.Errorf("dns port %d is out of range 0-65535", o.DNSPort)
	}
	if consulnode.CheckTTL(o.TTL) != nil {
		return o, fmt.Errorf("dns ttl %d is out of range 0-%d seconds", o.TTL, consulnode.MaxTTL)
	}
	if consulnode.CheckTTL(o.NegativeTTL) != nil {
		return o, fmt.Errorf("dns negative ttl %d is out of range 0-%d seconds", o.NegativeTTL, consulnode.MaxTTL)
	}
	for name, ttl := range o.ServiceTTL {
		if err := consulnode.CheckServiceTTLPattern(name); err != nil {
			return o, fmt.Errorf("dns service ttl: %w", err)
		}
		if err := consulnode.CheckTTL(ttl); err != nil {
			return o, fmt.Errorf("dns service ttl of %q: %w", name, err)
		}
	}
	if o.UDPAnswerLimit < 0 || o.UDPAnswerLimit > consulnode.MaxAnswerLimit {
		return o, fmt.Errorf("dns udp answer limit %d is out of range 0-%d", o.UDPAnswerLimit, consulnode.MaxAnswerLimit)
	}
	if o.ARecordLimit < 0 || o.ARecordLimit > consulnode.MaxAnswerLimit {
		return o, fmt.Errorf("dns a record limit %d is out of range 0-%d", o.ARecordLimit, consulnode.MaxAnswerLimit)
	}

	domains, err := normalizeDomains(o.Domains)
	if err != nil {
		return o, err
	}
	o.Domains = domains

	recursors := make([]string, 0, len(o.Recursors))
	for _, r := range o.Recursors {
		ap, err := parseRecursor(r)
		if err != nil {
			return o, err
		}
		if ap.Port() == uint16(o.DNSPort) && (ap.Addr() == o.ListenAddr || o.ListenAddr.IsUnspecified() && ap.Addr().IsLoopback()) {
			return o, fmt.Errorf("recursor %q is discod's own DNS address: it would forward queries to itself", r)
		}
		recursors = append(recursors, ap.String())
	}
	if len(recursors) > maxRecursors {
		return o, fmt.Errorf("%d recursors given; at most %d are supported", len(recursors), maxRecursors)
	}
	o.Recursors = recursors

	if o.RecursorAllow == nil {
		o.RecursorAllow = DefaultRecursorAllow()
	}
	if len(o.Recursors) > 0 && len(o.RecursorAllow) == 0 {
		return o, errors.New("recursors are set but no network is allowed to use them")
	}
	allow := make([]netip.Prefix, len(o.RecursorAllow))
	for i, p := range o.RecursorAllow {
		if !p.IsValid() {
			return o, fmt.Errorf("recursor allow list entry %d is not a valid network", i+1)
		}
		allow[i] = p.Masked()
	}
	o.RecursorAllow = allow

	seen := map[string]string{}
	for _, h := range []struct{ what, addr string }{
		{"health address", o.HealthAddr},
		{"ready address", o.ReadyAddr},
		{"metrics address", o.MetricsAddr},
	} {
		if h.addr == "" {
			continue
		}
		if err := checkHostPort(h.what, h.addr); err != nil {
			return o, err
		}
		if other, ok := seen[h.addr]; ok {
			return o, fmt.Errorf("%s %q is also the %s: each endpoint needs its own address", h.what, h.addr, other)
		}
		seen[h.addr] = h.what
	}
	return o, nil
}

// normalizeDomains lower-cases the domains, makes them fully qualified
// and checks that each is a usable zone name that Corefile syntax can
// carry unquoted.
func normalizeDomains(in []string) ([]string, error) {
	if len(in) == 0 {
		return DefaultOptions().Domains, nil
	}
	out := make([]string, 0, len(in))
	for _, d := range in {
		z := strings.ToLower(strings.TrimSpace(d))
		if !strings.HasSuffix(z, ".") {
			z += "."
		}
		if z == "." {
			return nil, fmt.Errorf("dns domain %q is the root zone: discod must not be authoritative for every name", d)
		}
		for _, label := range strings.Split(strings.TrimSuffix(z, "."), ".") {
			if err := checkZoneLabel(label); err != nil {
				return nil, fmt.Errorf("dns domain %q: %w", d, err)
			}
		}
		for _, r := range reverseZones {
			if z == r || strings.HasSuffix(z, "."+r) {
				return nil, fmt.Errorf("dns domain %q is a reverse zone; reverse lookups are served unless no_reverse is set", d)
			}
		}
		for _, prev := range out {
			if prev == z {
				return nil, fmt.Errorf("dns domain %q is given twice", d)
			}
		}
		out = append(out, z)
	}
	return out, nil
}

// checkZoneLabel accepts 1-63 lower-case letters, digits, hyphens and
// underscores.
func checkZoneLabel(l string) error {
	if l == "" {
		return errors.New("empty label")
	}
	if len(l) > 63 {
		return fmt.Errorf("label %q is longer than 63 characters", l)
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("label %q: character %q is not allowed (use letters, digits, hyphens and underscores)", l, c)
		}
	}
	return nil
}

// parseRecursor parses "ADDR" or "ADDR:PORT" ("[V6]:PORT"), defaulting
// the port to 53.
func parseRecursor(s string) (netip.AddrPort, error) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		if a.IsUnspecified() || a.Zone() != "" {
			return netip.AddrPort{}, fmt.Errorf("recursor %q: give the address of a resolver", s)
		}
		return netip.AddrPortFrom(a.Unmap(), 53), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("recursor %q is not an IP address or IP:PORT", s)
	}
	if ap.Port() == 0 || ap.Addr().IsUnspecified() || ap.Addr().Zone() != "" {
		return netip.AddrPort{}, fmt.Errorf("recursor %q: give the address and port of a resolver", s)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// checkHostPort checks that addr is HOST:PORT with a numeric port.
func checkHostPort(what, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s %q is not HOST:PORT: %w", what, addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%s %q: port %q is not a number in 0-65535", what, addr, port)
	}
	if strings.ContainsAny(host, " \t{}\"#") {
		return fmt.Errorf("%s %q: host contains characters a Corefile cannot carry", what, addr)
	}
	return nil
}
