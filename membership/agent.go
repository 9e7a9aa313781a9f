package membership

import (
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// Agent is one member of a gossip pool and the keeper of its member table.
type Agent struct {
	cfg      Config
	ml       *memberlist.Memberlist
	table    *Table
	log      *slog.Logger
	local    Member
	dlg      *delegate                        // serves meta to memberlist
	counters eventCounters                    // membership events, fed by the table's change hook
	timing   Tuning                           // the gossip timing in effect (tuning.go)
	queue    *memberlist.TransmitLimitedQueue // our outgoing user messages
	rec      *spreader                        // services and checks spreading (records.go)
	intents  intents                          // recent leave intents (leaving.go)

	// metaMu guards meta, what we gossip about ourselves, and the encoded
	// copy stored in dlg, so that one metadata update (the known
	// datacenters, maintenance) never undoes another (the leaving flag).
	// Writers go through setMeta (meta.go).
	metaMu sync.Mutex
	meta   nodeMeta

	// wan is the WAN pool agent of a server (SetWAN), nil otherwise.
	wan atomic.Pointer[Agent]

	// lifeMu serialises Leave and Shutdown and guards shut (memberlist
	// panics on Leave after Shutdown). left is set under lifeMu but read
	// without it, so the snapshot writer never waits for a Leave in progress.
	lifeMu sync.Mutex
	left   atomic.Bool
	shut   bool

	// conflictMu guards conflictAddr and conflictAt: the last time another
	// live node was found holding our name, and its address.
	conflictMu   sync.Mutex
	conflictAddr string
	conflictAt   time.Time

	// claims are other nodes' claims on names held by live members
	// (reclaim.go).
	claims claims

	// keyring is memberlist's keyring (nil without encryption); kr tracks
	// keyring fan-outs in flight.
	keyring *memberlist.Keyring
	kr      keyringState

	// previous is the snapshot read at start.
	previous snapshot
	// snapMu serialises snapshot writes and guards snapGen (the table
	// generation last written) and snapFailing (a write error was logged).
	snapMu      sync.Mutex
	snapGen     uint64
	snapFailing bool

	stop chan struct{}
	wg   sync.WaitGroup
}

// ErrNameConflict is wrapped by Join's error when the cluster already has a
// live node of this agent's name at another address.
var ErrNameConflict = errors.New("node name already in use")

func (a *Agent) noteConflict(otherAddr string) {
	a.conflictMu.Lock()
	a.conflictAddr, a.conflictAt = otherAddr, time.Now()
	a.conflictMu.Unlock()
}

// conflictSince returns the address of a node found holding our name since
// t, or "".
func (a *Agent) conflictSince(t time.Time) string {
	a.conflictMu.Lock()
	defer a.conflictMu.Unlock()
	if a.conflictAt.Before(t) {
		return ""
	}
	return a.conflictAddr
}

// ErrShutdown is returned by operations on an agent that has shut down.
var ErrShutdown = errors.New("gossip agent is shut down")

// New validates cfg, binds the gossip sockets and starts gossiping. The
// agent is alone until Join.
func New(cfg Config) (*Agent, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.NodeID == "" {
		cfg.NodeID = NewNodeID()
	}
	meta := nodeMeta{ID: cfg.NodeID, Datacenter: cfg.Datacenter, Role: cfg.Role, Build: cfg.Build, Meta: cfg.Meta,
		DNSAddr: cfg.DNSAddr, HTTPAddr: cfg.HTTPAddr, WANAddr: cfg.WANAddr, Run: newRunID(),
		Maintenance: cfg.Maintenance}
	encoded, err := meta.encode()
	if err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, table: NewTable(), log: cfg.Logger, stop: make(chan struct{}), meta: meta, dlg: &delegate{}}
	a.dlg.meta.Store(&encoded)
	a.table.SetOnChange(func(name string, from, to State) {
		a.counters.change(name, from, to)
		if to == StateFailed {
			a.reclaim(name) // reclaim.go
		}
	})
	a.dlg.handle = a.handleMsg
	a.dlg.local, a.dlg.merge, a.rec = a.pushPullState, a.mergePushPull, newSpreader(a) // records_sync.go
	a.queue = &memberlist.TransmitLimitedQueue{
		// The table, not memberlist, counts nodes: memberlist must not be
		// called back from its own gossip path.
		NumNodes:       func() int { return max(a.table.Count(StateAlive, "", ""), 1) },
		RetransmitMult: 4,
	}
	a.dlg.queue = a.queue

	var mc *memberlist.Config
	switch cfg.Profile {
	case "wan":
		mc = memberlist.DefaultWANConfig()
	case "local":
		mc = memberlist.DefaultLocalConfig()
	default:
		mc = memberlist.DefaultLANConfig()
	}
	cfg.Tuning.apply(mc) // tuning.go
	a.timing = tuningOf(mc)
	if cfg.Tuning != (Tuning{}) {
		a.log.Info("gossip timing tuned", "profile", cfg.Profile, "gossip_nodes", a.timing.GossipNodes,
			"gossip_interval", a.timing.GossipInterval.String(), "probe_interval", a.timing.ProbeInterval.String(),
			"probe_timeout", a.timing.ProbeTimeout.String(), "suspicion_mult", a.timing.SuspicionMult,
			"retransmit_mult", a.timing.RetransmitMult)
	}
	mc.Name = cfg.NodeName
	if cfg.WAN {
		mc.Label = wanLabel
	}
	mc.Logger = newMemberlistLogger(a.log)
	transport, port, err := newTransport(cfg.BindAddr, cfg.BindPort, mc.Logger)
	if err != nil {
		return nil, fmt.Errorf("start gossip on %s: %w", net.JoinHostPort(cfg.BindAddr.String(), strconv.Itoa(cfg.BindPort)), err)
	}
	mc.Transport = transport
	mc.BindAddr = cfg.BindAddr.String()
	mc.BindPort = port
	if cfg.AdvertiseAddr.IsValid() {
		mc.AdvertiseAddr = cfg.AdvertiseAddr.String()
		mc.AdvertisePort = cfg.AdvertisePort
		if mc.AdvertisePort == 0 {
			mc.AdvertisePort = port
		}
	}
	mc.Delegate = a.dlg
	mc.Events = &events{a: a}
	mc.Conflict = &conflicts{a: a}
	// A node that comes back under its name from a new address may take the
	// name over as soon as the old one is failed (left names are always
	// free). A live holder of the name is never displaced.
	mc.DeadNodeReclaimTime = time.Nanosecond
	if len(cfg.Keys) > 0 {
		kr, err := memberlist.NewKeyring(cfg.Keys, cfg.Keys[0])
		if err != nil {
			_ = transport.Shutdown()
			return nil, fmt.Errorf("gossip keyring: %w", err)
		}
		a.keyring, mc.Keyring = kr, kr
		mc.GossipVerifyIncoming, mc.GossipVerifyOutgoing = true, true
	}
	mc.DelegateProtocolVersion = metaVersion
	mc.DelegateProtocolMin = metaVersion
	mc.DelegateProtocolMax = metaVersion

	a.loadSnapshot()
	ml, err := memberlist.Create(mc)
	if err != nil {
		_ = transport.Shutdown()
		return nil, fmt.Errorf("start gossip on %s: %w", net.JoinHostPort(mc.BindAddr, strconv.Itoa(cfg.BindPort)), err)
	}
	a.ml = ml
	a.rec.start() // records.go
	// The local node's entry is written by NotifyJoin during Create; read it
	// back so Local reflects the final advertised address and port.
	if m, ok := a.table.LookupFold(cfg.NodeName); ok {
		a.local = m
	}
	a.wg.Add(2)
	go a.maintain()
	go a.snapshots()
	return a, nil
}

