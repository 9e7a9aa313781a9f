package consulnode

import (
	"net/netip"
	"strings"
)

// kind is what a name inside a forward zone refers to.
type kind uint8

const (
	kindNone       kind = iota // no such name: NXDOMAIN
	kindApex                   // the zone apex: SOA, NS
	kindNS                     // ns.<zone>: the answering agent's address
	kindEmpty                  // an empty non-terminal (node., addr., service., _tcp., <dc>., ...): NODATA if dc is known
	kindNode                   // <node>.node[.<dc>]
	kindAddr                   // <hex>.addr[.<dc>]
	kindService                // [<tag>.]<svc>.service[.<dc>] and _<svc>._<tag>[.service][.<dc>]
	kindSDServices             // _services._dns-sd._udp: DNS-SD service type enumeration
	kindSDBrowse               // b|db|lb._dns-sd._udp: DNS-SD browsing domains
	kindSDInstance             // <instance>._<svc>._tcp: one DNS-SD service instance
)

// query is a parsed forward-zone name. Its strings are slices of the
// lower-case query name; parsing never allocates.
type query struct {
	kind kind
	node string // kindNode: the node label
	hex  string // kindAddr: the hex label
	dc   string // the datacenter label, "" when the name has none (the local one)
	svc  string // kindService, kindSDInstance: the service name, without the RFC 2782 underscore
	tag  string // kindService: the tag, "" for any (_tcp in the RFC 2782 form)
	// inst is the instance label of kindSDInstance, in presentation form
	// (escaped as miekg/dns prints names).
	inst string
	// browse is set on _<svc>._tcp.<zone> (no datacenter, no .service):
	// the DNS-SD service type, which answers PTR with its instances.
	browse bool
}

// maxLabels is the most labels a name below a zone has that the plugin
// answers: <tag>.<svc>.service.<dc>.
const maxLabels = 4

// parseForward parses qname, a lower-case FQDN inside zone, into the names
// Consul answers:
//
//	<zone>                                   apex
//	ns.<zone>                                name server
//	<node>.node[.<dc>].<zone>                node lookup
//	<hex>.addr[.<dc>].<zone>                 address encoded in hex (8 digits IPv4, 32 IPv6)
//	[<tag>.]<svc>.service[.<dc>].<zone>      service lookup
//	_<svc>._<tag>[.service][.<dc>].<zone>    RFC 2782 service lookup (_tcp: any tag)
//	_services._dns-sd._udp.<zone>            DNS-SD service types (RFC 6763)
//	b|db|lb._dns-sd._udp.<zone>              DNS-SD browsing domains
//	<instance>._<svc>._tcp.<zone>            DNS-SD service instance
//	node, addr, service, _tcp, _udp, _dns-sd._udp, <dc>, and node, addr,
//	service below <dc>                       empty non-terminals
//
// Labels are compared exactly, so keywords win over datacenter names; a
// label starting with '_' is never a datacenter. Names with more labels,
// the subdomains Consul has and discod does not provide (query, connect,
// ingress, virtual, api-gateway) and names with escaped characters
// outside a DNS-SD instance label are kindNone.
func parseForward(qname, zone string) query {
	if qname == zone {
		return query{kind: kindApex}
	}
	// rest is qname without the zone and without the dot that joins them.
	var rest string
	if zone == "." {
		rest = qname[:len(qname)-1]
	} else {
		n := len(qname) - len(zone) - 1
		if n <= 0 || qname[n] != '.' {
			return query{}
		}
		rest = qname[:n]
	}
	if rest == "" {
		return query{}
	}

	// Split the labels off the right end, without allocating. l[0] is the
	// label next to the zone.
	var l [maxLabels]string
	n := 0
	escaped := -1 // index of a label with a backslash
	for rest != "" {
		if n == len(l) {
			return query{}
		}
		i := lastDot(rest)
		l[n] = rest[i+1:]
		if i < 0 {
			rest = ""
		} else {
			rest = rest[:i]
		}
		if l[n] == "" {
			return query{}
		}
		if strings.IndexByte(l[n], '\\') >= 0 {
			escaped = n
		}
		n++
	}
	if escaped >= 0 && !(escaped == 2 && n == 3 && l[0] == "_tcp" && isUnder(l[1])) {
		return query{}
	}

	// DNS-SD names, which have no datacenter.
	switch {
	case n == 3 && l[0] == "_udp" && l[1] == "_dns-sd":
		switch l[2] {
		case "_services":
			return query{kind: kindSDServices}
		case "b", "db", "lb":
			return query{kind: kindSDBrowse}
		}
		return query{}
	case n == 2 && l[0] == "_udp" && l[1] == "_dns-sd":
		return query{kind: kindEmpty}
	case n == 3 && l[0] == "_tcp" && isUnder(l[1]):
		return query{kind: kindSDInstance, svc: l[1][1:], inst: l[2]}
	}

	// A datacenter label: next to the zone, before a keyword or an RFC
	// 2782 label.
	var dc string
	r := l[:n]
	if n >= 2 && !isUnder(l[0]) && !isKeyword(l[0]) && (isKeyword(l[1]) || isUnder(l[1])) {
		dc, r = l[0], l[1:n]
	}
	if len(r) == 1 && dc == "" {
		switch l[0] {
		case "ns":
			return query{kind: kindNS}
		case "node", "addr", "service", "_tcp", "_udp":
			return query{kind: kindEmpty}
		}
		if isUnder(l[0]) || isKeyword(l[0]) {
			return query{}
		}
		return query{kind: kindEmpty, dc: l[0]}
	}
	switch r[0] {
	case "node":
		switch len(r) {
		case 1:
			return query{kind: kindEmpty, dc: dc}
		case 2:
			return query{kind: kindNode, node: r[1], dc: dc}
		}
	case "addr":
		switch len(r) {
		case 1:
			return query{kind: kindEmpty, dc: dc}
		case 2:
			return query{kind: kindAddr, hex: r[1], dc: dc}
		}
	case "service":
		switch len(r) {
		case 1:
			return query{kind: kindEmpty, dc: dc}
		case 2:
			return query{kind: kindService, svc: r[1], dc: dc}
		case 3:
			if isUnder(r[1]) && isUnder(r[2]) {
				return rfc2782(r[2], r[1], dc, false)
			}
			return query{kind: kindService, svc: r[1], tag: r[2], dc: dc}
		}
	default:
		if len(r) == 2 && isUnder(r[0]) && isUnder(r[1]) {
			return rfc2782(r[1], r[0], dc, dc == "")
		}
	}
	return query{}
}

