package consulnode

import (
	"fmt"
	"strconv"
	"time"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/miekg/dns"
)

// Defaults of the TTL options, in seconds. Both are short so a change in
// membership shows within seconds, and non-zero so resolvers cache at all
// (TTL 0 was Consul's biggest scaling complaint) and do not retry AAAA for
// every lookup of an IPv4-only node.
const (
	defaultTTL    = 5
	defaultNegTTL = 5
)

func init() { plugin.Register(pluginName, setup) }

// setup parses the consulnode block and hooks the plugin into the chain.
// It does no I/O: the gossip agent is acquired in OnStartup.
func setup(c *caddy.Controller) error {
	cn, err := parse(c)
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	c.OnStartup(cn.OnStartup)
	c.OnShutdown(cn.OnShutdown)
	dnsserver.GetConfig(c).AddPlugin(func(next plugin.Handler) plugin.Handler {
		cn.Next = next
		return cn
	})
	return nil
}

// newConsulNode returns a plugin for zones (normalised FQDNs) with every
// option at its default.
func newConsulNode(zones []string) *ConsulNode {
	cn := &ConsulNode{
		Zones:     zones,
		reverse:   map[string]bool{},
		apexNames: map[string]apexNames{},
		ttl:       defaultTTL,
		negTTL:    defaultNegTTL,
		// Services get 5 s by default too: Consul's 0 made resolvers ask
		// on every lookup, and node_ttl does not apply to them.
		serviceTTL: serviceTTLs{def: defaultTTL},
	}
	for _, z := range zones {
		if isReverseZone(z) {
			cn.reverse[z] = true
			continue
		}
		cn.fwdZones = append(cn.fwdZones, z)
		cn.apexNames[z] = newApexNames(z)
	}
	return cn
}

// isReverseZone reports whether zone is in-addr.arpa., ip6.arpa. or under
// one of them.
func isReverseZone(zone string) bool {
	return dns.IsSubDomain("in-addr.arpa.", zone) || dns.IsSubDomain("ip6.arpa.", zone)
}

// parse reads the consulnode block. It reads nothing but the block: the
// gossip options either describe the agent a stock CoreDNS runs (with
// `bind`) or, inside discod, are refused by OnStartup, which finds the
// daemon's agent in the registry (membership.Registered).
func parse(c *caddy.Controller) (*ConsulNode, error) {
	var (
		cn    *ConsulNode
		g     gossipOptions
		given []givenOption
	)
	for c.Next() {
		if cn != nil {
			return nil, plugin.ErrOnce
		}
		zones, err := parseZones(c, c.RemainingArgs())
		if err != nil {
			return nil, err
		}
		cn = newConsulNode(zones)
		for c.NextBlock() {
			if err := cn.parseOption(c, &g, &given); err != nil {
				return nil, err
			}
		}
	}
	if cn == nil {
		return nil, c.ArgErr()
	}
	gs, err := g.setup(c, given)
	if err != nil {
		return nil, err
	}
	cn.gossip = gs
	return cn, nil
}

// parseZones returns the plugin's zones: the arguments, else the server
// block's keys, else consul. A root zone from the server block (a `.`
// block) means consul.: being authoritative for every name is never what a
// node-discovery plugin is for, and an explicit `.` is refused.
func parseZones(c *caddy.Controller, args []string) ([]string, error) {
	for _, a := range args {
		if plugin.Name(a).Normalize() == "." {
			return nil, c.Err("the root zone cannot be a consulnode zone: consulnode would answer NXDOMAIN for every name on the Internet")
		}
	}
	zones := plugin.OriginsFromArgsOrServerBlock(args, c.ServerBlockKeys)
	if len(args) > 0 && len(zones) == 0 {
		return nil, c.Errf("no valid zone in %v", args)
	}
	out := make([]string, 0, len(zones)+1)
	seen := map[string]bool{}
	for _, z := range zones {
		if z == "." {
			z = defaultForwardZone
		}
		if !seen[z] {
			seen[z] = true
			out = append(out, z)
		}
	}
	if len(out) == 0 {
		out = append(out, defaultForwardZone)
	}
	return out, nil
}

