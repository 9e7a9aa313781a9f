package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/internal/datadir"
	"github.com/discod/discod/servicedef"
)

// FileName is the file in the data dir that keeps what the API
// registered (datadir.Services).
const FileName = datadir.Services

// fileVersion is the version of the file's format this discod writes and
// reads.
const fileVersion = 1

// file is the persisted state. Services and Checks are those registered
// over the API (a service's checks are in Checks, with its ID); TTL holds
// the last status of each TTL check, files' ones too, until it expires;
// Maintenance the reason of each service in maintenance.
type file struct {
	Version     int
	Epoch       uint64 // the run that wrote it
	Services    []servicedef.Service
	Checks      []servicedef.Check
	TTL         map[string]ttlState `json:",omitempty"`
	Maintenance map[string]string   `json:",omitempty"`
	// External holds the external nodes this agent owns (external.go).
	External []catalog.ExternalNode `json:",omitempty"`
}

// ttlState is a TTL check's status, kept until Expires.
type ttlState struct {
	Status, Output string
	Expires        time.Time
}

func persistPath(dir string) string { return datadir.Path(dir, FileName) }

// readFile reads the persisted state; a missing file is an empty one.
func readFile(path string) (*file, error) {
	b, ok, err := datadir.Read(path)
	if err != nil {
		return nil, fmt.Errorf("local: %w, or remove it to start without the services registered over the API", err)
	}
	if !ok {
		return &file{Version: fileVersion}, nil
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("local: %s is damaged (%w): repair it, or remove it to start without the services registered over the API", path, err)
	}
	if f.Version != fileVersion {
		return nil, fmt.Errorf("local: %s has format version %d and this discod reads version %d: run the discod that wrote it, or remove the file to start without the services registered over the API",
			path, f.Version, fileVersion)
	}
	return &f, nil
}

// restore puts the persisted state back; nothing is shared yet.
func (s *State) restore(f *file) error {
	if f.Epoch >= s.epoch {
		s.epoch = f.Epoch + 1 // the clock went back: come after the earlier run
	}
	s.restored = maps.Clone(f.TTL)
	if s.restored == nil {
		s.restored = map[string]ttlState{}
	}
	s.maint = maps.Clone(f.Maintenance)
	if s.maint == nil {
		s.maint = map[string]string{}
	}
	for _, n := range f.External {
		if n.Name == "" || n.Address == "" {
			return fmt.Errorf("local: %s: an external node without a name or an address (remove the entry, or the file)", s.path)
		}
		sortExternal(&n)
		s.external[strings.ToLower(n.Name)] = n
	}
	byService := map[string][]servicedef.Check{}
	var nodeChecks []servicedef.Check
	for _, c := range f.Checks {
		if c.ServiceID == "" {
			nodeChecks = append(nodeChecks, c)
		} else {
			byService[c.ServiceID] = append(byService[c.ServiceID], c)
		}
	}
	for _, svc := range f.Services {
		svc.Checks = byService[svc.ID]
		delete(byService, svc.ID)
		if err := s.restoreOne(s.addServiceLocked(svc, false, false)); err != nil {
			return err
		}
	}
	for _, c := range nodeChecks {
		if err := s.restoreOne(s.addCheckLocked(c, false)); err != nil {
			return err
		}
	}
	// Checks an API call attached to a service of the files: their service
	// comes back with the first SyncFiles.
	for _, id := range slices.Sorted(maps.Keys(byService)) {
		s.pending = append(s.pending, byService[id]...)
	}
	return nil
}

// restoreOne passes a definition refused because script checks are now
// disabled (it is dropped, with a warning) and turns any other refusal
// into an error naming the file.
func (s *State) restoreOne(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrScriptChecksDisabled):
		s.log.Warn("a definition registered over the API by an earlier run is dropped", "file", s.path, "reason", err)
		return nil
	}
	return fmt.Errorf("local: %s: %w (remove the entry, or the file)", s.path, err)
}

// persistLocked writes the persisted state, if there is a data dir.
func (s *State) persistLocked() error {
	if s.path == "" {
		return nil
	}
	f := file{Version: fileVersion, Epoch: s.epoch, TTL: map[string]ttlState{}, Maintenance: maps.Clone(s.maint),
		External: s.externalRows()}
	for _, id := range slices.Sorted(maps.Keys(s.services)) {
		if svc := s.services[id]; !svc.fromFile {
			f.Services = append(f.Services, svc.def)
		}
	}
	f.Checks = append(f.Checks, s.pending...)
	now := time.Now()
	for _, id := range s.checkIDs() {
		c := s.checks[id]
		if !c.def.FromFile {
			f.Checks = append(f.Checks, c.def)
		}
		if c.def.Type() == servicedef.TypeTTL && c.expires.After(now) {
			f.TTL[id] = ttlState{Status: c.status, Output: c.output, Expires: c.expires}
		}
	}
	// Statuses an earlier run kept for file checks not defined yet.
	for id, st := range s.restored {
		if _, ok := f.TTL[id]; !ok && st.Expires.After(now) {
			f.TTL[id] = st
		}
	}
	b, err := json.MarshalIndent(&f, "", "  ")
	if err != nil {
		return fmt.Errorf("local: encoding %s: %w", s.path, err)
	}
	if err := datadir.Prepare(filepath.Dir(s.path)); err != nil {
		return s.unsavedLocked(fmt.Errorf("local: the change is in effect but could not be kept: %w", err))
	}
	if err := datadir.Write(s.path, append(b, '\n')); err != nil {
		return s.unsavedLocked(fmt.Errorf("local: the change is in effect but could not be kept: %w", err))
	}
	if s.unsaved {
		s.unsaved = false
		s.log.Info("the services and checks are saved again", "file", s.path)
	}
	return nil
}
