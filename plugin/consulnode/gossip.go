package consulnode

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"
	"github.com/discod/discod/membership"
)

// defaultGossipPort is the port of `bind ADDR` without one: Consul's Serf
// LAN port.
const defaultGossipPort = 8301

// gossipSetup says where the member table comes from. parse fills it from
// the block alone; OnStartup resolves it through the agent registry
// (acquire), the same way inside discod and in a stock CoreDNS.
type gossipSetup struct {
	// process is the agent an owner registered (discod's), found by
	// OnStartup; nil before it and in a stock CoreDNS.
	process *membership.Agent
	// inUse is the agent OnStartup answers from, whose event counters the
	// plugin reports until OnShutdown (agentmetrics.go).
	inUse *membership.Agent
	// given lists the gossip options of the block, in order, each with the
	// position of its line: inside discod each is refused there, with the
	// discod setting to use instead.
	given []givenOption
	// end is the position of the end of the block, for an error about the
	// block as a whole.
	end caddyfile.Dispenser

	// The agent a stock CoreDNS acquires, valid when stock is set (the
	// block gives `bind`).
	stock       bool
	config      membership.Config // the agent to acquire (Keys and KeyringPath: see below)
	join        []string          // addresses to join after acquiring
	rejoin      bool              // rejoin the snapshot's peers even after a graceful leave
	seed        [][]byte          // `encrypt KEY`: the key a new keyring file starts with
	keyringFile string            // where the keyring is kept; "" with neither keyring_file nor data_dir
	keyringSet  bool              // keyring_file was given (not derived from data_dir)
	dataDir     string            // data_dir, created by OnStartup; "" without
}

// givenOption is one gossip option of the block.
type givenOption struct {
	name string
	args []string
	at   caddyfile.Dispenser // positioned at the option, for errors
}

// gossipOptions collects the gossip options of a consulnode block.
type gossipOptions struct {
	node        string
	dc          string
	bind        netip.AddrPort
	bindSet     bool
	advertise   netip.AddrPort // port 0: the bind port
	join        []string
	server      bool
	bootstrap   int
	encrypt     []byte
	keyringFile string
	dataDir     string
	rejoin      bool
	tuning      membership.Tuning
}

// discodSettings names the discod setting that replaces each gossip
// option when the plugin runs inside discod, whose agent owns gossip.
var discodSettings = map[string]string{
	"node":               "-node",
	"datacenter":         "-datacenter",
	"bind":               "-bind and -serf-lan-port",
	"advertise":          "-advertise",
	"join":               "-join",
	"encrypt":            "-encrypt",
	"server":             "-server",
	"bootstrap_expect":   "-bootstrap-expect",
	"keyring_file":       "-data-dir, which keeps the keyring",
	"data_dir":           "-data-dir",
	"rejoin_after_leave": "-rejoin",
	"gossip_nodes":       "gossip_lan.gossip_nodes in the agent's config file",
	"gossip_interval":    "gossip_lan.gossip_interval in the agent's config file",
	"probe_interval":     "gossip_lan.probe_interval in the agent's config file",
	"probe_timeout":      "gossip_lan.probe_timeout in the agent's config file",
	"suspicion_mult":     "gossip_lan.suspicion_mult in the agent's config file",
	"retransmit_mult":    "gossip_lan.retransmit_mult in the agent's config file",
}

// isGossipOption reports whether opt is one of the gossip options.
func isGossipOption(opt string) bool {
	_, ok := discodSettings[opt]
	return ok
}

// parseOption parses the gossip option at the controller's cursor and
// records it, with its position, in given.
func (g *gossipOptions) parseOption(c *caddy.Controller, given *[]givenOption) error {
	opt := c.Val()
	at := c.Dispenser // a copy, positioned at the option
	args := c.RemainingArgs()
	*given = append(*given, givenOption{name: opt, args: args, at: at})
	one := func() (string, error) {
		if len(args) != 1 {
			return "", c.ArgErr()
		}
		return args[0], nil
	}
	switch opt {
	case "node":
		v, err := one()
		if err != nil {
			return err
		}
		if err := membership.ValidateLabel("node name", v); err != nil {
			return c.Errf("node: %v", err)
		}
		g.node = v
	case "datacenter":
		v, err := one()
		if err != nil {
			return err
		}
		if err := membership.ValidateLabel("datacenter", v); err != nil {
			return c.Errf("datacenter: %v", err)
		}
		g.dc = strings.ToLower(v)
	case "bind":
		v, err := one()
		if err != nil {
			return err
		}
		ap, err := parseAddrPort(v, defaultGossipPort)
		if err != nil {
			return c.Errf("bind: %v", err)
		}
		g.bind, g.bindSet = ap, true
	case "advertise":
		v, err := one()
		if err != nil {
			return err
		}
		ap, err := parseAddrPort(v, 0)
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
	case "server", "rejoin_after_leave":
		if len(args) != 0 {
			return c.ArgErr()
		}
		if opt == "server" {
			g.server = true
		} else {
			g.rejoin = true
		}
	case "bootstrap_expect":
		v, err := one()
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c.Errf("bootstrap_expect must be a positive number of servers: %q", v)
		}
		g.bootstrap = n
	case "encrypt":
		v, err := one()
		if err != nil {
			return err
		}
		k, err := membership.DecodeKey(v)
		if err != nil {
			return c.Errf("encrypt: %v", err)
		}
		g.encrypt = k
	case "keyring_file", "data_dir":
		v, err := one()
		if err != nil {
			return err
		}
		if !filepath.IsAbs(v) {
			return c.Errf("%s must be an absolute path: %q (CoreDNS may run from any directory)", opt, v)
		}
		if opt == "keyring_file" {
			g.keyringFile = filepath.Clean(v)
		} else {
			g.dataDir = filepath.Clean(v)
		}
	case "gossip_nodes", "suspicion_mult", "retransmit_mult":
		v, err := one()
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c.Errf("%s must be a positive number: %q", opt, v)
		}
		switch opt {
		case "gossip_nodes":
			g.tuning.GossipNodes = n
		case "suspicion_mult":
			g.tuning.SuspicionMult = n
		default:
			g.tuning.RetransmitMult = n
		}
	case "gossip_interval", "probe_interval", "probe_timeout":
		v, err := one()
		if err != nil {
			return err
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c.Errf("%s must be a positive duration such as 200ms or 1s: %q", opt, v)
		}
		switch opt {
		case "gossip_interval":
			g.tuning.GossipInterval = d
		case "probe_interval":
			g.tuning.ProbeInterval = d
		default:
			g.tuning.ProbeTimeout = d
		}
	}
	return nil
}

