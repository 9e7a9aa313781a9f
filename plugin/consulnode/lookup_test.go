package consulnode

import (
	"net/netip"
	"testing"
)

func TestParseForward(t *testing.T) {
	tests := []struct {
		qname, zone string
		want        query
	}{
		{"consul.", "consul.", query{kind: kindApex}},
		{"ns.consul.", "consul.", query{kind: kindNS}},
		{"node.consul.", "consul.", query{kind: kindEmpty}},
		{"addr.consul.", "consul.", query{kind: kindEmpty}},
		{"dc1.consul.", "consul.", query{kind: kindEmpty, dc: "dc1"}},
		{"node.dc1.consul.", "consul.", query{kind: kindEmpty, dc: "dc1"}},
		{"addr.dc1.consul.", "consul.", query{kind: kindEmpty, dc: "dc1"}},
		{"web.node.consul.", "consul.", query{kind: kindNode, node: "web"}},
		{"web.node.dc1.consul.", "consul.", query{kind: kindNode, node: "web", dc: "dc1"}},
		{"node.node.consul.", "consul.", query{kind: kindNode, node: "node"}},
		{"0a000001.addr.consul.", "consul.", query{kind: kindAddr, hex: "0a000001"}},
		{"0a000001.addr.dc1.consul.", "consul.", query{kind: kindAddr, hex: "0a000001", dc: "dc1"}},
		{"web.node.sub.example.", "sub.example.", query{kind: kindNode, node: "web"}},
		{"web.node.", ".", query{kind: kindNode, node: "web"}},
		{".", ".", query{kind: kindApex}},
		{"a.web.node.consul.", "consul.", query{}},
		{"web.x.consul.", "consul.", query{}},
		{"ns.dc1.consul.", "consul.", query{}},
		{"a.b.c.d.consul.", "consul.", query{}},
		{`we\.b.node.consul.`, "consul.", query{}},
		{`web\.consul.`, "consul.", query{}},
		{"xconsul.", "consul.", query{}},
		// Services.
		{"service.consul.", "consul.", query{kind: kindEmpty}},
		{"service.dc1.consul.", "consul.", query{kind: kindEmpty, dc: "dc1"}},
		{"api.service.consul.", "consul.", query{kind: kindService, svc: "api"}},
		{"api.service.dc1.consul.", "consul.", query{kind: kindService, svc: "api", dc: "dc1"}},
		{"v1.api.service.consul.", "consul.", query{kind: kindService, svc: "api", tag: "v1"}},
		{"v1.api.service.dc1.consul.", "consul.", query{kind: kindService, svc: "api", tag: "v1", dc: "dc1"}},
		{"x.v1.api.service.consul.", "consul.", query{}},
		{"_api._v1.service.consul.", "consul.", query{kind: kindService, svc: "api", tag: "v1"}},
		{"_api._v1.service.dc1.consul.", "consul.", query{kind: kindService, svc: "api", tag: "v1", dc: "dc1"}},
		{"_api._v1.dc1.consul.", "consul.", query{kind: kindService, svc: "api", tag: "v1", dc: "dc1"}},
		{"_api._v1.consul.", "consul.", query{kind: kindService, svc: "api", tag: "v1"}},
		{"_api._tcp.consul.", "consul.", query{kind: kindService, svc: "api", browse: true}},
		{"_api._tcp.service.consul.", "consul.", query{kind: kindService, svc: "api"}},
		{"_api._tcp.dc1.consul.", "consul.", query{kind: kindService, svc: "api", dc: "dc1"}},
		{"_api._udp.consul.", "consul.", query{kind: kindService, svc: "api", tag: "udp"}},
		{"banana._api._v1.service.consul.", "consul.", query{}},
		{"_tcp.consul.", "consul.", query{kind: kindEmpty}},
		{"_udp.consul.", "consul.", query{kind: kindEmpty}},
		{"api.query.consul.", "consul.", query{}},
		{"api.connect.consul.", "consul.", query{}},
		{"query.consul.", "consul.", query{}},
		// DNS-SD.
		{"_services._dns-sd._udp.consul.", "consul.", query{kind: kindSDServices}},
		{"b._dns-sd._udp.consul.", "consul.", query{kind: kindSDBrowse}},
		{"r._dns-sd._udp.consul.", "consul.", query{}},
		{"_dns-sd._udp.consul.", "consul.", query{kind: kindEmpty}},
		{"web-1._api._tcp.consul.", "consul.", query{kind: kindSDInstance, svc: "api", inst: "web-1"}},
		{`my\.web\ 1._api._tcp.consul.`, "consul.", query{kind: kindSDInstance, svc: "api", inst: `my\.web\ 1`}},
		{`my\.web._api._v1.consul.`, "consul.", query{}},
	}
	for _, tt := range tests {
		t.Run(tt.qname, func(t *testing.T) {
			if got := parseForward(tt.qname, tt.zone); got != tt.want {
				t.Errorf("parseForward(%q, %q) = %+v; want %+v", tt.qname, tt.zone, got, tt.want)
			}
		})
	}
}

