package config

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
)

// env is what Load reads from the host. Tests replace it.
type env struct {
	hostname  func() (string, error)
	hostAddrs func() ([]netip.Addr, error)
}

// hostEnv reads the real host.
var hostEnv = &env{hostname: os.Hostname, hostAddrs: hostAddrs}

// hostAddrs lists the addresses of this host's interfaces that are up,
// running (have a carrier) and not loopback. Skipping interfaces without a
// carrier keeps an idle docker0 bridge from making the choice ambiguous. It
// only reads the interface table.
func hostAddrs() ([]netip.Addr, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list network interfaces: %w", err)
	}
	var out []netip.Addr
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagRunning == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			return nil, fmt.Errorf("list addresses of interface %s: %w", ifc.Name, err)
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out, nil
}

// privateV4 are the ranges a default bind address is chosen from: RFC 1918
// and RFC 6598 shared space, as go-sockaddr's GetPrivateIP (which Consul
// uses) counts as private.
var privateV4 = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
}

// isPrivateV4 reports whether a is in one of the privateV4 ranges.
func isPrivateV4(a netip.Addr) bool {
	a = a.Unmap()
	if !a.Is4() {
		return false
	}
	for _, p := range privateV4 {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// choosePrivateIPv4 returns the one private IPv4 address among addrs. None,
// or several distinct ones, is an error telling the operator to set flag
// (such as "-bind") to the address other agents should use.
func choosePrivateIPv4(addrs []netip.Addr, flag string) (netip.Addr, error) {
	var found []netip.Addr
	for _, a := range addrs {
		a = a.Unmap()
		if isPrivateV4(a) && !slices.Contains(found, a) {
			found = append(found, a)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return netip.Addr{}, fmt.Errorf("no private IPv4 address found: set %s to the address other agents should use", flag)
	}
	slices.SortFunc(found, netip.Addr.Compare)
	list := make([]string, len(found))
	for i, a := range found {
		list[i] = a.String()
	}
	return netip.Addr{}, fmt.Errorf("several private IPv4 addresses found (%s): set %s to the one other agents should use", strings.Join(list, ", "), flag)
}
