package membership

import (
	"errors"
	"fmt"
	"sync"
)

// The agent registry: the one place where a gossip agent is handed to the
// consulnode plugin, the same way inside discod and in a stock CoreDNS. It
// is process-wide because CoreDNS plugins are set up from a Corefile and
// nothing else, and it holds agents by name:
//
//   - The discod daemon creates its agent before CoreDNS starts and
//     publishes it with Register under DefaultAgent; consulnode blocks
//     without gossip options answer from it, and the daemon withdraws it
//     with Unregister when it stops.
//   - In a stock CoreDNS the consulnode block carries the gossip settings
//     and the plugin creates the agent with Acquire, under a name of its
//     own (its bind address). A Corefile reload starts the new plugin
//     instance before it stops the old one, so acquired agents are
//     reference-counted (Acquire/Release) and gossip is never re-bound by
//     a reload.
//
// The plugin reads the registry only when CoreDNS starts it (OnStartup),
// never while it parses the Corefile.

// DefaultAgent is the name a consulnode block without gossip options
// looks its agent up by, and the one discod registers its agent under.
const DefaultAgent = "default"

// ErrNameTaken is returned by Register and Acquire for a name that holds
// an agent the caller may not take: a registered agent for Acquire, any
// agent for Register.
var ErrNameTaken = errors.New("agent name taken")

var registry struct {
	mu     sync.Mutex // guards agents
	agents map[string]*registered
}

// registered is one name of the registry.
type registered struct {
	agent *Agent
	owned bool // Register: the caller owns it; Acquire: the registry does
	refs  int  // Acquire references; the last Release shuts the agent down
}

// Register publishes a, which the caller owns and shuts down, under name.
// It fails (ErrNameTaken) if name already holds an agent.
func Register(name string, a *Agent) error {
	if a == nil {
		return fmt.Errorf("register agent %q: no agent", name)
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.agents == nil {
		registry.agents = map[string]*registered{}
	}
	if _, ok := registry.agents[name]; ok {
		return fmt.Errorf("register agent %q: %w", name, ErrNameTaken)
	}
	registry.agents[name] = &registered{agent: a, owned: true}
	return nil
}

// Unregister withdraws a registered agent. It does nothing if name holds
// another agent or an acquired one: those are not the caller's.
func Unregister(name string, a *Agent) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if r, ok := registry.agents[name]; ok && r.owned && r.agent == a {
		delete(registry.agents, name)
	}
}

// Registered returns the agent an owner registered under name, or nil if
// there is none (no agent, or one created by Acquire).
func Registered(name string) *Agent {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if r, ok := registry.agents[name]; ok && r.owned {
		return r.agent
	}
	return nil
}

// Acquisition says how Acquire came by the agent it returned.
type Acquisition int

const (
	// Created: Acquire created the agent from the config given.
	Created Acquisition = iota
	// Shared: the agent was running, with the settings given.
	Shared
	// SharedChanged: the agent was running with other settings; only a
	// restart applies the new ones.
	SharedChanged
)

// Acquire returns the agent under name, creating it from cfg on first use,
// and counts a reference. Later callers get the running agent even if
// their settings differ (SharedChanged): changing gossip settings needs a
// restart. A name that holds a registered agent is refused
// (ErrNameTaken): its owner runs it.
func Acquire(name string, cfg Config) (*Agent, Acquisition, error) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.agents == nil {
		registry.agents = map[string]*registered{}
	}
	if r, ok := registry.agents[name]; ok {
		if r.owned {
			return nil, 0, fmt.Errorf("acquire agent %q: %w by an agent its owner runs", name, ErrNameTaken)
		}
		r.refs++
		if configChanged(r.agent.cfg, cfg) {
			return r.agent, SharedChanged, nil
		}
		return r.agent, Shared, nil
	}
	a, err := New(cfg)
	if err != nil {
		return nil, 0, err
	}
	registry.agents[name] = &registered{agent: a, refs: 1}
	return a, Created, nil
}

// configChanged reports whether want differs from the running agent's
// config old in a setting a restart would apply. The bind address is the
// plugin's name for the agent, so it is the same by construction.
func configChanged(old, want Config) bool {
	return old.NodeName != want.NodeName || (want.Datacenter != "" && old.Datacenter != want.Datacenter) ||
		old.AdvertiseAddr != want.AdvertiseAddr || old.AdvertisePort != want.AdvertisePort ||
		old.Role != want.Role || old.BootstrapExpect != want.BootstrapExpect ||
		old.Tuning != want.Tuning || old.SnapshotPath != want.SnapshotPath ||
		old.KeyringPath != want.KeyringPath || (old.Keys == nil) != (want.Keys == nil)
}

// Release drops a reference taken by Acquire. The last one removes the
// agent from the registry, leaves the cluster gracefully and shuts the
// agent down. Releasing an agent the registry did not create is an error.
func Release(a *Agent) error {
	registry.mu.Lock()
	var found, last bool
	for name, r := range registry.agents {
		if r.agent != a || r.owned {
			continue
		}
		found = true
		r.refs--
		if r.refs <= 0 {
			delete(registry.agents, name)
			last = true
		}
		break
	}
	registry.mu.Unlock()
	if !found {
		return errors.New("release agent: it was not acquired")
	}
	if !last {
		return nil
	}
	leaveErr := a.Leave()
	if err := a.Shutdown(); err != nil {
		return fmt.Errorf("shut down gossip: %w", err)
	}
	return leaveErr
}
