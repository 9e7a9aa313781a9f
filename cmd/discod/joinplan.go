package main

import (
	"fmt"
	"time"

	"github.com/discod/discod/membership"
)

// joinPlan is how one gossip pool finds its peers at start: the LAN pool
// and a server's WAN pool use the same plan with their own flags.
type joinPlan struct {
	pool      string // "" for the LAN pool, "WAN " for the WAN pool, in messages
	startWhat string // what the start join is called in its error
	startFlag string // -join or -join-wan
	retryFlag string // retry-join or retry-join-wan
	agent     *membership.Agent
	start     []string // joined once now; none answering is an error
	retry     []string // joined in the background until one answers
}

// run joins the start addresses (an error when none answers), starts the
// retry addresses in the background, and rejoins, in the background, the
// peers the snapshot in the data dir remembers. After a graceful leave it
// rejoins only with -rejoin, as Consul.
func (d *daemon) run(p joinPlan) error {
	if len(p.start) > 0 {
		n, err := p.agent.Join(p.start)
		if n == 0 {
			return fmt.Errorf("%s (%s): %w", p.startWhat, p.startFlag, err)
		}
		if err != nil {
			d.log.Warn("some "+p.startFlag+" addresses could not be reached", "error", err)
		}
	}
	if len(p.retry) > 0 {
		go d.retryJoin(p.retryFlag, p.agent, p.retry)
	}
	peers, left := p.agent.PreviousPeers()
	if len(peers) == 0 {
		return nil
	}
	if left && !d.runtime().Rejoin {
		d.log.Info("this node left the "+p.pool+"pool gracefully before it stopped; not rejoining its previous peers (use -rejoin to do so)", "peers", len(peers))
		return nil
	}
	go func() {
		n, err := p.agent.Join(peers)
		switch {
		case n > 0:
			d.log.Info("rejoined previous "+p.pool+"peers from the snapshot", "contacted", n, "of", len(peers))
		case err != nil:
			d.log.Warn("could not rejoin any previous "+p.pool+"peer from the snapshot", "error", err)
		}
	}()
	return nil
}

// retryJoin keeps trying addrs with agent until one answers, logging every
// attempt (flag names the flag); after -retry-max failed attempts it stops
// the agent. It ends when the daemon shuts down.
func (d *daemon) retryJoin(flag string, agent *membership.Agent, addrs []string) {
	rt := d.runtime()
	for attempt := 1; ; attempt++ {
		n, err := agent.Join(addrs)
		if n > 0 {
			d.log.Info(flag+" succeeded", "attempt", attempt, "contacted", n)
			if err != nil {
				d.log.Warn(flag+": some addresses could not be reached", "error", err)
			}
			return
		}
		d.log.Warn(flag+" attempt failed", "attempt", attempt, "error", err)
		if rt.RetryMax > 0 && attempt >= rt.RetryMax {
			d.fatal <- fmt.Errorf("%s: no address could be reached in %d attempts (-retry-max): %w", flag, attempt, err)
			return
		}
		select {
		case <-time.After(rt.RetryInterval):
		case <-d.ctx.Done():
			return
		}
	}
}