// setup turns the options into the gossip setup. A block with `bind`
// describes the agent a stock CoreDNS runs, which is checked here; the
// rest is decided by OnStartup (acquire), which knows whether an owner
// registered an agent.
func (g *gossipOptions) setup(c *caddy.Controller, given []givenOption) (gossipSetup, error) {
	gs := gossipSetup{given: given, end: c.Dispenser}
	if !g.bindSet {
		return gs, nil
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
	cfg.Tuning = g.tuning
	if g.dataDir != "" {
		cfg.SnapshotPath = filepath.Join(g.dataDir, membership.SnapshotFile)
	}
	cfg.Logger = newAgentLogger()
	gs.stock, gs.config, gs.join, gs.rejoin, gs.dataDir = true, cfg, g.join, g.rejoin, g.dataDir
	if g.encrypt != nil {
		gs.seed = [][]byte{g.encrypt}
	}
	switch {
	case g.keyringFile != "":
		gs.keyringFile, gs.keyringSet = g.keyringFile, true
	case g.dataDir != "":
		gs.keyringFile = filepath.Join(g.dataDir, membership.KeyringFile)
	}
	return gs, nil
}

// registryName is the name of the agent a stock CoreDNS acquires: its bind
// address, so that server blocks (and a reload's overlapping instances)
// with the same bind share one agent and different binds run their own.
func (gs *gossipSetup) registryName() string {
	return netip.AddrPortFrom(gs.config.BindAddr, uint16(gs.config.BindPort)).String()
}

// refuse returns the error for the first gossip option of the block when
// owner, a registered agent (discod's), runs gossip: the option's discod
// setting is to be used instead. A datacenter equal to the agent's is
// accepted.
func (gs *gossipSetup) refuse(owner *membership.Agent) error {
	for _, o := range gs.given {
		dc := owner.Config().Datacenter
		if o.name == "datacenter" {
			if len(o.args) == 1 && strings.EqualFold(o.args[0], dc) {
				continue
			}
			return o.at.Errf("datacenter is set by the discod agent (%s): use %s", dc, discodSettings[o.name])
		}
		return o.at.Errf("%s is set by the discod agent: use %s", o.name, discodSettings[o.name])
	}
	return nil
}

// agentConfig returns the config of the agent to acquire, with its
// keyring: a keyring file that exists wins over `encrypt`, which seeds a
// new one (see membership.LoadKeyring). It reads (and may write) the
// keyring file, so only OnStartup calls it.
func (gs *gossipSetup) agentConfig() (membership.Config, error) {
	cfg := gs.config
	if gs.dataDir != "" {
		if err := os.MkdirAll(gs.dataDir, 0o700); err != nil {
			return cfg, fmt.Errorf("data_dir: %w", err)
		}
	}
	keys, stale, err := membership.LoadKeyring(gs.keyringFile, gs.seed)
	if err != nil {
		return cfg, fmt.Errorf("gossip keyring: %w (fix or remove the file; `encrypt KEY` seeds a new one)", err)
	}
	if gs.keyringSet && keys == nil {
		return cfg, fmt.Errorf("keyring_file %s does not exist and no `encrypt KEY` seeds it", gs.keyringFile)
	}
	if stale {
		log.Warningf("the keyring in %s does not contain the `encrypt` key; using the file, which follows rotations. "+
			"Set `encrypt` to the current primary key, or remove the file to start over from it", gs.keyringFile)
	}
	cfg.Keys = keys
	if keys != nil {
		cfg.KeyringPath = gs.keyringFile
	}
	return cfg, nil
}

// errNoAgent is the message for a block with neither a registered agent
// nor `bind`.
const errNoAgent = "no gossip agent: outside discod, set `bind ADDR[:PORT]` (and usually `join`) in the consulnode block"

// defaultNodeName is the first label of the host name, as the node name
// must be one DNS label.
func defaultNodeName() (string, error) {
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("no node name: the host name is unknown (%w); set `node NAME`", err)
	}
	name, _, _ := strings.Cut(host, ".")
	if err := membership.ValidateLabel("node name", name); err != nil {
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
