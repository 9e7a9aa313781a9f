package consulnode

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/coredns/coredns/plugin"
	"github.com/discod/discod/membership"
)

// errNoTable is returned (with SERVFAIL, left to the server to write) for
// a query that arrives before OnStartup gave the plugin a member table.
var errNoTable = errors.New("no member table: the gossip agent is not started")

// OnStartup gives the plugin its member table. Inside discod that is the
// daemon's agent. In a stock CoreDNS it acquires the agent for its bind
// address (creating it on first use, sharing it across Corefile reloads)
// and joins the `join` addresses in the background. It also starts the
// members gauge refresher.
func (cn *ConsulNode) OnStartup() error {
	cn.lifeMu.Lock()
	defer cn.lifeMu.Unlock()
	agent := cn.gossip.process
	if agent == nil {
		cfg := cn.gossip.config
		a, changed, err := membership.Acquire(cfg)
		if err != nil {
			return plugin.Error(pluginName, fmt.Errorf("start gossip: %w", err))
		}
		if changed {
			log.Warningf("gossip on %s already runs with another node name, datacenter or advertise address; restart CoreDNS to apply the new ones",
				net.JoinHostPort(cfg.BindAddr.String(), strconv.Itoa(cfg.BindPort)))
		}
		cn.acquired = a
		agent = a
		if len(cn.gossip.join) > 0 {
			go join(a, cn.gossip.join)
		}
	}
	dc := strings.ToLower(agent.Config().Datacenter)
	cn.setBackend(agent, dc)
	if cn.refresh == nil {
		cn.refresh = startRefresher(agent.Table(), dc)
	}
	return nil
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

// join contacts the seed addresses once and logs the outcome. A failure
// is not fatal: peers that later join us merge the pools anyway.
func join(a *membership.Agent, addrs []string) {
	n, err := a.Join(addrs)
	switch {
	case errors.Is(err, membership.ErrShutdown):
		return
	case err != nil && n == 0:
		log.Errorf("could not join any of %v: %v", addrs, err)
	case err != nil:
		log.Warningf("joined %d member(s), but some addresses failed: %v", n, err)
	default:
		log.Infof("joined the cluster through %d member(s)", n)
	}
}
