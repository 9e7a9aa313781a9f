package local

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// AddCheck registers def over the API (it is persisted), replacing a check
// of the same ID and keeping its current status. Its service_id, when
// set, must name a registered service.
func (s *State) AddCheck(def servicedef.Check) error {
	s.mu.Lock()
	defer s.unlock()
	if s.closed {
		return errorf(ErrClosed, "local: the agent's service state is closed")
	}
	if def.Source == "" {
		def.Source = "HTTP API"
	}
	if err := s.addCheckLocked(def, false); err != nil {
		return err
	}
	s.commitLocked(false)
	return s.persistLocked()
}

// addCheckLocked validates def and adds or replaces the check.
func (s *State) addCheckLocked(def servicedef.Check, fromFile bool) error {
	if err := s.prepareCheck(&def, fromFile); err != nil {
		return err
	}
	if def.ServiceID != "" && s.services[def.ServiceID] == nil {
		return errorf(ErrInvalid, "check %q: service_id %q is not a service registered on this agent", def.ID, def.ServiceID)
	}
	if err := s.checkAllowed(&def); err != nil {
		return err
	}
	if s.checks[def.ID] == nil && s.checkCount() >= s.cfg.MaxChecks {
		return errorf(ErrLimit, "check %q: the agent already has %d checks, the limit (deregister some first)", def.ID, s.cfg.MaxChecks)
	}
	s.putCheckLocked(def)
	return nil
}

// putCheckLocked adds or replaces a validated check. A check replaced
// keeps its status and output; a new one starts at its initial status, or
// at the status an earlier run persisted for it (TTL checks).
func (s *State) putCheckLocked(def servicedef.Check) {
	now := time.Now()
	c := s.checks[def.ID]
	if c != nil && sameCheck(c.def, def) {
		return
	}
	if c == nil {
		c = &check{status: def.ToCatalog("", "").Status, shownAt: now}
		if st, ok := s.restored[def.ID]; ok && def.Type() == servicedef.TypeTTL && now.Before(st.Expires) {
			c.status, c.output, c.shown, c.expires = st.Status, st.Output, st.Output, st.Expires
			delete(s.restored, def.ID)
		}
		s.checks[def.ID] = c
		s.indexCheck(def.ID, "", def.ServiceID)
	} else {
		s.stopCheck(c) // a held output goes out with the new definition
		c.shown, c.shownAt = c.output, now
		s.indexCheck(def.ID, c.def.ServiceID, def.ServiceID)
	}
	c.def = def
	s.touchCheck(def.ID)
	c.gen++
	if c.status == catalog.StatusCritical && c.criticalSince.IsZero() {
		c.criticalSince = now
	}
	switch {
	case def.Type() == servicedef.TypeTTL:
		if c.expires.IsZero() || !c.expires.After(now) {
			c.expires = now.Add(def.TTL)
		}
		s.armTTL(c)
	case s.cfg.Runner != nil:
		c.running = true
		s.cfg.Runner.Start(def)
	}
}

// dropCheckLocked removes a check and stops what runs it.
func (s *State) dropCheckLocked(c *check) {
	s.stopCheck(c)
	delete(s.checks, c.def.ID)
	s.unindexCheck(c.def.ID, c.def.ServiceID)
	s.touchCheck(c.def.ID)
}

// stopCheck stops the check's timers and run.
func (s *State) stopCheck(c *check) {
	c.gen++
	if c.ttl != nil {
		c.ttl.Stop()
		c.ttl = nil
	}
	if c.flush != nil {
		c.flush.Stop()
		c.flush = nil
	}
	if c.running {
		c.running = false
		s.cfg.Runner.Stop(c.def.ID)
	}
}

// RemoveCheck deregisters check id and reports whether it existed. A
// service's maintenance check is removed by SetServiceMaintenance.
func (s *State) RemoveCheck(id string) (bool, error) {
	s.mu.Lock()
	defer s.unlock()
	if s.closed {
		return false, errorf(ErrClosed, "local: the agent's service state is closed")
	}
	c := s.checks[id]
	if c == nil {
		return false, nil
	}
	s.dropCheckLocked(c)
	s.commitLocked(false)
	return true, s.persistLocked()
}

// ttlStatuses maps the TTL endpoints' verbs and the statuses to statuses.
var ttlStatuses = map[string]string{
	"pass": catalog.StatusPassing, "warn": catalog.StatusWarning, "fail": catalog.StatusCritical,
	catalog.StatusPassing: catalog.StatusPassing, catalog.StatusWarning: catalog.StatusWarning,
	catalog.StatusCritical: catalog.StatusCritical,
}

