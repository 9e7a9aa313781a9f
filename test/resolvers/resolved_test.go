package resolvers

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestResolvedRecipeSyntax checks the systemd-resolved recipe, which
// cannot run here (resolved needs systemd as PID 1), against the grammar
// its manual pages give:
//
//   - resolved.conf(5): settings in a [Resolve] section; DNS= is a
//     space-separated list of addresses, each "optionally" with
//     ":port" (IPv6 in brackets then), "%ifname" and "#SNI" — the port
//     form needs systemd 246 (systemd/systemd#17858); Domains= is a
//     space-separated list in which "~" marks a route-only domain.
//   - dnssec-trust-anchors.d(5): a *.negative file holds one domain per
//     line; empty lines and lines starting with ";" are ignored.
func TestResolvedRecipeSyntax(t *testing.T) {
	t.Run("resolved.conf", func(t *testing.T) {
		section := ""
		seen := map[string]string{}
		for i, line := range strings.Split(recipe(t, "resolved.conf"), "\n") {
			line = strings.TrimSpace(line)
			switch {
			case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
			case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
				section = line
			default:
				key, value, ok := strings.Cut(line, "=")
				if !ok {
					t.Errorf("line %d: %q is not KEY=VALUE", i+1, line)
					continue
				}
				if section != "[Resolve]" {
					t.Errorf("line %d: %s outside the [Resolve] section", i+1, key)
				}
				seen[key] = value
			}
		}
		for _, server := range strings.Fields(seen["DNS"]) {
			if err := checkResolvedServer(server); err != nil {
				t.Errorf("DNS=%s: %v", server, err)
			}
		}
		if seen["DNS"] != recipeAgentIP+":8600" {
			t.Errorf("DNS=%q; want discod's default %s:8600", seen["DNS"], recipeAgentIP)
		}
		domains := strings.Fields(seen["Domains"])
		if !slices.Contains(domains, "~consul") {
			t.Errorf("Domains=%q does not route consul (want ~consul)", seen["Domains"])
		}
		for _, d := range domains {
			if _, ok := dns.IsDomainName(strings.TrimPrefix(d, "~")); !ok {
				t.Errorf("Domains=: %q is not a domain name", d)
			}
		}
	})
	t.Run("consul.negative", func(t *testing.T) {
		var names []string
		for i, line := range strings.Split(recipe(t, "consul.negative"), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, ";") {
				continue
			}
			if f := strings.Fields(line); len(f) != 1 {
				t.Errorf("line %d: %q is not one domain name (only \";\" starts a comment)", i+1, line)
				continue
			}
			if _, ok := dns.IsDomainName(line); !ok || strings.ContainsAny(line, "#/") {
				t.Errorf("line %d: %q is not a domain name", i+1, line)
			}
			names = append(names, line)
		}
		// resolved's built-in negative trust anchors, which any
		// *.negative file replaces (src/resolve/resolved-dns-trust-anchor.c).
		builtin := []string{"test", "local", "home", "corp", "lan", "intranet", "internal", "private",
			"home.arpa", "10.in-addr.arpa", "168.192.in-addr.arpa", "d.f.ip6.arpa"}
		for i := 16; i <= 31; i++ {
			builtin = append(builtin, strconv.Itoa(i)+".172.in-addr.arpa")
		}
		for _, want := range append([]string{"consul"}, builtin...) {
			if !slices.Contains(names, want) {
				t.Errorf("consul.negative lacks %s", want)
			}
		}
	})
}

// checkResolvedServer parses one DNS= entry as resolved.conf(5) describes
// it: ADDRESS[:PORT][%IFNAME][#SNI], an IPv6 address in brackets when a
// port follows.
func checkResolvedServer(s string) error {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, '%'); i >= 0 && !strings.HasPrefix(s, "[") {
		s = s[:i]
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		if ap.Port() == 0 {
			return strconv.ErrRange
		}
		return nil
	}
	_, err := netip.ParseAddr(s)
	return err
}
