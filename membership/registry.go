package membership

import (
	"fmt"
	"net/netip"
	"sync"
)

// The process-wide agent registry. It is the one piece of global mutable
// state in discod, and it exists because of two facts of CoreDNS:
//
//   - In discod, the daemon owns gossip. It creates its agent before CoreDNS
//     starts and publishes it with SetProcessAgent; the consulnode plugin
//     then answers from it (ProcessAgent) and never binds sockets itself.
//   - In a stock CoreDNS build there is no daemon: the consulnode block
//     carries the gossip settings and the plugin creates the agent. A
//     Corefile reload starts the new plugin instance before it stops the old
//     one, so agents are shared and reference-counted by bind address
//     (Acquire/Release) and gossip is never re-bound by a reload.
var registry struct {
	mu      sync.Mutex // guards process and shared
	process *Agent
	shared  map[netip.AddrPort]*sharedAgent
}

type sharedAgent struct {
	agent *Agent
	refs  int
}

// SetProcessAgent publishes the daemon's agent (nil withdraws it).
func SetProcessAgent(a *Agent) {
	registry.mu.Lock()
	registry.process = a
	registry.mu.Unlock()
}

// ProcessAgent returns the daemon's agent, or nil in a stock CoreDNS.
func ProcessAgent() *Agent {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return registry.process
}

// Acquire returns the agent bound to cfg's bind address, creating it on
// first use, and counts a reference. Later callers get the running agent
// even if their other settings differ: changing gossip settings needs a
// restart, and changed reports whether that is the case.
func Acquire(cfg Config) (a *Agent, changed bool, err error) {
	key := netip.AddrPortFrom(cfg.BindAddr, uint16(cfg.BindPort))
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.shared == nil {
		registry.shared = map[netip.AddrPort]*sharedAgent{}
	}
	if s, ok := registry.shared[key]; ok {
		s.refs++
		old := s.agent.cfg
		changed = old.NodeName != cfg.NodeName || (cfg.Datacenter != "" && old.Datacenter != cfg.Datacenter) ||
			old.AdvertiseAddr != cfg.AdvertiseAddr
		return s.agent, changed, nil
	}
	a, err = New(cfg)
	if err != nil {
		return nil, false, err
	}
	registry.shared[key] = &sharedAgent{agent: a, refs: 1}
	return a, false, nil
}

// Release drops a reference taken by Acquire. The last one leaves the
// cluster gracefully and shuts the agent down.
func Release(a *Agent) error {
	registry.mu.Lock()
	var last bool
	for key, s := range registry.shared {
		if s.agent == a {
			s.refs--
			if s.refs <= 0 {
				delete(registry.shared, key)
				last = true
			}
			break
		}
	}
	registry.mu.Unlock()
	if !last {
		return nil
	}
	leaveErr := a.Leave()
	if err := a.Shutdown(); err != nil {
		return fmt.Errorf("shut down gossip: %w", err)
	}
	return leaveErr
}
