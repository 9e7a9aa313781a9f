package local

import "time"

// persistRetryInterval is how often a persistence file that could not be
// written (a full or read-only disk) is written again. Until then the
// state is in effect in memory: the store, DNS and the API answer from
// it; only a restart would lose the changes since the last write.
const persistRetryInterval = 5 * time.Second

// unsavedLocked records that the file is behind the state and returns
// err; the first failure of a run of them is logged. mu is held.
func (s *State) unsavedLocked(err error) error {
	if !s.unsaved {
		s.log.Error("cannot save the services and checks; they stay in effect, and the write is retried every "+persistRetryInterval.String(),
			"file", s.path, "error", err)
	}
	s.unsaved = true
	return err
}

// persistRetry writes the file again every persistRetryInterval while it
// is behind the state, until the State is closed.
func (s *State) persistRetry() {
	defer s.done.Done()
	t := time.NewTicker(persistRetryInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			if s.unsaved && !s.closed {
				_ = s.persistLocked() // logs its own outcome
			}
			s.mu.Unlock()
		}
	}
}
