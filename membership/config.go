package membership

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/discod/discod/dnsrules"
)

// Config configures an Agent. Build it with DefaultConfig and change what
// you need; New validates it and returns an error rather than letting
// memberlist panic later.
type Config struct {
	// NodeName is the member's name, unique in the datacenter and a valid
	// DNS label (letters, digits and hyphens, 1–63 characters), because it
	// is what <name>.node.consul answers. Names compare without regard to
	// case. No default: the daemon derives one from the host name.
	NodeName string

	// NodeID is a stable identifier (UUID form) gossiped in the metadata.
	// The daemon keeps it in the data dir so it survives restarts. Default:
	// a random one.
	NodeID string

	// Datacenter is the node's datacenter, a DNS label, stored lower case.
	// Default "dc1".
	Datacenter string

	// Role is server or client. Default client. It is gossiped so every
	// agent can count servers for -bootstrap-expect.
	Role Role

	// BootstrapExpect is how many servers of the datacenter must be alive
	// before the agent reports itself ready (Agent.Ready). Default 0: ready
	// as soon as the agent runs. discod has no consensus layer, so this is
	// a readiness gate only, never a quorum: see docs/agent.md.
	BootstrapExpect int

	// Build is the discod version gossiped to peers ("members" shows it).
	Build string

	// Meta is the operator's node metadata (-node-meta). Together with the
	// fields above it must fit memberlist's 512-byte metadata limit; New
	// checks that.
	Meta map[string]string

	// BindAddr and BindPort are where gossip listens, UDP and TCP. Port 0
	// picks a free port (tests). Default 0.0.0.0:8301 is rejected by the
	// daemon unless an advertise address is known: the advertised address
	// is what DNS answers, so it must be deliberate.
	BindAddr netip.Addr
	BindPort int

	// AdvertiseAddr and AdvertisePort are what peers are told to reach us
	// at, and what DNS answers for this node. Default: the bind address and
	// port; required when BindAddr is unspecified (0.0.0.0 or ::).
	AdvertiseAddr netip.Addr
	AdvertisePort int

	// DNSAddr and HTTPAddr are where other agents can reach this node's DNS
	// server and HTTP API. They are gossiped so that agents can forward
	// questions about other datacenters to servers (see federation.go).
	// Default: not gossiped, so nobody forwards to this node. Use
	// ReachableAddr to derive them from the listen address.
	DNSAddr, HTTPAddr netip.AddrPort

	// WANAddr is this node's address for other datacenters
	// (-advertise-wan), gossiped only when set: answers to questions that
	// come from another datacenter use it instead of the advertise address.
	// Default: none.
	WANAddr netip.Addr

	// Maintenance, when set, starts the node in maintenance mode with this
	// reason (see SetMaintenance), for an agent that was in maintenance
	// before a restart. At most MaxMaintenanceReason bytes. Default: not in
	// maintenance.
	Maintenance string

	// WAN makes the agent a member of the WAN pool, which joins the servers
	// of every datacenter, rather than of its datacenter's LAN pool. Its
	// gossip name is <node>.<datacenter> (NodeName may be given either way),
	// its role is always server, and its packets carry a label so that a LAN
	// agent pointed at a WAN port by mistake is refused instead of merging
	// the two pools. Build its Config with WANConfig. Default false.
	WAN bool

	// Profile selects memberlist's timing profile: "lan" (default; 1 s
	// probes, failure seen in about 5–10 s), "wan" (slow, tolerant of
	// latency) or "local" (fast, for loopback tests; more false alarms
	// under load).
	Profile string

	// Tuning overrides single settings of the profile (Consul's gossip_lan
	// and gossip_wan blocks); see Tuning for each field's default and
	// trade-off. Default: the profile's values.
	Tuning Tuning

	// ReconnectInterval is how often the agent tries to reach one failed
	// member again, so that a healed partition merges without an operator
	// typing join. Default 30 s (serf's). Lower means faster healing and a
	// little more traffic to dead addresses.
	ReconnectInterval time.Duration

	// ReconnectTimeout is how long a failed member stays in the table (and
	// keeps being retried) before it is reaped. Default 72 h, as Consul.
	ReconnectTimeout time.Duration

	// TombstoneTimeout is how long a left member is kept, so a late rumour
	// of it cannot resurrect it. Default 24 h, as serf.
	TombstoneTimeout time.Duration

	// LeaveTimeout bounds how long Leave waits for the leave broadcast to
	// go out. Default 5 s. A timeout is logged and shutdown goes on.
	LeaveTimeout time.Duration

	// Keys is the gossip keyring, primary key first (16, 24 or 32 bytes
	// each). Empty: gossip is not encrypted. With keys, every packet is
	// encrypted and unencrypted or wrongly keyed peers are refused, so
	// encrypted and plain agents never silently mix.
	Keys [][]byte

	// KeyringPath is where keyring changes (KeyringOp) are saved, so a
	// restart keeps a rotated keyring. Default "": not saved.
	KeyringPath string

	// SnapshotPath is the file where the agent keeps the peers it knows, so
	// a restart can rejoin them without -join (see Agent.PreviousPeers).
	// Written atomically about once a second when the table changed, and on
	// Leave. Default "": no snapshot (in-memory agent).
	SnapshotPath string

	// Logger receives memberlist's and the agent's log lines. Default: the
	// slog default logger.
	Logger *slog.Logger
}

