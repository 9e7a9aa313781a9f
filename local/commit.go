package local

import (
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/discod/discod/catalog"
)

// Committing a change.
//
// Every write method marks the services and checks it may have changed
// (touchService, touchCheck) and ends with commitLocked, which compares
// only those rows with the ones last written, so a change costs what it
// touched, not what the agent holds: the delta is applied to the own
// store (catalog.Store.ApplyDelta) and queued for Publish. The whole set
// is rebuilt and written with ReplaceRecordSet only at start
// (commitAllLocked), and whenever the store no longer holds the version
// the delta follows. External nodes (external.go) are compared whole at
// every commit.

// touchService marks service id, its checks and its maintenance check as
// possibly changed. mu is held.
func (s *State) touchService(id string) {
	s.dirtyS[id] = true
	s.dirtyC[catalog.ServiceMaintPrefix+id] = true
	for cid := range s.byService[id] {
		s.dirtyC[cid] = true
	}
}

// touchCheck marks check id as possibly changed. mu is held.
func (s *State) touchCheck(id string) { s.dirtyC[id] = true }

// indexCheck files check id under service sid ("" for a node check) and
// takes it out of old's, when it moved. mu is held.
func (s *State) indexCheck(id, old, sid string) {
	if old != sid {
		s.unindexCheck(id, old)
	}
	if sid == "" {
		return
	}
	m := s.byService[sid]
	if m == nil {
		m = map[string]bool{}
		s.byService[sid] = m
	}
	m[id] = true
}

// unindexCheck takes check id out of service sid's checks. mu is held.
func (s *State) unindexCheck(id, sid string) {
	if m := s.byService[sid]; m != nil {
		delete(m, id)
		if len(m) == 0 {
			delete(s.byService, sid)
		}
	}
}

// serviceCheckIDs returns the IDs of service id's checks, sorted. mu is
// held.
func (s *State) serviceCheckIDs(id string) []string {
	return slices.Sorted(maps.Keys(s.byService[id]))
}

// commitLocked writes the rows touched since the last commit that
// changed to the store at a new version and queues the change for
// Publish, if anything changed; force rebuilds and writes every row
// instead (commitAllLocked), for a change that did not mark what it
// touched. mu is held.
func (s *State) commitLocked(force bool) {
	if force {
		s.commitAllLocked()
		return
	}
	d := catalog.Delta{From: s.version}
	for _, id := range slices.Sorted(maps.Keys(s.dirtyS)) {
		row, ok := s.serviceRow(id)
		old, had := s.pubServices[id]
		switch {
		case ok && (!had || !reflect.DeepEqual(old, row)):
			d.Services = append(d.Services, row)
		case !ok && had:
			d.DeleteServices = append(d.DeleteServices, id)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(s.dirtyC)) {
		row, ok := s.checkRowByID(id)
		old, had := s.pubChecks[id]
		switch {
		case ok && (!had || !reflect.DeepEqual(old, row)):
			d.Checks = append(d.Checks, row)
		case !ok && had:
			d.DeleteChecks = append(d.DeleteChecks, id)
		}
	}
	clear(s.dirtyS)
	clear(s.dirtyC)
	if len(s.external)+len(s.pubExternal) > 0 {
		// External nodes are compared whole, all of them: they are few
		// (external.go).
		s.pubExternal = s.externalDelta(&d, s.pubExternal)
	}
	if deltaRows(d) == 0 {
		return
	}
	s.next(&d)
	for _, r := range d.Services {
		s.pubServices[r.ID] = r
	}
	for _, r := range d.Checks {
		s.pubChecks[r.CheckID] = r
	}
	for _, id := range d.DeleteServices {
		delete(s.pubServices, id)
	}
	for _, id := range d.DeleteChecks {
		delete(s.pubChecks, id)
	}
	if s.cfg.Store.ApplyDelta(s.cfg.NodeName, d) != catalog.DeltaApplied {
		// The store does not hold the version d follows (it dropped or
		// replaced this node's records): write the whole set.
		s.storeAllLocked()
	}
	s.published(d)
}

// commitAllLocked rebuilds every row, writes the whole set to the store
// at a new version and queues the change (the rows that differ from what
// was published) for Publish, even when nothing changed: at start. mu is
// held.
func (s *State) commitAllLocked() {
	svcs := s.serviceRows()
	checks := s.checkRows(false)
	d := catalog.Delta{From: s.version}
	keepS := make(map[string]catalog.Service, len(svcs))
	for _, r := range svcs {
		keepS[r.ID] = r
		if old, ok := s.pubServices[r.ID]; !ok || !reflect.DeepEqual(old, r) {
			d.Services = append(d.Services, r)
		}
	}
	keepC := make(map[string]catalog.Check, len(checks))
	for _, r := range checks {
		keepC[r.CheckID] = r
		if old, ok := s.pubChecks[r.CheckID]; !ok || !reflect.DeepEqual(old, r) {
			d.Checks = append(d.Checks, r)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(s.pubServices)) {
		if _, ok := keepS[id]; !ok {
			d.DeleteServices = append(d.DeleteServices, id)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(s.pubChecks)) {
		if _, ok := keepC[id]; !ok {
			d.DeleteChecks = append(d.DeleteChecks, id)
		}
	}
	clear(s.dirtyS)
	clear(s.dirtyC)
	s.pubExternal = s.externalDelta(&d, s.pubExternal)
	s.next(&d)
	s.pubServices, s.pubChecks = keepS, keepC
	s.storeRows(svcs, checks)
	s.published(d)
}

// next moves the version on and makes d lead to it.
func (s *State) next(d *catalog.Delta) {
	s.version = catalog.Version{Epoch: s.epoch, Seq: s.version.Seq + 1}
	if s.version.Seq == 1 {
		d.From = catalog.Version{}
	}
	d.To = s.version
}

// storeAllLocked writes the whole set to the store. mu is held.
func (s *State) storeAllLocked() { s.storeRows(s.serviceRows(), s.checkRows(false)) }

func (s *State) storeRows(svcs []catalog.Service, checks []catalog.Check) {
	if !s.cfg.Store.ReplaceRecordSet(s.cfg.NodeName, s.version, svcs, checks, s.externalRows()) {
		s.log.Warn("the catalog holds a newer version of this node's records than this run's; the change is published but not stored",
			"version", s.version, "held", s.cfg.Store.RecordsVersion(s.cfg.NodeName))
	}
}

// deltaRows is the number of rows d changes.
func deltaRows(d catalog.Delta) int {
	return len(d.Services) + len(d.Checks) + len(d.DeleteServices) + len(d.DeleteChecks) + len(d.Nodes) + len(d.DeleteNodes)
}

// published queues d for Publish and wakes the Changed waiters.
func (s *State) published(d catalog.Delta) {
	s.queue = append(s.queue, d)
	close(s.changed)
	s.changed = make(chan struct{})
}

// serviceRow returns the catalog row of service id.
func (s *State) serviceRow(id string) (catalog.Service, bool) {
	if svc := s.services[id]; svc != nil {
		return svc.row, true
	}
	return catalog.Service{}, false
}

// checkRowByID returns the catalog row of check id as written to the
// store (a service's maintenance check included).
func (s *State) checkRowByID(id string) (catalog.Check, bool) {
	if c := s.checks[id]; c != nil {
		return s.checkRow(c, false), true
	}
	if sid, ok := strings.CutPrefix(id, catalog.ServiceMaintPrefix); ok {
		if reason, on := s.maint[sid]; on && s.services[sid] != nil {
			return maintCheck(s.services[sid], reason), true
		}
	}
	return catalog.Check{}, false
}