// UpdateTTL sets the status (pass, warn, fail, or passing, warning,
// critical) and output of TTL check id and restarts its TTL. It is an
// error for an unknown check or one that is not a TTL check.
func (s *State) UpdateTTL(id, status, output string) error {
	st, ok := ttlStatuses[strings.ToLower(status)]
	if !ok {
		return errorf(ErrInvalid, "status %q is not passing, warning or critical", status)
	}
	s.mu.Lock()
	defer s.unlock()
	if s.closed {
		return errorf(ErrClosed, "local: the agent's service state is closed")
	}
	c := s.checks[id]
	if c == nil {
		return errorf(ErrNotFound, "no check with ID %q on this agent", id)
	}
	if c.def.Type() != servicedef.TypeTTL {
		return errorf(ErrInvalid, "check %q is a %s check, not a TTL check: only TTL checks take pass, warn, fail and update", id, typeName(c.def.Type()))
	}
	c.expires = time.Now().Add(c.def.TTL)
	s.armTTL(c)
	s.setResultLocked(c, st, output)
	s.commitLocked(false)
	return s.persistLocked()
}

func typeName(t string) string {
	if t == "" {
		return "typeless"
	}
	return t
}

// armTTL (re)starts the timer of TTL check c for c.expires.
func (s *State) armTTL(c *check) {
	if c.ttl != nil {
		c.ttl.Stop()
	}
	gen, id := c.gen, c.def.ID
	c.ttl = time.AfterFunc(time.Until(c.expires), func() { s.ttlExpired(id, gen) })
}

func (s *State) ttlExpired(id string, gen uint64) {
	s.mu.Lock()
	defer s.unlock()
	c := s.checks[id]
	if s.closed || c == nil || c.gen != gen || time.Now().Before(c.expires) {
		return
	}
	c.ttl = nil
	s.log.Info("TTL check expired", "check", id)
	s.setResultLocked(c, catalog.StatusCritical, "TTL expired (last output before timeout follows): "+c.output)
	s.commitLocked(false)
	if err := s.persistLocked(); err != nil {
		s.log.Warn("could not keep the TTL status", "check", id, "error", err)
	}
}

// SetCheckResult records a run's result for check id; unknown checks and
// statuses are ignored (the check was removed meanwhile, or the runner is
// wrong, which is logged).
func (s *State) SetCheckResult(id, status, output string) {
	switch status {
	case catalog.StatusPassing, catalog.StatusWarning, catalog.StatusCritical:
	default:
		s.log.Warn("check runner reported an unknown status; ignored", "check", id, "status", status)
		return
	}
	s.mu.Lock()
	defer s.unlock()
	c := s.checks[id]
	if s.closed || c == nil {
		return
	}
	s.setResultLocked(c, status, output)
	s.commitLocked(false)
}

// setResultLocked records a status and output, capped. A status change is
// written at once with the output; a change of the output alone is
// written once CheckUpdateInterval has passed since the output was last
// written.
func (s *State) setResultLocked(c *check, status, output string) {
	output = s.capOutput(c, output)
	now := time.Now()
	if status == c.status {
		c.output = output
		if output == c.shown {
			return
		}
		due := c.shownAt.Add(s.cfg.CheckUpdateInterval)
		if now.Before(due) {
			if c.flush == nil {
				gen, id := c.gen, c.def.ID
				c.flush = time.AfterFunc(due.Sub(now), func() { s.flushOutput(id, gen) })
			}
			return
		}
	}
	if status != c.status {
		if status == catalog.StatusCritical {
			c.criticalSince = now
		} else {
			c.criticalSince = time.Time{}
		}
	}
	c.status, c.output, c.shown, c.shownAt = status, output, output, now
	s.touchCheck(c.def.ID)
	if c.flush != nil {
		c.flush.Stop()
		c.flush = nil
	}
}

func (s *State) flushOutput(id string, gen uint64) {
	s.mu.Lock()
	defer s.unlock()
	c := s.checks[id]
	if s.closed || c == nil || c.gen != gen {
		return
	}
	c.flush = nil
	c.shown, c.shownAt = c.output, time.Now()
	s.touchCheck(id)
	s.commitLocked(false)
}

// capOutput truncates output to the check's limit (servicedef's
// OutputLimit), as Consul words it.
func (s *State) capOutput(c *check, output string) string {
	limit := c.def.OutputLimit(s.cfg.CheckOutputMaxSize)
	if len(output) <= limit {
		return output
	}
	return fmt.Sprintf("%s ... (captured %d of %d bytes)", output[:limit], limit, len(output))
}

// sameCheck reports whether two definitions are the same.
func sameCheck(a, b servicedef.Check) bool { return reflect.DeepEqual(a, b) }

// sameDef reports whether two service definitions are the same.
func sameDef(a, b servicedef.Service) bool { return reflect.DeepEqual(a, b) }

// checkIDs returns the IDs of the checks, sorted.
func (s *State) checkIDs() []string { return slices.Sorted(maps.Keys(s.checks)) }
