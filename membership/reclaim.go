package membership

import (
	"strings"
	"sync"
	"time"
)

// Taking a name back from a failed holder.
//
// A node restarted at once on a new address announces its name while the
// others still hold the old address alive: memberlist keeps the incumbent
// and reports a conflict (events.go). Once the old holder is marked failed
// the name is free (Config's DeadNodeReclaimTime), but nothing makes the
// newcomer announce itself again until its next retry-join, up to
// retry_interval (30 s) later: it believes it joined. So every agent
// remembers who claimed a name held by another live node, and when that
// holder is marked failed it contacts the claimant at once; the push/pull
// exchange carries the claimant's alive state, which now wins, and gossip
// spreads it.

// claimWindow is how long a claim is remembered.
const claimWindow = 2 * time.Minute

// claims are the pending claims on names held by other live nodes.
type claims struct {
	mu sync.Mutex // guards by
	by map[string]claim
}

type claim struct {
	addr string // host:port of the claimant
	at   time.Time
}

// note records that addr claimed name.
func (c *claims) note(name, addr string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by = map[string]claim{}
	}
	for k, cl := range c.by {
		if now.Sub(cl.at) > claimWindow {
			delete(c.by, k)
		}
	}
	c.by[strings.ToLower(name)] = claim{addr: addr, at: now}
}

// take returns and forgets the recent claim on name, if any.
func (c *claims) take(name string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := strings.ToLower(name)
	cl, ok := c.by[key]
	delete(c.by, key)
	if !ok || now.Sub(cl.at) > claimWindow {
		return "", false
	}
	return cl.addr, true
}

// reclaim runs when name is marked failed: a node that claimed the name
// meanwhile is contacted now. It runs on the table's change hook, which
// must not block or take the agent's locks (memberlist may call it while a
// Leave holds lifeMu), so everything but the claim look-up runs on its own
// goroutine.
func (a *Agent) reclaim(name string) {
	addr, ok := a.claims.take(name, time.Now())
	if !ok {
		return
	}
	go func() {
		if a.Left() || a.isShut() {
			return
		}
		if _, err := a.ml.Join([]string{addr}); err != nil {
			a.log.Debug("could not contact the node that claimed a failed member's name", "node", name, "addr", addr, "error", unwrapJoinError(err))
			return
		}
		a.log.Info("contacted the node that claimed a failed member's name", "node", name, "addr", addr)
	}()
}
