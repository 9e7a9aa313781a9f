package local

import (
	"fmt"
	"maps"
	"slices"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// AddService registers def over the API (it is persisted) with its checks,
// replacing a service of the same ID. The checks the service had and def
// does not name stay, unless replaceExistingChecks.
func (s *State) AddService(def servicedef.Service, replaceExistingChecks bool) error {
	s.mu.Lock()
	defer s.unlock()
	if s.closed {
		return errorf(ErrClosed, "local: the agent's service state is closed")
	}
	if def.Source == "" {
		def.Source = "HTTP API"
	}
	if err := s.addServiceLocked(def, false, replaceExistingChecks); err != nil {
		return err
	}
	s.commitLocked(false)
	return s.persistLocked()
}

// addServiceLocked adds or replaces a service and its checks. Everything is
// checked before anything changes.
func (s *State) addServiceLocked(def servicedef.Service, fromFile, replaceExistingChecks bool) error {
	if err := s.prepareService(&def, fromFile); err != nil {
		return err
	}
	old := s.services[def.ID]
	if old == nil && s.serviceCount() >= s.cfg.MaxServices {
		return errorf(ErrLimit, "service %q: the agent already has %d services, the limit (deregister some first)", def.ID, s.cfg.MaxServices)
	}
	newChecks := 0
	for i := range def.Checks {
		c := &def.Checks[i]
		if err := s.checkAllowed(c); err != nil {
			return err
		}
		if cur := s.checks[c.ID]; cur != nil && cur.def.ServiceID != def.ID {
			return errorf(ErrInvalid, "service %q: check ID %q is already used by %s", def.ID, c.ID, describeOwner(cur))
		}
		if s.checks[c.ID] == nil {
			newChecks++
		}
	}
	if s.checkCount()+newChecks > s.cfg.MaxChecks {
		return errorf(ErrLimit, "service %q: %d more checks would pass the agent's limit of %d checks", def.ID, newChecks, s.cfg.MaxChecks)
	}
	checks := def.Checks
	def.Checks = nil
	s.services[def.ID] = &service{def: def, row: def.ToCatalog(), fromFile: fromFile}
	s.touchService(def.ID)
	keep := map[string]bool{}
	for _, c := range checks {
		keep[c.ID] = true
		s.putCheckLocked(c)
	}
	if replaceExistingChecks && old != nil {
		for _, id := range s.serviceCheckIDs(def.ID) {
			// A file sync replaces only the checks the files gave.
			if c := s.checks[id]; !keep[id] && (!fromFile || c.def.FromFile) {
				s.dropCheckLocked(c)
			}
		}
	}
	return nil
}

func describeOwner(c *check) string {
	if c.def.ServiceID == "" {
		return "a node check"
	}
	return fmt.Sprintf("service %q", c.def.ServiceID)
}

// RemoveService deregisters service id with its checks and maintenance,
// and reports whether it existed.
func (s *State) RemoveService(id string) (bool, error) {
	s.mu.Lock()
	defer s.unlock()
	if s.closed {
		return false, errorf(ErrClosed, "local: the agent's service state is closed")
	}
	svc := s.services[id]
	if svc == nil {
		return false, nil
	}
	s.removeServiceLocked(id)
	s.commitLocked(false)
	return true, s.persistLocked()
}

func (s *State) removeServiceLocked(id string) {
	s.touchService(id)
	delete(s.services, id)
	delete(s.maint, id)
	for _, cid := range s.serviceCheckIDs(id) {
		s.dropCheckLocked(s.checks[cid])
	}
}

// SyncFiles makes the services and checks defined in config files svcs
// and checks (at start and at every reload): definitions new or changed
// are applied, file-defined ones no longer listed are removed; those
// registered over the API are left alone, except that a file definition
// with the same ID takes it over. Every definition is validated before
// anything changes; only a limit reached midway leaves a part applied.
func (s *State) SyncFiles(svcs []servicedef.Service, checks []servicedef.Check) error {
	s.mu.Lock()
	defer s.unlock()
	if s.closed {
		return errorf(ErrClosed, "local: the agent's service state is closed")
	}
	// Refuse the whole set before changing anything.
	prepared := make([]servicedef.Service, len(svcs))
	for i := range svcs {
		d := cloneService(svcs[i])
		if err := s.prepareService(&d, true); err != nil {
			return err
		}
		for j := range d.Checks {
			if err := s.checkAllowed(&d.Checks[j]); err != nil {
				return err
			}
		}
		prepared[i] = d
	}
	preparedChecks := make([]servicedef.Check, len(checks))
	for i := range checks {
		d := checks[i]
		if err := s.prepareCheck(&d, true); err != nil {
			return err
		}
		if err := s.checkAllowed(&d); err != nil {
			return err
		}
		preparedChecks[i] = d
	}
	wantS, wantC := map[string]bool{}, map[string]bool{}
	for _, d := range prepared {
		wantS[d.ID] = true
		for _, c := range d.Checks {
			wantC[c.ID] = true
		}
		if cur := s.services[d.ID]; cur != nil && cur.fromFile && sameService(cur, d, s.checks, len(s.byService[d.ID])) {
			continue
		}
		if cur := s.services[d.ID]; cur != nil && !cur.fromFile {
			s.log.Info("a config file now defines a service registered over the HTTP API; the file's definition replaces it",
				"service", d.ID, "source", d.Source)
		}
		if err := s.addServiceLocked(d, true, true); err != nil {
			s.commitLocked(false)
			return err
		}
	}
	for _, d := range preparedChecks {
		wantC[d.ID] = true
		if cur := s.checks[d.ID]; cur != nil && cur.def.FromFile && sameCheck(cur.def, d) {
			continue
		}
		if err := s.addCheckLocked(d, true); err != nil {
			s.commitLocked(false)
			return err
		}
	}
	for _, id := range slices.Sorted(maps.Keys(s.services)) {
		if svc := s.services[id]; svc.fromFile && !wantS[id] {
			s.removeServiceLocked(id)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(s.checks)) {
		if c := s.checks[id]; c.def.FromFile && !wantC[id] {
			s.dropCheckLocked(c)
		}
	}
	if !s.synced {
		s.synced = true
		for _, c := range s.pending {
			if err := s.addCheckLocked(c, false); err != nil {
				s.log.Warn("a check registered over the API by an earlier run is dropped", "check", c.ID, "reason", err)
			}
		}
		s.pending = nil
		// What an earlier run kept for definitions that are gone for good.
		for id := range s.maint {
			if s.services[id] == nil {
				delete(s.maint, id)
				s.touchCheck(catalog.ServiceMaintPrefix + id)
			}
		}
		clear(s.restored)
	}
	s.commitLocked(false)
	return s.persistLocked()
}

// sameService reports whether the file service cur and its checks (n of
// them) are what d defines.
func sameService(cur *service, d servicedef.Service, checks map[string]*check, n int) bool {
	if !sameDef(cur.def, withoutChecks(d)) {
		return false
	}
	if n != len(d.Checks) {
		return false
	}
	for _, dc := range d.Checks {
		c := checks[dc.ID]
		if c == nil || !sameCheck(c.def, dc) {
			return false
		}
	}
	return true
}

func withoutChecks(d servicedef.Service) servicedef.Service {
	d.Checks = nil
	return d
}

func cloneService(d servicedef.Service) servicedef.Service {
	d.Checks = slices.Clone(d.Checks)
	return d
}

// maintCheck is the synthetic check of a service in maintenance.
func maintCheck(svc *service, reason string) catalog.Check {
	return catalog.Check{
		CheckID: catalog.ServiceMaintPrefix + svc.row.ID, Name: catalog.ServiceMaintCheckName,
		Status: catalog.StatusCritical, Notes: reason, ServiceID: svc.row.ID, ServiceName: svc.row.Name,
	}
}

// SetServiceMaintenance puts service id in maintenance with reason
// (catalog.DefaultServiceMaintReason when empty) or takes it out. It is
// idempotent and kept across restarts.
func (s *State) SetServiceMaintenance(id string, enable bool, reason string) error {
	s.mu.Lock()
	defer s.unlock()
	if s.closed {
		return errorf(ErrClosed, "local: the agent's service state is closed")
	}
	if s.services[id] == nil {
		return errorf(ErrNotFound, "no service with ID %q on this agent", id)
	}
	if !enable {
		if _, on := s.maint[id]; !on {
			return nil
		}
		delete(s.maint, id)
		s.log.Info("service out of maintenance mode", "service", id)
	} else {
		if reason == "" {
			reason = catalog.DefaultServiceMaintReason
		}
		if s.maint[id] == reason {
			return nil
		}
		s.maint[id] = reason
		s.log.Warn("service in maintenance mode: left out of DNS answers", "service", id, "reason", reason)
	}
	s.touchCheck(catalog.ServiceMaintPrefix + id)
	s.commitLocked(false)
	return s.persistLocked()
}

// ServiceMaintenance returns the maintenance reason of service id, "" when
// it is not in maintenance.
func (s *State) ServiceMaintenance(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maint[id]
}
