package consulnode

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/coredns/caddy"
	"github.com/discod/discod/dnsrules"
	"github.com/discod/discod/membership"
)

// defaultGossipPort is the port of `bind ADDR` without one: Consul's Serf
// LAN port.
const defaultGossipPort = 8301

// gossipSetup says where the member table comes from: the discod daemon's
// agent, or an agent the plugin acquires itself (stock CoreDNS).
type gossipSetup struct {
	process *membership.Agent // discod's agent; nil in stock CoreDNS
	config  membership.Config // stock CoreDNS: the agent to acquire in OnStartup
	join    []string          // stock CoreDNS: addresses to join after acquiring
}

// gossipOptions collects the gossip options of a consulnode block.
type gossipOptions struct {
	node      string
	dc        string
	bind      netip.AddrPort
	bindSet   bool
	advertise netip.AddrPort // port 0: the bind port
	join      []string
	server    bool
	bootstrap int
}

// discodFlags names the discod flag that replaces each gossip option when
// the plugin runs inside discod, whose agent owns gossip.
var discodFlags = map[string]string{
	"node":             "-node",
	"datacenter":       "-datacenter",
	"bind":             "-bind and -serf-lan-port",
	"advertise":        "-advertise",
	"join":             "-join",
	"encrypt":          "-encrypt",
	"server":           "-server",
	"bootstrap_expect": "-bootstrap-expect",
}

// isGossipOption reports whether opt is one of the gossip options.
func isGossipOption(opt string) bool {
	_, ok := discodFlags[opt]
	return ok
}

// parseOption parses the gossip option at the controller's cursor. With a
// process agent (inside discod) every gossip option is refused with the
// discod flag to use instead, except a datacenter equal to the agent's.
func (g *gossipOptions) parseOption(c *caddy.Controller, proc *membership.Agent) error {
	opt := c.Val()
	args := c.RemainingArgs()
	if proc != nil {
		if opt == "datacenter" && len(args) == 1 && strings.EqualFold(args[0], proc.Config().Datacenter) {
			return nil
		}
		if opt == "datacenter" {
			return c.Errf("datacenter is set by the discod agent (%s): use %s", proc.Config().Datacenter, discodFlags[opt])
		}
		return c.Errf("%s is set by the discod agent: use %s", opt, discodFlags[opt])
	}
	switch opt {
	case "node":
		if len(args) != 1 {
			return c.ArgErr()
		}
		if err := membership.ValidateLabel("node name", args[0]); err != nil {
			return c.Errf("node: %v", err)
		}
		g.node = args[0]
	case "datacenter":
		if len(args) != 1 {
			return c.ArgErr()
		}
		if err := membership.ValidateLabel("datacenter", args[0]); err != nil {
			return c.Errf("datacenter: %v", err)
		}
		g.dc = strings.ToLower(args[0])
	case "bind":
		if len(args) != 1 {
			return c.ArgErr()
		}
		ap, err := parseAddrPort(args[0], defaultGossipPort)
		if err != nil {
			return c.Errf("bind: %v", err)
		}
		g.bind, g.bindSet = ap, true
	case "advertise":
		if len(args) != 1 {
			return c.ArgErr()
		}
		ap, err := parseAddrPort(args[0], 0)
		if err != nil {
			return c.Errf("advertise: %v", err)
		}
		if ap.Addr().IsUnspecified() {
			return c.Errf("advertise: %s is a wildcard: give the one address peers and DNS answers should use", ap.Addr())
		}
		g.advertise = ap
	case "join":
		if len(args) == 0 {
			return c.ArgErr()
		}
		g.join = append(g.join, args...)
	case "server":
		if len(args) != 0 {
			return c.ArgErr()
		}
		g.server = true
	case "bootstrap_expect":
		if len(args) != 1 {
			return c.ArgErr()
		}
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 1 {
			return c.Errf("bootstrap_expect must be a positive number of servers: %q", args[0])
		}
		g.bootstrap = n
	case "encrypt":
		if len(args) != 1 {
			return c.ArgErr()
		}
		return c.Err("encrypt is not supported yet: gossip encryption needs a later discod release")
	}
	return nil
}

// setup turns the options into where the table comes from. With a process
// agent that is the agent; otherwise the options must at least give bind.
func (g *gossipOptions) setup(c *caddy.Controller, proc *membership.Agent) (gossipSetup, error) {
	if proc != nil {
		return gossipSetup{process: proc}, nil
	}
	if !g.bindSet {
		return gossipSetup{}, c.Err("no gossip agent: outside discod, set `bind ADDR[:PORT]` (and usually `join`) in the consulnode block")
	}
	if g.bootstrap > 0 && !g.server {
		return gossipSetup{}, c.Err("bootstrap_expect needs `server`: it counts servers, and only a server waits for them")
	}
	if g.bind.Addr().IsUnspecified() && !g.advertise.Addr().IsValid() {
		return gossipSetup{}, c.Errf("bind %s is a wildcard: set `advertise ADDR` to the address peers (and DNS answers) should use", g.bind.Addr())
	}
	node := g.node
	if node == "" {
		var err error
		if node, err = defaultNodeName(); err != nil {
			return gossipSetup{}, c.Err(err.Error())
		}
	}
	cfg := membership.DefaultConfig()
	cfg.NodeName = node
	if g.dc != "" {
		cfg.Datacenter = g.dc
	}
	if g.server {
		cfg.Role = membership.RoleServer
	}
	cfg.BootstrapExpect = g.bootstrap
	cfg.BindAddr = g.bind.Addr()
	cfg.BindPort = int(g.bind.Port())
	cfg.AdvertiseAddr = g.advertise.Addr()
	cfg.AdvertisePort = int(g.advertise.Port())
	cfg.Logger = newAgentLogger()
	return gossipSetup{config: cfg, join: g.join}, nil
}

// defaultNodeName is the first label of the host name, as the node name
// must be one DNS label.
func defaultNodeName() (string, error) {
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("no node name: the host name is unknown (%w); set `node NAME`", err)
	}
	name, err := dnsrules.NodeNameFromHost(host)
	if err != nil {
		return "", fmt.Errorf("no node name: the host name %q does not give one (%w); set `node NAME`", host, err)
	}
	return name, nil
}

// parseAddrPort parses "ADDR" or "ADDR:PORT" ("[V6]:PORT"); a bare ADDR
// gets defaultPort. Host names are refused: the address is what DNS
// answers, so it must be exact.
func parseAddrPort(s string, defaultPort uint16) (netip.AddrPort, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return netip.AddrPort{}, fmt.Errorf("%q has an IPv6 zone, which is not supported", s)
		}
		return netip.AddrPortFrom(a.Unmap(), defaultPort), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}, errors.New(strconv.Quote(s) + " is not an IP address or IP:PORT")
	}
	if ap.Addr().Zone() != "" {
		return netip.AddrPort{}, fmt.Errorf("%q has an IPv6 zone, which is not supported", s)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}
