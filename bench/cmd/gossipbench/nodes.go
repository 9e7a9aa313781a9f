package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/discod/discod/bench/internal/swim"
	"github.com/discod/discod/membership"
	"github.com/hashicorp/memberlist"
)

// view is what one member believes about another.
type view uint8

const (
	vUnknown view = iota
	vAlive
	vFailed
	vLeft
	vGone // raw memberlist: left or failed, which its events do not tell apart
)

// node is one gossip member in the harness.
type node interface {
	Name() string
	// JoinAddr is the address:port peers join through.
	JoinAddr() string
	Join(addr string) error
	// Leave leaves gracefully (blocking until the broadcast went out).
	Leave() error
	Shutdown() error
	// View returns what this node believes about the member called name.
	View(name string) view
}

// profile is a gossip timing profile the harness can run.
type profile struct {
	Name string
	// Raw profiles run memberlist directly with Tune applied, because
	// membership.Config only offers lan, wan and local.
	Raw  bool
	Tune func(*memberlist.Config)
	// Tuning is applied to membership.Config for profiles that run
	// membership.Agent (Consul's gossip_lan block).
	Tuning membership.Tuning
	// Agent is membership.Config.Profile for agent profiles; Name if "".
	Agent string
	// Sim is the same settings for the simulator.
	Sim swim.Config
}

// simFrom copies memberlist's settings into a simulator config.
func simFrom(c *memberlist.Config) swim.Config {
	s := swim.LAN()
	s.GossipInterval, s.GossipNodes, s.RetransmitMult = c.GossipInterval, c.GossipNodes, c.RetransmitMult
	s.ProbeInterval, s.ProbeTimeout = c.ProbeInterval, c.ProbeTimeout
	s.SuspicionMult, s.SuspicionMaxTimeoutMult = c.SuspicionMult, c.SuspicionMaxTimeoutMult
	s.PushPullInterval = c.PushPullInterval
	return s
}

// tunedLAN is the first proposal for a tuned LAN profile (see
// docs/PERFORMANCE.md): probe twice as often with a shorter ack timeout,
// and let an unconfirmed suspicion run at most 4 (not 6) times its
// minimum, so a failure reaches 1,000 members in under 10 s. Gossip
// itself is unchanged: a join already reaches 10,000 members in under
// 2 s with the LAN profile. The suspicion change made no measurable
// difference; agentTuning, without it, is the proposal.
func tunedLAN(c *memberlist.Config) {
	c.ProbeInterval = 500 * time.Millisecond
	c.ProbeTimeout = 300 * time.Millisecond
	c.SuspicionMaxTimeoutMult = 4
}

// agentTuning is the part of tunedLAN that membership.Tuning (Consul's
// gossip_lan block) can express today: everything but
// SuspicionMaxTimeoutMult.
var agentTuning = membership.Tuning{ProbeInterval: 500 * time.Millisecond, ProbeTimeout: 300 * time.Millisecond}

func profiles() map[string]profile {
	lan := memberlist.DefaultLANConfig()
	local := memberlist.DefaultLocalConfig()
	tuned := memberlist.DefaultLANConfig()
	tunedLAN(tuned)
	tunedSim := simFrom(tuned)
	tunedSim.LeaveIntent = false // run as plain memberlist here
	rawSim := simFrom(lan)
	rawSim.LeaveIntent = false
	tunedAgent := memberlist.DefaultLANConfig()
	tunedAgent.ProbeInterval, tunedAgent.ProbeTimeout = agentTuning.ProbeInterval, agentTuning.ProbeTimeout
	return map[string]profile{
		"lan":   {Name: "lan", Sim: simFrom(lan)},
		"local": {Name: "local", Sim: simFrom(local)},
		// lanraw is plain memberlist with its default LAN settings, run
		// the way tuned is: the like-for-like baseline of tuned.
		"lanraw": {Name: "lanraw", Raw: true, Tune: func(*memberlist.Config) {}, Sim: rawSim},
		"tuned":  {Name: "tuned", Raw: true, Tune: tunedLAN, Sim: tunedSim},
		// tunedagent is membership.Agent with the tuning its Config can
		// express (gossip_lan { probe_interval = "500ms" probe_timeout =
		// "300ms" }): tuned without the shorter maximum suspicion.
		"tunedagent": {Name: "tunedagent", Agent: "lan", Tuning: agentTuning, Sim: simFrom(tunedAgent)},
	}
}

// counters counts memberlist's suspicion and failure log lines, by the
// node they name.
type counters struct {
	mu       sync.Mutex
	suspects map[string]int // "Suspect X has failed, no acks received"
	failures map[string]int // "Marking X as failed, suspect timeout reached"
	lines    atomic.Int64
	// queueFull counts memberlist's "handler queue full, dropping
	// message": packets dropped before the delegate saw them.
	queueFull atomic.Int64
}

func newCounters() *counters {
	return &counters{suspects: map[string]int{}, failures: map[string]int{}}
}

// note reads one memberlist log message.
func (c *counters) note(msg string) {
	c.lines.Add(1)
	if strings.Contains(msg, "handler queue full") {
		c.queueFull.Add(1)
	}
	if name, ok := between(msg, "Suspect ", " has failed"); ok {
		c.mu.Lock()
		c.suspects[name]++
		c.mu.Unlock()
	}
	if name, ok := between(msg, "Marking ", " as failed"); ok {
		c.mu.Lock()
		c.failures[name]++
		c.mu.Unlock()
	}
}