func TestParseForwardAllocs(t *testing.T) {
	var q query
	allocs := testing.AllocsPerRun(100, func() { q = parseForward("web.node.dc1.consul.", "consul.") })
	if allocs != 0 || q.kind != kindNode {
		t.Errorf("parseForward: %v allocations, kind %d; want 0 allocations, kindNode", allocs, q.kind)
	}
	zones := []string{"consul.", "alt.example.", "in-addr.arpa.", "ip6.arpa."}
	var z string
	allocs = testing.AllocsPerRun(100, func() { z = matchZone(zones, "web.node.alt.example.") })
	if allocs != 0 || z != "alt.example." {
		t.Errorf("matchZone: %v allocations, zone %q; want 0 allocations, alt.example.", allocs, z)
	}
}

func TestMatchZone(t *testing.T) {
	zones := []string{"consul.", "sub.consul.", "in-addr.arpa.", "10.in-addr.arpa."}
	tests := []struct{ qname, want string }{
		{"consul.", "consul."},
		{"web.node.consul.", "consul."},
		{"web.node.sub.consul.", "sub.consul."},
		{"1.0.0.10.in-addr.arpa.", "10.in-addr.arpa."},
		{"1.0.0.11.in-addr.arpa.", "in-addr.arpa."},
		{"xconsul.", ""},
		{`a\.consul.`, ""},
		{`a\\.consul.`, "consul."},
		{"example.org.", ""},
	}
	for _, tt := range tests {
		if got := matchZone(zones, tt.qname); got != tt.want {
			t.Errorf("matchZone(%q) = %q; want %q", tt.qname, got, tt.want)
		}
	}
	if got := matchZone([]string{"."}, "anything.example."); got != "." {
		t.Errorf("matchZone(root) = %q; want .", got)
	}
}

func TestDecodeHexAddr(t *testing.T) {
	tests := []struct {
		hex  string
		want string // "" for invalid
	}{
		{"0a000001", "10.0.0.1"},
		{"ffffffff", "255.255.255.255"},
		{"20010db8000000000000000000000001", "2001:db8::1"},
		{"00000000000000000000ffff0a000001", "::ffff:10.0.0.1"},
		{"0a00001", ""},
		{"0a0000011", ""},
		{"0a00000g", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := decodeHexAddr(tt.hex)
		switch {
		case tt.want == "" && ok:
			t.Errorf("decodeHexAddr(%q) = %s; want invalid", tt.hex, got)
		case tt.want != "" && (!ok || got != netip.MustParseAddr(tt.want)):
			t.Errorf("decodeHexAddr(%q) = %s, %t; want %s", tt.hex, got, ok, tt.want)
		}
	}
}

func TestParseReverse(t *testing.T) {
	tests := []struct {
		name string
		want string // "" for not an address
	}{
		{"1.0.0.10.in-addr.arpa.", "10.0.0.1"},
		{"255.255.255.255.in-addr.arpa.", "255.255.255.255"},
		{ip6Rev, "fd00::1"},
		{"b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa.", "4321:0:1:2:3:4:567:89ab"},
		{"0.10.in-addr.arpa.", ""},
		{"1.1.0.0.10.in-addr.arpa.", ""},
		{"256.0.0.10.in-addr.arpa.", ""},
		{"a.0.0.10.in-addr.arpa.", ""},
		{"1..0.10.in-addr.arpa.", ""},
		{"in-addr.arpa.", ""},
		{"1.0.ip6.arpa.", ""},
		{"g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", ""},
		{"10.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", ""},
		{"web.node.consul.", ""},
	}
	for _, tt := range tests {
		got, ok := parseReverse(tt.name)
		switch {
		case tt.want == "" && ok:
			t.Errorf("parseReverse(%q) = %s; want not an address", tt.name, got)
		case tt.want != "" && (!ok || got != netip.MustParseAddr(tt.want)):
			t.Errorf("parseReverse(%q) = %s, %t; want %s", tt.name, got, ok, tt.want)
		}
	}
}
