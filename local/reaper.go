package local

import (
	"maps"
	"slices"
	"time"
)

// reaper deregisters, every ReapInterval, the services one of whose checks
// has stayed critical for longer than its deregister_critical_service_after,
// as Consul's reaper does.
func (s *State) reaper() {
	defer s.done.Done()
	t := time.NewTicker(s.cfg.ReapInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.reap(s.cfg.now())
		}
	}
}

// reap removes the services due at now.
func (s *State) reap(now time.Time) {
	s.mu.Lock()
	defer s.unlock()
	if s.closed {
		return
	}
	due := map[string]bool{}
	for _, c := range s.checks {
		after := c.def.DeregisterCriticalServiceAfter
		if after <= 0 || c.def.ServiceID == "" || c.criticalSince.IsZero() || now.Sub(c.criticalSince) <= after {
			continue
		}
		if !due[c.def.ServiceID] {
			s.log.Info("deregistering a service whose check stayed critical past deregister_critical_service_after",
				"service", c.def.ServiceID, "check", c.def.ID, "after", after)
		}
		due[c.def.ServiceID] = true
	}
	if len(due) == 0 {
		return
	}
	for _, id := range slices.Sorted(maps.Keys(due)) {
		s.removeServiceLocked(id)
	}
	s.commitLocked(false)
	if err := s.persistLocked(); err != nil {
		s.log.Warn("could not keep the deregistration of critical services", "error", err)
	}
}
