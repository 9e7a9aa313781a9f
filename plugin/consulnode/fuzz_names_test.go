package consulnode

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// fuzzZones are the zones FuzzNames parses names in.
var fuzzZones = []string{"consul.", "discod.internal.", "."}

// FuzzNames feeds arbitrary names to the name parsers: node, address,
// service (tag and RFC 2782 forms), DNS-SD names and reverse names. None
// may panic; what parses is made of the query's own labels, and the
// canonical form of a node, address or service name parses back to the
// same query; a parsed reverse name is the address's own; an escaped
// DNS-SD instance label is what miekg/dns prints for the raw label.
func FuzzNames(f *testing.F) {
	for _, s := range []string{
		"web-1.node.consul.", "web-1.node.dc1.consul.", "0a000001.addr.consul.",
		"00000000000000000000000000000001.addr.dc2.consul.",
		"web.service.consul.", "v1.web.service.dc1.consul.", "_web._tcp.service.consul.",
		"_web._v1.dc1.consul.", "_web._tcp.consul.", "_services._dns-sd._udp.consul.",
		"lb._dns-sd._udp.consul.", `my\ instance._web._tcp.consul.`, `a\.b._web._tcp.consul.`,
		"ns.consul.", "consul.", "node.consul.", "dc1.consul.", "x.query.consul.",
		"4.3.2.1.in-addr.arpa.", "001.1.1.1.in-addr.arpa.", "256.1.1.1.in-addr.arpa.",
		"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
		`\\._web._tcp.consul.`, `a\..node.consul.`, "..consul.", "_._tcp.consul.",
	} {
		f.Add(s, uint8(0), []byte(nil))
	}
	f.Add("", uint8(2), []byte("a b\x00\xff.\\"))
	f.Fuzz(func(t *testing.T, name string, zi uint8, raw []byte) {
		zone := fuzzZones[int(zi)%len(fuzzZones)]
		qname := strings.ToLower(dns.Fqdn(name))
		checkForward(t, qname, zone)
		checkReverse(t, qname)
		checkHex(t, strings.ToLower(name))
		checkEscape(t, string(raw))
		if z := matchZone(fuzzZones, qname); z != "" && !inZone(qname, z) {
			t.Fatalf("matchZone(%q) = %q, which does not contain it", qname, z)
		}
	})
}

// checkForward parses qname in zone and, for a node, address or service
// query, parses its canonical form again.
func checkForward(t *testing.T, qname, zone string) {
	t.Helper()
	if !inZone(qname, zone) {
		return
	}
	q := parseForward(qname, zone)
	for _, part := range []string{q.node, q.hex, q.dc, q.svc, q.tag, q.inst} {
		if !strings.Contains(qname, part) {
			t.Fatalf("parseForward(%q) = %+v: %q is not part of the name", qname, q, part)
		}
	}
	dc := ""
	if q.dc != "" {
		dc = q.dc + "."
	}
	if zone != "." {
		dc += zone
	}
	var canonical string
	switch q.kind {
	case kindNode:
		canonical = q.node + ".node." + dc
	case kindAddr:
		canonical = q.hex + ".addr." + dc
	case kindService:
		if q.browse || isUnder(q.svc) || isUnder(q.tag) {
			return
		}
		canonical = q.svc + ".service." + dc
		if q.tag != "" {
			canonical = q.tag + "." + canonical
		}
	default:
		return
	}
	again := parseForward(canonical, zone)
	if again != q {
		t.Fatalf("parseForward(%q) = %+v; its canonical form %q parses as %+v", qname, q, canonical, again)
	}
}

// checkReverse parses qname as a reverse name; an address it yields has
// that name as its own reverse name, up to leading zeros.
func checkReverse(t *testing.T, qname string) {
	t.Helper()
	a, ok := parseReverse(qname)
	if !ok {
		return
	}
	rev, err := dns.ReverseAddr(a.String())
	if err != nil {
		t.Fatalf("parseReverse(%q) = %v, which has no reverse name: %v", qname, a, err)
	}
	if b, ok := parseReverse(rev); !ok || b != a {
		t.Fatalf("parseReverse(%q) = %v; its reverse name %q parses as %v, %v", qname, a, rev, b, ok)
	}
}

// checkHex decodes h as an .addr label; an address it yields encodes back
// to h.
func checkHex(t *testing.T, h string) {
	t.Helper()
	a, ok := decodeHexAddr(h)
	if !ok {
		return
	}
	if got := string(appendHex(nil, a)); got != h && !(a.Is4In6() && len(h) == 32) {
		t.Fatalf("decodeHexAddr(%q) = %v, which encodes as %q", h, a, got)
	}
	if a == (netip.Addr{}) {
		t.Fatalf("decodeHexAddr(%q): ok with no address", h)
	}
}

// checkEscape escapes raw as a DNS-SD instance label: a label that fits
// packs and unpacks (miekg/dns) to the same presentation form.
func checkEscape(t *testing.T, raw string) {
	t.Helper()
	if raw == "" || len(raw) > maxLabelLen {
		return
	}
	label := escapeLabel(raw)
	buf := make([]byte, 512)
	n, err := dns.PackDomainName(label+".", buf, 0, nil, false)
	if err != nil {
		t.Fatalf("escapeLabel(%q) = %q, which does not pack: %v", raw, label, err)
	}
	back, _, err := dns.UnpackDomainName(buf[:n], 0)
	if err != nil || back != label+"." {
		t.Fatalf("escapeLabel(%q) = %q; packed and unpacked it is %q, %v", raw, label, back, err)
	}
	if n != len(raw)+2 {
		t.Fatalf("escapeLabel(%q) = %q packs to %d bytes; want one label of %d", raw, label, n, len(raw))
	}
}
