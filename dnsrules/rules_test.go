package dnsrules

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseRecursor(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "10.0.0.2", want: "10.0.0.2:53"},
		{in: " 10.0.0.2:5353 ", want: "10.0.0.2:5353"},
		{in: "2001:db8::1", want: "[2001:db8::1]:53"},
		{in: "[2001:db8::1]:5353", want: "[2001:db8::1]:5353"},
		{in: "::ffff:10.0.0.2", want: "10.0.0.2:53"},
		{in: "dns.google", err: "does not resolve host names"},
		{in: "{{ GetPrivateIP }}", err: "go-sockaddr template"},
		{in: "0.0.0.0", err: "wildcard"},
		{in: "[::]:53", err: "wildcard"},
		{in: "fe80::1%eth0", err: "IPv6 zone"},
		{in: "10.0.0.1:0", err: "port 0"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ap, err := ParseRecursor(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseRecursor(%q) = %v, %v; want an error containing %q", tt.in, ap, err, tt.err)
				}
				return
			}
			if err != nil || ap.String() != tt.want {
				t.Fatalf("ParseRecursor(%q) = %v, %v; want %s", tt.in, ap, err, tt.want)
			}
		})
	}
}

func TestIsOwnListener(t *testing.T) {
	a := netip.MustParseAddr
	ap := netip.MustParseAddrPort
	tests := []struct {
		name     string
		recursor netip.AddrPort
		listen   netip.Addr
		port     int
		also     []netip.Addr
		want     bool
	}{
		{"same address and port", ap("127.0.0.1:8600"), a("127.0.0.1"), 8600, nil, true},
		{"other port", ap("127.0.0.1:53"), a("127.0.0.1"), 8600, nil, false},
		{"other address", ap("10.0.0.2:8600"), a("127.0.0.1"), 8600, nil, false},
		{"wildcard, loopback", ap("127.0.0.2:53"), a("0.0.0.0"), 53, nil, true},
		{"wildcard, a host address", ap("10.9.8.7:53"), a("0.0.0.0"), 53, []netip.Addr{a("10.9.8.7")}, true},
		{"wildcard, another host", ap("10.9.8.6:53"), a("::"), 53, []netip.Addr{a("10.9.8.7"), {}}, false},
		{"mapped", ap("[::ffff:127.0.0.1]:8600"), a("127.0.0.1"), 8600, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsOwnListener(tt.recursor, tt.listen, tt.port, tt.also...); got != tt.want {
				t.Errorf("IsOwnListener(%s, %s, %d, %v) = %v; want %v", tt.recursor, tt.listen, tt.port, tt.also, got, tt.want)
			}
		})
	}
}

func TestNodeNameFromHost(t *testing.T) {
	tests := []struct{ host, want, err string }{
		{host: "web-1.example.com", want: "web-1"},
		{host: "Web1", want: "Web1"},
		{host: "my_host.example.com", err: `node name "my_host" is not a valid DNS label`},
		{host: "", err: "node name is empty"},
		{host: "-x.example", err: "hyphen"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			got, err := NodeNameFromHost(tt.host)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("NodeNameFromHost(%q) = %q, %v; want an error containing %q", tt.host, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NodeNameFromHost(%q) = %q, %v; want %q", tt.host, got, err, tt.want)
			}
		})
	}
}

func TestCheckZone(t *testing.T) {
	tests := []struct{ zone, err string }{
		{zone: "consul."},
		{zone: "consul"},
		{zone: "_internal.example."},
		{zone: "Upper.Case."},
		{zone: ".", err: "root zone"},
		{zone: "", err: "root zone"},
		{zone: "a..b.", err: "empty label"},
		{zone: "con sul.", err: `character ' '`},
		{zone: strings.Repeat("a", 64) + ".", err: "longer than 63"},
		{zone: strings.Repeat("abc.", 64), err: "longer than 253"},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			err := CheckZone(tt.zone)
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("CheckZone(%q) = %v; want error %q", tt.zone, err, tt.err)
			}
		})
	}
}

func TestCheckTTL(t *testing.T) {
	for _, tt := range []struct {
		secs int
		ok   bool
	}{{0, true}, {5, true}, {MaxTTL, true}, {MaxTTL + 1, false}, {7200, false}, {-1, false}} {
		if err := CheckTTL(tt.secs); (err == nil) != tt.ok {
			t.Errorf("CheckTTL(%d) = %v; want ok = %v", tt.secs, err, tt.ok)
		}
	}
}

func TestDefaultRecursorAllowIsACopy(t *testing.T) {
	a := DefaultRecursorAllow()
	a[0] = netip.MustParsePrefix("0.0.0.0/0")
	if b := DefaultRecursorAllow(); b[0].String() != "127.0.0.0/8" {
		t.Fatalf("DefaultRecursorAllow shares its slice: %v", b)
	}
}
