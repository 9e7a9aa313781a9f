package membership

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fedTables returns the LAN table of datacenter dc1 (servers s1 alive, s2
// failed, s3 left, all gossiping their known datacenters, and a client)
// and the WAN table of a dc1 server.
func fedTables() (lan, wan *Table) {
	dns := func(ip string) netip.AddrPort { return netip.AddrPortFrom(netip.MustParseAddr(ip), 8600) }
	lan = NewTable()
	for _, m := range []Member{
		{Name: "s1", Datacenter: "dc1", Role: RoleServer, State: StateAlive, DNSAddr: dns("10.1.0.1"), Datacenters: []string{"dc2"}},
		{Name: "s2", Datacenter: "dc1", Role: RoleServer, State: StateFailed, DNSAddr: dns("10.1.0.2"), Datacenters: []string{"dc3"}},
		{Name: "s3", Datacenter: "dc1", Role: RoleServer, State: StateLeft, DNSAddr: dns("10.1.0.3"), Datacenters: []string{"dc4"}},
		{Name: "c1", Datacenter: "dc1", Role: RoleClient, State: StateAlive, DNSAddr: dns("10.1.0.9"), Datacenters: []string{"dc5"}},
		{Name: "nodns", Datacenter: "dc1", Role: RoleServer, State: StateAlive},
	} {
		lan.Upsert(m)
	}
	wan = NewTable()
	for _, m := range []Member{
		{Name: "s1.dc1", Datacenter: "dc1", Role: RoleServer, State: StateAlive, DNSAddr: dns("10.1.0.1")},
		{Name: "a.dc2", Datacenter: "dc2", Role: RoleServer, State: StateAlive, DNSAddr: dns("10.2.0.1")},
		{Name: "b.dc2", Datacenter: "dc2", Role: RoleServer, State: StateAlive, DNSAddr: dns("10.2.0.2")},
		{Name: "a.dc3", Datacenter: "dc3", Role: RoleServer, State: StateFailed, DNSAddr: dns("10.3.0.1")},
		{Name: "a.dc4", Datacenter: "dc4", Role: RoleServer, State: StateLeft, DNSAddr: dns("10.4.0.1")},
	} {
		wan.Upsert(m)
	}
	return lan, wan
}

func hasDNS(m Member) bool { return m.DNSAddr.IsValid() }

func names(ms []Member) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func TestFederationKnown(t *testing.T) {
	lan, wan := fedTables()
	client := Federation{Datacenter: "dc1", Self: "c1", LAN: lan}
	server := Federation{Datacenter: "dc1", Self: "s1", LAN: lan, WAN: wan}
	tests := []struct {
		dc             string
		client, server Knowledge
	}{
		{"dc1", Known, Known},
		{"dc2", Known, Known},     // listed by an alive server; alive in the WAN pool
		{"dc3", Known, Known},     // listed by a failed server; failed in the WAN pool
		{"dc4", Unknown, Unknown}, // only a left server lists it; left the WAN pool
		{"dc5", Unknown, Unknown}, // a client's list does not count
		{"dc9", Unknown, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.dc, func(t *testing.T) {
			if got := client.Known(tt.dc); got != tt.client {
				t.Errorf("client Known(%s) = %d; want %d", tt.dc, got, tt.client)
			}
			if got := server.Known(tt.dc); got != tt.server {
				t.Errorf("server Known(%s) = %d; want %d", tt.dc, got, tt.server)
			}
		})
	}
	if got, want := client.Datacenters(), []string{"dc1", "dc2", "dc3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("client Datacenters = %v; want %v", got, want)
	}
	if got, want := server.Datacenters(), []string{"dc1", "dc2", "dc3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("server Datacenters = %v; want %v", got, want)
	}
	lonely := Federation{Datacenter: "dc1", LAN: NewTable()}
	if got := lonely.Datacenters(); !reflect.DeepEqual(got, []string{"dc1"}) {
		t.Errorf("agent alone: Datacenters = %v; want [dc1]", got)
	}

	// A server's list is whole however long it is (it no longer travels in
	// the metadata, so nothing is cut): what it lists is known, anything
	// else unknown. This replaces the Unsure state of a list cut short.
	var many []string
	for i := range 100 {
		many = append(many, fmt.Sprintf("dc-%03d-%s", i, strings.Repeat("x", 20)))
	}
	lan.Upsert(Member{Name: "s4", Datacenter: "dc1", Role: RoleServer, State: StateAlive, Run: "r4", Datacenters: many, DatacentersVersion: 7})
	for _, dc := range []string{many[0], many[99]} {
		if got := client.Known(dc); got != Known {
			t.Errorf("with a long list, Known(%s) = %d; want Known", dc, got)
		}
	}
	if got := client.Known("dc9"); got != Unknown {
		t.Errorf("with a long list, Known(dc9) = %d; want Unknown", got)
	}
}

func TestFederationRoute(t *testing.T) {
	lan, wan := fedTables()
	client := Federation{Datacenter: "dc1", Self: "c1", LAN: lan}
	server := Federation{Datacenter: "dc1", Self: "s1", LAN: lan, WAN: wan}
	noWAN := Federation{Datacenter: "dc1", Self: "s1", LAN: lan}
	tests := []struct {
		name    string
		f       Federation
		dc      string
		hop     Hop
		wantHop Hop
		servers string
		err     error
	}{
		{"client to a known dc goes to its alive servers with DNS", client, "dc2", HopClient, HopLAN, "s1", nil},
		{"client: a dc known from a failed server still goes to alive ones", client, "dc3", HopClient, HopLAN, "s1", nil},
		{"client: unknown dc", client, "dc9", HopClient, 0, "", ErrUnknownDatacenter},
		{"server to a known dc goes over the WAN", server, "dc2", HopClient, HopWAN, "a.dc2,b.dc2", nil},
		{"server: forwarded by a client, still over the WAN", server, "dc2", HopLAN, HopWAN, "a.dc2,b.dc2", nil},
		{"server: dc whose servers all failed", server, "dc3", HopClient, 0, "", ErrNoPath},
		{"server: dc whose servers all left", server, "dc4", HopClient, 0, "", ErrUnknownDatacenter},
		{"server: came over the WAN, never forwarded again", server, "dc2", HopWAN, 0, "", ErrNoPath},
		{"server: came over the WAN, unknown dc", server, "dc9", HopWAN, 0, "", ErrUnknownDatacenter},
		{"server without WAN pool asks the other servers", noWAN, "dc2", HopClient, HopLAN, "", ErrNoPath},
		{"server without WAN pool does not forward a LAN question again", noWAN, "dc2", HopLAN, 0, "", ErrNoPath},
		{"own dc is not routed", client, "dc1", HopClient, 0, "", ErrNoPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.f.Route(tt.dc, tt.hop, hasDNS)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.dc) {
					t.Fatalf("Route(%s) error = %v; want %v naming %s", tt.dc, err, tt.err, tt.dc)
				}
				return
			}
			if err != nil {
				t.Fatalf("Route(%s) = %v", tt.dc, err)
			}
			if r.Hop != tt.wantHop || names(r.Servers) != tt.servers {
				t.Errorf("Route(%s) = hop %s, servers %s; want hop %s, servers %s", tt.dc, r.Hop, names(r.Servers), tt.wantHop, tt.servers)
			}
		})
	}
}

func TestHopString(t *testing.T) {
	for _, h := range []Hop{HopClient, HopLAN, HopWAN} {
		if got := ParseHop(h.String()); got != h {
			t.Errorf("ParseHop(%q) = %v; want %v", h.String(), got, h)
		}
	}
	if ParseHop("bogus") != HopClient {
		t.Error("ParseHop(bogus) is not HopClient")
	}
}
