package consulnode

import (
	"errors"
	"fmt"
	"strings"

	"github.com/coredns/coredns/plugin"
	"github.com/discod/discod/membership"
)

// errNoTable is returned (with SERVFAIL, left to the server to write) for
// a query that arrives before OnStartup gave the plugin a member table.
var errNoTable = errors.New("no member table: the gossip agent is not started")

// OnStartup gives the plugin its member table, from the agent registry
// (acquire). It also starts the members gauge refresher and reports the
// agent's event counters.
func (cn *ConsulNode) OnStartup() error {
	cn.lifeMu.Lock()
	defer cn.lifeMu.Unlock()
	agent, err := cn.acquire()
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	if cn.gossip.inUse == nil {
		agentEvents.use(agent)
		cn.gossip.inUse = agent
	}
	dc := strings.ToLower(agent.Config().Datacenter)
	cn.setBackend(agent, dc)
	if cn.refresh == nil {
		cn.refresh = startRefresher(agent.Table(), dc)
	}
	return nil
}

// acquire finds the agent in the registry, the same way in both modes:
//
//   - If an owner registered one under membership.DefaultAgent (discod
//     does, before CoreDNS starts), the plugin answers from it, and the
//     block may carry no gossip option (refuse).
//   - Otherwise the block's `bind` names the agent: the plugin acquires
//     it, creating it from the block's options on first use and sharing it
//     across Corefile reloads, and, when it created it, joins the `join`
//     addresses and rejoins the snapshot's peers in the background.
func (cn *ConsulNode) acquire() (*membership.Agent, error) {
	gs := &cn.gossip
	if owner := membership.Registered(membership.DefaultAgent); owner != nil {
		if err := gs.refuse(owner); err != nil {
			return nil, err
		}
		gs.process = owner
		return owner, nil
	}
	if !gs.stock {
		return nil, gs.end.Err(errNoAgent)
	}
	cfg, err := gs.agentConfig()
	if err != nil {
		return nil, err
	}
	a, how, err := membership.Acquire(gs.registryName(), cfg)
	if err != nil {
		return nil, fmt.Errorf("start gossip: %w", err)
	}
	cn.acquired = a
	switch how {
	case membership.Created:
		go joinAll(a, gs.join, gs.rejoin)
	case membership.SharedChanged:
		log.Warningf("gossip on %s already runs with other settings; restart CoreDNS to apply the new ones", gs.registryName())
	}
	return a, nil
}

// OnShutdown stops the gauge refresher and, in a stock CoreDNS, releases
// the agent: the last release (a real shutdown, not a reload, whose new
// instance holds its own reference) leaves the cluster gracefully and
// closes the gossip sockets. discod's own agent is left to the daemon.
func (cn *ConsulNode) OnShutdown() error {
	cn.lifeMu.Lock()
	defer cn.lifeMu.Unlock()
	if cn.refresh != nil {
		cn.refresh.Stop()
		cn.refresh = nil
	}
	if cn.gossip.inUse != nil {
		agentEvents.drop(cn.gossip.inUse)
		cn.gossip.inUse = nil
	}
	if cn.acquired == nil {
		return nil
	}
	a := cn.acquired
	cn.acquired = nil
	if err := membership.Release(a); err != nil {
		return plugin.Error(pluginName, fmt.Errorf("release gossip agent: %w", err))
	}
	return nil
}

// joinAll contacts the seed addresses once, then the peers the snapshot
// remembers (unless the node left gracefully before it stopped and rejoin
// is off, as discod's -rejoin), and logs the outcome. A failure is not
// fatal: peers that later join us merge the pools anyway.
func joinAll(a *membership.Agent, seeds []string, rejoin bool) {
	if len(seeds) > 0 {
		join(a, seeds, "the cluster")
	}
	peers, left := a.PreviousPeers()
	switch {
	case len(peers) == 0:
	case left && !rejoin:
		log.Infof("this node left the cluster gracefully before it stopped; not rejoining its %d previous peer(s) (set rejoin_after_leave to do so)", len(peers))
	default:
		join(a, peers, "previous peers from the snapshot")
	}
}

// join contacts addrs once and logs the outcome.
func join(a *membership.Agent, addrs []string, what string) {
	n, err := a.Join(addrs)
	switch {
	case errors.Is(err, membership.ErrShutdown):
		return
	case err != nil && n == 0:
		log.Errorf("could not join any of %v (%s): %v", addrs, what, err)
	case err != nil:
		log.Warningf("joined %d member(s) of %s, but some addresses failed: %v", n, what, err)
	default:
		log.Infof("joined %s through %d member(s)", what, n)
	}
}