// NewNodeID returns a random UUID (version 4) in canonical form.
func NewNodeID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Table returns the agent's member table.
func (a *Agent) Table() *Table { return a.table }

// Config returns the validated configuration the agent runs with.
func (a *Agent) Config() Config { return a.cfg }

// Local returns this node's own entry as peers see it.
func (a *Agent) Local() Member {
	if m, ok := a.table.LookupFold(a.cfg.NodeName); ok {
		return m
	}
	return a.local
}

// Join contacts each address (host or host:port, default port the gossip
// bind port) and merges state with it. It returns how many were reached
// and, for those that were not, one error per address naming it and the
// reason. Joining is partial by nature: an error with n > 0 means some
// addresses failed while the agent did join.
func (a *Agent) Join(addrs []string) (int, error) {
	if a.isShut() {
		return 0, ErrShutdown
	}
	n := 0
	var errs []error
	start := time.Now()
	for _, addr := range addrs {
		k, err := a.ml.Join([]string{addr})
		n += k
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w%s", addr, unwrapJoinError(err), keyHint(err.Error())))
		}
	}
	if other := a.conflictSince(start); other != "" {
		local := a.Local()
		return 0, fmt.Errorf("%w: a live node named %q is at %s; this node (%s) was refused: choose another -node name or stop the other node",
			ErrNameConflict, a.cfg.NodeName, other, netip.AddrPortFrom(local.Addr, local.Port))
	}
	if n > 0 {
		a.log.Info("joined cluster", "contacted", n)
	}
	return n, errors.Join(errs...)
}

// unwrapJoinError strips memberlist's multierror wrapping ("1 error
// occurred: * failed to join …") down to the single reason.
func unwrapJoinError(err error) error {
	type wrapped interface{ WrappedErrors() []error }
	if w, ok := err.(wrapped); ok && len(w.WrappedErrors()) == 1 {
		return w.WrappedErrors()[0]
	}
	return err
}

