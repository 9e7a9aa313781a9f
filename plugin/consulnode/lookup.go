package consulnode

import (
	"net/netip"
	"strings"
)

// kind is what a name inside a forward zone refers to.
type kind uint8

const (
	kindNone  kind = iota // no such name: NXDOMAIN
	kindApex              // the zone apex: SOA, NS
	kindNS                // ns.<zone>: the answering agent's address
	kindEmpty             // an empty non-terminal (node., addr., <dc>., node.<dc>., addr.<dc>.): NODATA if dc is known
	kindNode              // <node>.node[.<dc>]
	kindAddr              // <hex>.addr[.<dc>]
)

// query is a parsed forward-zone name. Its strings are slices of the
// lower-case query name; parsing never allocates.
type query struct {
	kind kind
	node string // kindNode: the node label
	hex  string // kindAddr: the hex label
	dc   string // the datacenter label, "" when the name has none (the local one)
}

// parseForward parses qname, a lower-case FQDN inside zone, into the names
// Consul answers for nodes:
//
//	<zone>                       apex
//	ns.<zone>                    name server
//	<node>.node[.<dc>].<zone>    node lookup
//	<hex>.addr[.<dc>].<zone>     address encoded in hex (8 digits IPv4, 32 IPv6)
//	node[.<dc>].<zone>, addr[.<dc>].<zone>, <dc>.<zone>   empty non-terminals
//
// Labels are compared exactly, so keywords win over datacenter names.
// Anything else, including names with escaped characters, is kindNone.
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
	if rest == "" || strings.IndexByte(rest, '\\') >= 0 {
		return query{}
	}

	// Split at most three labels off the right end, without allocating.
	// l[0] is the label next to the zone.
	var l [3]string
	n := 0
	for rest != "" {
		if n == len(l) {
			return query{}
		}
		i := strings.LastIndexByte(rest, '.')
		l[n] = rest[i+1:]
		if i < 0 {
			rest = ""
		} else {
			rest = rest[:i]
		}
		if l[n] == "" {
			return query{}
		}
		n++
	}

	switch n {
	case 1:
		switch l[0] {
		case "ns":
			return query{kind: kindNS}
		case "node", "addr":
			return query{kind: kindEmpty}
		default:
			return query{kind: kindEmpty, dc: l[0]}
		}
	case 2:
		switch {
		case l[0] == "node":
			return query{kind: kindNode, node: l[1]}
		case l[0] == "addr":
			return query{kind: kindAddr, hex: l[1]}
		case l[1] == "node" || l[1] == "addr":
			return query{kind: kindEmpty, dc: l[0]}
		}
	case 3:
		switch l[1] {
		case "node":
			return query{kind: kindNode, node: l[2], dc: l[0]}
		case "addr":
			return query{kind: kindAddr, hex: l[2], dc: l[0]}
		}
	}
	return query{}
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