// parseOption parses one line of the block.
func (cn *ConsulNode) parseOption(c *caddy.Controller, g *gossipOptions, given *[]givenOption) error {
	switch opt := c.Val(); opt {
	case "ttl":
		v, err := parseTTL(c)
		if err != nil {
			return err
		}
		cn.ttl = v
	case "negative_ttl":
		v, err := parseTTL(c)
		if err != nil {
			return err
		}
		cn.negTTL = v
	case "failed":
		args := c.RemainingArgs()
		if len(args) != 1 {
			return c.ArgErr()
		}
		switch args[0] {
		case "nxdomain":
			cn.failedAnswer = false
		case "answer":
			cn.failedAnswer = true
		default:
			return c.Errf("failed must be nxdomain or answer: %q", args[0])
		}
	case "no_reverse":
		if len(c.RemainingArgs()) != 0 {
			return c.ArgErr()
		}
		cn.noReverse = true
	case "recursion_available":
		if len(c.RemainingArgs()) != 0 {
			return c.ArgErr()
		}
		cn.ra = true
	case "service_ttl":
		args := c.RemainingArgs()
		if len(args) == 0 || len(args)%2 != 0 {
			return c.Errf("service_ttl takes pairs of a service name (or prefix*) and a duration: %v", args)
		}
		for i := 0; i < len(args); i += 2 {
			v, err := parseDuration(args[i+1])
			if err != nil {
				return c.Errf("service_ttl %s: %v", args[i], err)
			}
			if err := cn.serviceTTL.set(args[i], v); err != nil {
				return c.Errf("service_ttl: %v", err)
			}
		}
	case "only_passing":
		if len(c.RemainingArgs()) != 0 {
			return c.ArgErr()
		}
		cn.onlyPassing = true
	case "udp_answer_limit", "a_record_limit":
		args := c.RemainingArgs()
		if len(args) != 1 {
			return c.ArgErr()
		}
		v, err := strconv.Atoi(args[0])
		if err != nil || v < 1 || v > MaxAnswerLimit {
			return c.Errf("%s must be a number of records in [1, %d]: %q", opt, MaxAnswerLimit, args[0])
		}
		if opt == "udp_answer_limit" {
			cn.udpAnswerLimit = v
		} else {
			cn.aRecordLimit = v
		}
	case "enable_truncate":
		if len(c.RemainingArgs()) != 0 {
			return c.ArgErr()
		}
		cn.enableTruncate = true
	case "fallthrough":
		args := c.RemainingArgs()
		cn.Fall.SetZonesFromArgs(args)
		// Explicit zones must not reach into a forward zone: the plugin is
		// its only source there. A bare `fallthrough` is accepted as the
		// usual idiom; forward zones never fall through regardless.
		if len(args) > 0 {
			for _, fz := range cn.Fall.Zones {
				for _, z := range cn.fwdZones {
					if dns.IsSubDomain(fz, z) || dns.IsSubDomain(z, fz) {
						return c.Errf("fallthrough zone %s overlaps forward zone %s: consulnode answers every name in its forward zones itself", fz, z)
					}
				}
			}
		}
	default:
		if isGossipOption(opt) {
			return g.parseOption(c, given)
		}
		return c.Errf("unknown property '%s'", opt)
	}
	return nil
}

// parseTTL parses the single argument of ttl or negative_ttl.
func parseTTL(c *caddy.Controller) (uint32, error) {
	opt := c.Val()
	args := c.RemainingArgs()
	if len(args) != 1 {
		return 0, c.ArgErr()
	}
	t, err := strconv.Atoi(args[0])
	if err != nil {
		return 0, c.Errf("%s must be a number of seconds: %q", opt, args[0])
	}
	if err := CheckTTL(t); err != nil {
		return 0, c.Errf("%s must be in range [0, %d]: %d", opt, MaxTTL, t)
	}
	return uint32(t), nil
}

// parseDuration parses a TTL given as a Go duration ("10s", "1m30s") or
// a number of seconds, whole seconds only, within CheckTTL's range.
func parseDuration(s string) (uint32, error) {
	secs, err := strconv.Atoi(s)
	if err != nil {
		d, derr := time.ParseDuration(s)
		if derr != nil {
			return 0, fmt.Errorf("%q is neither a duration nor a number of seconds", s)
		}
		if d%time.Second != 0 {
			return 0, fmt.Errorf("%q is not a whole number of seconds", s)
		}
		secs = int(d / time.Second)
	}
	if err := CheckTTL(secs); err != nil {
		return 0, fmt.Errorf("TTL %q: %w", s, err)
	}
	return uint32(secs), nil
}