// DefaultConfig returns a Config with every default filled in except the
// node name and the addresses, which depend on the host.
func DefaultConfig() Config {
	return Config{
		Datacenter:        "dc1",
		Role:              RoleClient,
		BindPort:          8301,
		Profile:           "lan",
		ReconnectInterval: 30 * time.Second,
		ReconnectTimeout:  72 * time.Hour,
		TombstoneTimeout:  24 * time.Hour,
		LeaveTimeout:      5 * time.Second,
	}
}

// ValidateLabel reports whether s is usable as one DNS label in a node or
// datacenter name: 1–63 letters, digits and hyphens, not starting or ending
// with a hyphen (the hostname rule of RFC 952/1123). Dots would split the
// name into several labels and underscores are refused by many resolvers'
// clients, so both are rejected rather than silently unreachable. The
// rule's home is dnsrules.ValidateLabel.
func ValidateLabel(what, s string) error { return dnsrules.ValidateLabel(what, s) }

// validate checks c and fills in derived values.
func (c *Config) validate() error {
	if c.Datacenter == "" {
		c.Datacenter = "dc1"
	}
	name := c.NodeName
	if c.WAN {
		// <node>.<dc> or just <node>; the datacenter part must be ours.
		if node, dc, ok := strings.Cut(name, "."); ok {
			if !strings.EqualFold(dc, c.Datacenter) {
				return fmt.Errorf("WAN node name %q does not end in the datacenter %q", name, c.Datacenter)
			}
			name = node
		}
	}
	if err := ValidateLabel("node name", name); err != nil {
		return err
	}
	if err := ValidateLabel("datacenter", c.Datacenter); err != nil {
		return err
	}
	c.Datacenter = strings.ToLower(c.Datacenter)
	if c.WAN {
		c.NodeName = name + "." + c.Datacenter
		c.Role = RoleServer
	}
	switch c.Role {
	case "":
		c.Role = RoleClient
	case RoleServer, RoleClient:
	default:
		return fmt.Errorf("role %q is neither server nor client", c.Role)
	}
	if !c.BindAddr.IsValid() {
		return errors.New("no gossip bind address")
	}
	if c.BindAddr.IsUnspecified() && !c.AdvertiseAddr.IsValid() {
		return fmt.Errorf("gossip bind address %s is a wildcard and no advertise address is set: set -advertise to the address other nodes (and DNS answers) should use", c.BindAddr)
	}
	if c.AdvertiseAddr.IsValid() && c.AdvertiseAddr.IsUnspecified() {
		return fmt.Errorf("advertise address %s is a wildcard: give the one address peers should use", c.AdvertiseAddr)
	}
	if c.BindPort < 0 || c.BindPort > 65535 || c.AdvertisePort < 0 || c.AdvertisePort > 65535 {
		return fmt.Errorf("gossip port out of range: bind %d, advertise %d", c.BindPort, c.AdvertisePort)
	}
	if err := c.Tuning.validate(); err != nil {
		return err
	}
	switch c.Profile {
	case "", "lan", "wan", "local":
	default:
		return fmt.Errorf("gossip profile %q is not lan, wan or local", c.Profile)
	}
	if len(c.Maintenance) > MaxMaintenanceReason {
		return fmt.Errorf("maintenance reason is %d bytes; the limit is %d", len(c.Maintenance), MaxMaintenanceReason)
	}
	for _, ap := range []netip.AddrPort{c.DNSAddr, c.HTTPAddr} {
		if ap.IsValid() && (ap.Addr().IsUnspecified() || ap.Port() == 0) {
			return fmt.Errorf("address %s given to other agents is a wildcard or has port 0: give one reachable address and port", ap)
		}
	}
	if c.WANAddr.IsValid() && c.WANAddr.IsUnspecified() {
		return fmt.Errorf("WAN address %s is a wildcard: give the one address other datacenters should use", c.WANAddr)
	}
	for i, k := range c.Keys {
		if len(k) != 16 && len(k) != 24 && len(k) != 32 {
			return fmt.Errorf("gossip key %d is %d bytes; it must be 16, 24 or 32 bytes", i+1, len(k))
		}
	}
	if c.BootstrapExpect < 0 {
		return fmt.Errorf("bootstrap-expect %d is negative", c.BootstrapExpect)
	}
	for k := range c.Meta {
		if k == "" {
			return errors.New("node metadata key is empty")
		}
	}
	d := DefaultConfig()
	if c.ReconnectInterval <= 0 {
		c.ReconnectInterval = d.ReconnectInterval
	}
	if c.ReconnectTimeout <= 0 {
		c.ReconnectTimeout = d.ReconnectTimeout
	}
	if c.TombstoneTimeout <= 0 {
		c.TombstoneTimeout = d.TombstoneTimeout
	}
	if c.LeaveTimeout <= 0 {
		c.LeaveTimeout = d.LeaveTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}