// Leave broadcasts a graceful leave and waits, up to Config.LeaveTimeout,
// for it to go out. Peers then record this node as left, not failed. A
// timeout is logged and reported but leaves the agent ready to Shutdown.
func (a *Agent) Leave() error {
	a.lifeMu.Lock()
	defer a.lifeMu.Unlock()
	if a.shut {
		return ErrShutdown
	}
	if a.left.Load() {
		return nil
	}
	a.left.Store(true)
	// First say that we are leaving (leaving.go), so that peers record the
	// leave message that follows as a leave, not a failure.
	a.announceLeaving()
	// Previous release: it reads the leaving flag in the metadata, gossiped
	// and waited for before the leave message. Remove next release (the
	// wait also gives the gossiped intent time to spread).
	if ok, _ := a.setMeta(func(m *nodeMeta) bool { m.Leaving = true; return true }); ok {
		if err := a.ml.UpdateNode(a.cfg.LeaveTimeout); err != nil {
			a.log.Warn("leave intent did not finish spreading; some peers may record a failure", "error", err)
		}
	}
	err := a.ml.Leave(a.cfg.LeaveTimeout)
	if serr := a.writeSnapshot(true); serr != nil {
		a.log.Error("cannot record the leave in the snapshot; a restart may rejoin", "error", serr)
	}
	if err != nil {
		a.log.Warn("leave broadcast did not finish; peers may see this node as failed", "error", err)
		return fmt.Errorf("leave: %w", err)
	}
	a.log.Info("left the cluster gracefully")
	return nil
}

// Left reports whether Leave was called.
func (a *Agent) Left() bool { return a.left.Load() }

// Shutdown stops gossip and closes the sockets. It is idempotent. Without a
// Leave first, peers detect a failure.
func (a *Agent) Shutdown() error {
	a.lifeMu.Lock()
	if a.shut {
		a.lifeMu.Unlock()
		return nil
	}
	a.shut = true
	a.lifeMu.Unlock()
	close(a.stop)
	err := a.ml.Shutdown()
	a.wg.Wait()
	return err
}

func (a *Agent) isShut() bool {
	a.lifeMu.Lock()
	defer a.lifeMu.Unlock()
	return a.shut
}

// Ready reports whether the agent can answer for its datacenter: it runs
// and, when Config.BootstrapExpect > 0, at least that many servers of its
// datacenter are alive. It only reads the table, so it is cheap enough to
// poll continuously (CoreDNS's ready plugin, the HTTP API).
func (a *Agent) Ready() bool {
	if a.isShut() {
		return false
	}
	if a.cfg.BootstrapExpect <= 0 {
		return true
	}
	return a.AliveServers() >= a.cfg.BootstrapExpect
}

// AliveServers returns how many servers of the agent's datacenter are alive.
func (a *Agent) AliveServers() int {
	return a.table.Count(StateAlive, a.cfg.Datacenter, RoleServer)
}

// maintain retries failed members and reaps old failed and left ones.
func (a *Agent) maintain() {
	defer a.wg.Done()
	reconnect := time.NewTicker(a.cfg.ReconnectInterval)
	defer reconnect.Stop()
	reapEvery := min(a.cfg.ReconnectTimeout, a.cfg.TombstoneTimeout, time.Minute) / 2
	reap := time.NewTicker(max(reapEvery, 10*time.Millisecond))
	defer reap.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-reconnect.C:
			a.reconnectOne()
		case now := <-reap.C:
			for _, m := range a.table.ReapNodes(now, a.cfg.ReconnectTimeout, a.cfg.TombstoneTimeout) {
				a.log.Info("reaped member", "node", m.Name, "state", m.State.String())
			}
		}
	}
}

// snapshotInterval is the least time between two snapshot writes.
const snapshotInterval = time.Second

// snapshots writes the snapshot after changes of the member table, at most
// once per snapshotInterval, and a last time when the agent stops.
func (a *Agent) snapshots() {
	defer a.wg.Done()
	if a.cfg.SnapshotPath == "" {
		return
	}
	followNodes(a.table, snapshotInterval, a.stop, func() { a.snapshotIfChanged(false) })
	a.snapshotIfChanged(true)
}

// reconnectOne tries to reach one failed member, chosen at random, as
// serf's reconnector does. Success merges state and ends a partition.
func (a *Agent) reconnectOne() {
	var failed []Member
	for _, m := range a.table.Members() {
		if m.State == StateFailed && m.Addr.IsValid() {
			failed = append(failed, m)
		}
	}
	if len(failed) == 0 || a.Left() || a.isShut() {
		return
	}
	m := failed[rand.IntN(len(failed))]
	addr := netip.AddrPortFrom(m.Addr, m.Port).String()
	if _, err := a.ml.Join([]string{addr}); err != nil {
		a.log.Debug("reconnect to failed member did not succeed", "node", m.Name, "addr", addr, "error", unwrapJoinError(err))
		return
	}
	a.log.Info("reconnected to failed member", "node", m.Name, "addr", addr)
}