// falseCounts returns suspicions and failures of nodes not in killed.
func (c *counters) falseCounts(killed map[string]bool) (suspects, failures int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for n, k := range c.suspects {
		if !killed[n] {
			suspects += k
		}
	}
	for n, k := range c.failures {
		if !killed[n] {
			failures += k
		}
	}
	return suspects, failures
}

func between(s, pre, post string) (string, bool) {
	i := strings.Index(s, pre)
	if i < 0 {
		return "", false
	}
	rest := s[i+len(pre):]
	j := strings.Index(rest, post)
	if j < 0 {
		return "", false
	}
	return rest[:j], true
}

// slogCounter is a slog handler feeding counters and dropping the rest.
type slogCounter struct{ c *counters }

func (h slogCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h slogCounter) Handle(_ context.Context, r slog.Record) error {
	h.c.note(r.Message)
	return nil
}
func (h slogCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h slogCounter) WithGroup(string) slog.Handler      { return h }

// logCounter is an io.Writer for memberlist's *log.Logger.
type logCounter struct{ c *counters }

func (w logCounter) Write(p []byte) (int, error) {
	for _, l := range bytes.Split(p, []byte("\n")) {
		if len(l) > 0 {
			w.c.note(string(l))
		}
	}
	return len(p), nil
}

// memberNode is a real membership.Agent.
type memberNode struct{ a *membership.Agent }

func newMemberNode(name string, addr netip.Addr, p profile, c *counters) (node, error) {
	mc := membership.DefaultConfig()
	mc.NodeName = name
	mc.BindAddr = addr
	mc.BindPort = 0
	mc.Profile = p.Name
	if p.Agent != "" {
		mc.Profile = p.Agent
	}
	mc.Tuning = p.Tuning
	mc.LeaveTimeout = 10 * time.Second
	mc.Logger = slog.New(slogCounter{c})
	a, err := membership.New(mc)
	if err != nil {
		return nil, fmt.Errorf("agent %s: %w", name, err)
	}
	return &memberNode{a: a}, nil
}

func (n *memberNode) Name() string { return n.a.Config().NodeName }
func (n *memberNode) JoinAddr() string {
	l := n.a.Local()
	return netip.AddrPortFrom(l.Addr, l.Port).String()
}
func (n *memberNode) Join(addr string) error {
	_, err := n.a.Join([]string{addr})
	return err
}
func (n *memberNode) Leave() error    { return n.a.Leave() }
func (n *memberNode) Shutdown() error { return n.a.Shutdown() }
func (n *memberNode) View(name string) view {
	m, ok := n.a.Table().Lookup(name)
	if !ok {
		return vUnknown
	}
	switch m.State {
	case membership.StateAlive, membership.StateLeaving:
		return vAlive
	case membership.StateFailed:
		return vFailed
	case membership.StateLeft:
		return vLeft
	}
	return vUnknown
}

// rawNode is memberlist run directly, for profiles membership cannot
// express yet.
type rawNode struct {
	ml   *memberlist.Memberlist
	name string
	mu   sync.Mutex
	seen map[string]view
}

func newRawNode(name string, addr netip.Addr, p profile, c *counters) (node, error) {
	n := &rawNode{name: name, seen: map[string]view{}}
	mc := memberlist.DefaultLANConfig()
	p.Tune(mc)
	mc.Name = name
	mc.BindAddr = addr.String()
	mc.BindPort = 0
	mc.AdvertisePort = 0
	mc.Events = n
	mc.Logger = log.New(logCounter{c}, "", 0)
	ml, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("memberlist %s: %w", name, err)
	}
	n.ml = ml
	return n, nil
}

func (n *rawNode) NotifyJoin(m *memberlist.Node)   { n.set(m.Name, vAlive) }
func (n *rawNode) NotifyUpdate(m *memberlist.Node) { n.set(m.Name, vAlive) }
func (n *rawNode) NotifyLeave(m *memberlist.Node)  { n.set(m.Name, vGone) }
func (n *rawNode) set(name string, v view) {
	n.mu.Lock()
	n.seen[name] = v
	n.mu.Unlock()
}

func (n *rawNode) Name() string { return n.name }
func (n *rawNode) JoinAddr() string {
	l := n.ml.LocalNode()
	return l.Address()
}
func (n *rawNode) Join(addr string) error {
	_, err := n.ml.Join([]string{addr})
	return err
}
func (n *rawNode) Leave() error    { return n.ml.Leave(10 * time.Second) }
func (n *rawNode) Shutdown() error { return n.ml.Shutdown() }
func (n *rawNode) View(name string) view {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.seen[name]
}

// nodeAddr is the loopback address of harness member i (1-based):
// 127.0.10.1 upwards, inside the 127.0.9.0–127.0.12.255 range this kit
// owns.
func nodeAddr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{127, 0, byte(10 + i/256), byte(i % 256)})
}

func nodeName(i int) string { return "g" + strconv.Itoa(i) }

var _ io.Writer = logCounter{}
