package config

import (
	"net/netip"
	"testing"
)

func TestChoosePrivateIPv4(t *testing.T) {
	tests := []struct {
		name    string
		addrs   []string
		want    string
		wantErr string
	}{
		{"none at all", nil, "", "no private IPv4 address found: set -bind to the address other agents should use"},
		{"only public, loopback, link-local and IPv6", []string{"203.0.113.7", "127.0.0.1", "169.254.1.1", "fd00::1", "2001:db8::1"}, "",
			"no private IPv4 address found"},
		{"one among others", []string{"203.0.113.7", "fe80::1", "192.168.1.20"}, "192.168.1.20", ""},
		{"shared address space", []string{"100.100.1.2"}, "100.100.1.2", ""},
		{"172.16/12 edge", []string{"172.31.255.1", "172.32.0.1"}, "172.31.255.1", ""},
		{"same address twice", []string{"10.0.0.5", "10.0.0.5"}, "10.0.0.5", ""},
		{"IPv4-mapped", []string{"::ffff:10.0.0.6"}, "10.0.0.6", ""},
		{"several", []string{"192.168.1.20", "10.0.0.5", "172.17.0.1"}, "",
			"several private IPv4 addresses found (10.0.0.5, 172.17.0.1, 192.168.1.20): set -bind to the one other agents should use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var addrs []netip.Addr
			for _, a := range tt.addrs {
				addrs = append(addrs, netip.MustParseAddr(a))
			}
			got, err := choosePrivateIPv4(addrs, "-bind")
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("got %s, want error", got)
				}
				wantContains(t, err.Error(), tt.wantErr)
				return
			}
			if err != nil || got != netip.MustParseAddr(tt.want) {
				t.Errorf("got %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// TestHostAddrs only checks that listing the real interfaces works and
// never returns loopback addresses; it opens no socket.
func TestHostAddrs(t *testing.T) {
	addrs, err := hostAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if a.IsLoopback() {
			t.Errorf("loopback address %s listed", a)
		}
	}
}