// rfc2782 returns the service query _<svc>._<tag>: _tcp means any tag, as
// in Consul. browse marks the DNS-SD service type _<svc>._tcp.<zone>.
func rfc2782(svc, tag, dc string, browse bool) query {
	q := query{kind: kindService, svc: svc[1:], tag: tag[1:], dc: dc}
	if q.tag == "tcp" {
		q.tag = ""
		q.browse = browse
	}
	if q.svc == "" || (q.tag == "" && tag != "_tcp") {
		return query{}
	}
	return q
}

// isUnder reports whether label starts with an underscore (RFC 2782).
func isUnder(label string) bool { return len(label) > 1 && label[0] == '_' }

// isKeyword reports whether label is one of Consul's subdomain keywords,
// which are never datacenter names.
func isKeyword(label string) bool {
	switch label {
	case "node", "addr", "service", "query", "connect", "ingress", "virtual", "api-gateway":
		return true
	}
	return false
}

// lastDot returns the index of the last dot in s that is not escaped by a
// backslash, or -1.
func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != '.' {
			continue
		}
		backslashes := 0
		for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return i
		}
	}
	return -1
}

// decodeHexAddr decodes the label of <hex>.addr.<zone>: 8 hex digits are
// an IPv4 address and 32 an IPv6 one, as in Consul. Digits are lower case
// (query names arrive lower-cased).
func decodeHexAddr(h string) (netip.Addr, bool) {
	var b [16]byte
	if len(h) != 8 && len(h) != 32 {
		return netip.Addr{}, false
	}
	for i := 0; i < len(h); i += 2 {
		hi, ok1 := hexNibble(h[i])
		lo, ok2 := hexNibble(h[i+1])
		if !ok1 || !ok2 {
			return netip.Addr{}, false
		}
		b[i/2] = hi<<4 | lo
	}
	if len(h) == 8 {
		return netip.AddrFrom4([4]byte(b[:4])), true
	}
	return netip.AddrFrom16(b), true
}

func hexNibble(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// matchZone returns the longest of zones that contains qname, or "". Both
// are lower-case FQDNs. It does what plugin.Zones.Matches does without
// allocating (Matches splits names into labels for every zone tried).
func matchZone(zones []string, qname string) string {
	best := ""
	for _, z := range zones {
		if len(z) <= len(best) || !inZone(qname, z) {
			continue
		}
		best = z
	}
	return best
}

// inZone reports whether qname is zone or a name below it: the suffix
// must start at a label boundary, a dot that is not escaped.
func inZone(qname, zone string) bool {
	switch {
	case qname == zone || zone == ".":
		return true
	case len(qname) <= len(zone) || !strings.HasSuffix(qname, zone):
		return false
	}
	dot := len(qname) - len(zone) - 1
	if qname[dot] != '.' {
		return false
	}
	backslashes := 0
	for i := dot - 1; i >= 0 && qname[i] == '\\'; i-- {
		backslashes++
	}
	return backslashes%2 == 0
}
