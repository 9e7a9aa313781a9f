package dnsrules

import (
	"fmt"
	"net/netip"
	"strings"
)

// DefaultRecursorPort is the port of a recursor given without one.
const DefaultRecursorPort = 53

// DefaultRecursorAllow returns the default recursor_allow networks, the
// clients allowed to use the recursors: loopback and the private ranges.
// The caller owns the slice.
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

// ParseRecursor parses a recursor: "ADDR" or "ADDR:PORT" ("[V6]:PORT"),
// the port defaulting to DefaultRecursorPort. Host names are refused (the
// agent does not resolve them), and so are go-sockaddr templates, wildcard
// addresses, IPv6 zones and port 0. The address comes back unmapped.
func ParseRecursor(s string) (netip.AddrPort, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "{{") {
		return netip.AddrPort{}, fmt.Errorf("recursor %q is a go-sockaddr template, which discod does not support: give an IP address", s)
	}
	ap, err := netip.ParseAddrPort(s)
	if a, aerr := netip.ParseAddr(s); aerr == nil {
		ap, err = netip.AddrPortFrom(a, DefaultRecursorPort), nil
	}
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("recursor %q is not an IP address or IP:port (IPv6 with a port in brackets); discod does not resolve host names for recursors", s)
	}
	switch a := ap.Addr(); {
	case a.IsUnspecified():
		return netip.AddrPort{}, fmt.Errorf("recursor %q is a wildcard address: give the address of a resolver", s)
	case a.Zone() != "":
		return netip.AddrPort{}, fmt.Errorf("recursor %q has an IPv6 zone, which the forward plugin cannot take: give an address without one", s)
	case ap.Port() == 0:
		return netip.AddrPort{}, fmt.Errorf("recursor %q has port 0: give the port of a resolver", s)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// IsOwnListener reports whether recursor is the agent's own DNS listener,
// listening on listen port port: forwarding to it would loop. A listener
// on a wildcard address is reached through loopback and through every
// one of the host's addresses given in also (the bind and advertise
// addresses, where the caller knows them).
func IsOwnListener(recursor netip.AddrPort, listen netip.Addr, port int, also ...netip.Addr) bool {
	if int(recursor.Port()) != port {
		return false
	}
	a, listen := recursor.Addr().Unmap(), listen.Unmap()
	if a == listen {
		return true
	}
	if !listen.IsUnspecified() {
		return false
	}
	if a.IsLoopback() {
		return true
	}
	for _, h := range also {
		if h.IsValid() && a == h.Unmap() {
			return true
		}
	}
	return false
}
