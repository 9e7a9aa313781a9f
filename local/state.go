package local

import (
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// Defaults of Config.
const (
	DefaultCheckUpdateInterval = 5 * time.Minute
	DefaultCheckOutputMaxSize  = 4096
	DefaultMaxServices         = 1000
	DefaultMaxChecks           = 2000
	// DefaultReapInterval is how often services whose checks stayed
	// critical past deregister_critical_service_after are removed, as
	// Consul's reaper.
	DefaultReapInterval = 30 * time.Second
)

// Config configures a State.
type Config struct {
	// NodeName is this agent's node; required.
	NodeName string
	// Store is the agent's catalog; the State writes its node's records
	// there. Required.
	Store *catalog.Store
	// DataDir is where API-registered services and checks, TTL statuses
	// and service maintenance are kept; "" persists nothing.
	DataDir string
	// Publish is called after each change of the node's records, in
	// order, with the change; nil for none. It must not call the State's
	// write methods.
	Publish func(catalog.Delta)
	// Logger; nil discards.
	Logger *slog.Logger
	// EnableScriptChecks allows script checks from any source;
	// EnableLocalScriptChecks only those from config files.
	EnableScriptChecks, EnableLocalScriptChecks bool
	// CheckUpdateInterval: an output-only change of a check is written
	// and published at most this often (default 5m).
	CheckUpdateInterval time.Duration
	// CheckOutputMaxSize caps check outputs, in bytes, unless a check sets
	// its own (default 4096).
	CheckOutputMaxSize int
	// Runner runs the checks other than TTL ones; nil registers them
	// without running them.
	Runner CheckRunner
	// MaxServices and MaxChecks limit what one agent holds (defaults 1000
	// and 2000); maintenance checks do not count.
	MaxServices, MaxChecks int
	// ReapInterval is how often deregister_critical_service_after is
	// enforced (default 30s).
	ReapInterval time.Duration

	now func() time.Time // the reaper's clock, for tests; nil is time.Now
}

// CheckRunner runs checks. Start begins running def (replacing any run of
// the same ID) and Stop ends the run of checkID. Both must return promptly
// and must not call the State: results come back from the runner's own
// goroutines through State.SetCheckResult.
type CheckRunner interface {
	Start(def servicedef.Check)
	Stop(checkID string)
}

// State holds this agent's services and checks. It is safe for concurrent
// use.
type State struct {
	cfg   Config
	log   *slog.Logger
	epoch uint64
	path  string // the persistence file, "" for none

	// mu guards everything below. pubMu orders the calls of Publish: it is
	// taken before mu is released, so changes are published in the order
	// they were made.
	mu    sync.Mutex
	pubMu sync.Mutex

	version  catalog.Version
	services map[string]*service
	checks   map[string]*check
	maint    map[string]string   // service ID → maintenance reason
	restored map[string]ttlState // persisted TTL statuses not yet claimed by a check
	synced   bool                // SyncFiles ran once
	pending  []servicedef.Check  // restored API checks of file services, added at the first SyncFiles

	// What was last written to the store, by ID.
	pubServices map[string]catalog.Service
	pubChecks   map[string]catalog.Check
	// external holds the external nodes this agent owns, by lower-case
	// name (external.go); pubExternal what was last written of them.
	external, pubExternal map[string]catalog.ExternalNode
	queue                 []catalog.Delta // to publish once mu is released
	// dirtyS and dirtyC are the service and check IDs (maintenance
	// checks included) whose rows may differ from the published ones:
	// what the next commit compares (commit.go).
	dirtyS, dirtyC map[string]bool
	// byService indexes the checks by the service they belong to
	// (service ID → check IDs; node checks are not in it).
	byService map[string]map[string]bool

	changed chan struct{} // closed and replaced at every change
	// unsaved is set while the persistence file is behind the state (a
	// write failed: a full or read-only disk); the retry loop writes it
	// again (persist_retry.go).
	unsaved bool
	closed  bool
	stop    chan struct{}
	done    sync.WaitGroup
}

// service is one registered service.
type service struct {
	def      servicedef.Service // Checks nil: they live in State.checks
	row      catalog.Service
	fromFile bool
}

// check is one registered check and its live state.
type check struct {
	def    servicedef.Check
	status string
	output string // the latest output
	shown  string // the output as last written to the store
	// shownAt is when output was last written to the store; flush, when
	// not nil, writes the latest output at shownAt+CheckUpdateInterval.
	shownAt time.Time
	flush   *time.Timer
	// ttl fires when a TTL check's time runs out, at expires.
	ttl     *time.Timer
	expires time.Time
	// criticalSince is when the check last turned critical; zero while
	// it is not.
	criticalSince time.Time
	gen           uint64 // bumped at every (re)registration: stale timers see a different one
	running       bool   // handed to the Runner
}

// New returns the State of cfg.NodeName, with the services and checks an
// earlier run registered over the API, the TTL statuses that have not run
// out and the service maintenance restored from cfg.DataDir, and writes
// them to the store.
func New(cfg Config) (*State, error) {
	if cfg.NodeName == "" || cfg.Store == nil {
		return nil, errorf(ErrInvalid, "local: Config.NodeName and Config.Store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.CheckUpdateInterval <= 0 {
		cfg.CheckUpdateInterval = DefaultCheckUpdateInterval
	}
	if cfg.CheckOutputMaxSize <= 0 {
		cfg.CheckOutputMaxSize = DefaultCheckOutputMaxSize
	}
	if cfg.MaxServices <= 0 {
		cfg.MaxServices = DefaultMaxServices
	}
	if cfg.MaxChecks <= 0 {
		cfg.MaxChecks = DefaultMaxChecks
	}
	if cfg.ReapInterval <= 0 {
		cfg.ReapInterval = DefaultReapInterval
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	s := &State{
		cfg: cfg, log: cfg.Logger,
		services: map[string]*service{}, checks: map[string]*check{},
		maint: map[string]string{}, restored: map[string]ttlState{},
		pubServices: map[string]catalog.Service{}, pubChecks: map[string]catalog.Check{},
		external: map[string]catalog.ExternalNode{}, pubExternal: map[string]catalog.ExternalNode{},
		dirtyS: map[string]bool{}, dirtyC: map[string]bool{}, byService: map[string]map[string]bool{},
		changed: make(chan struct{}), stop: make(chan struct{}),
	}
	s.epoch = uint64(max(time.Now().UnixNano(), 1))
	if held := cfg.Store.RecordsVersion(cfg.NodeName); held.Epoch >= s.epoch {
		// The store already holds records of a later-looking run (the
		// clock went back): come after it, or no write would be taken.
		s.epoch = held.Epoch + 1
	}
	if cfg.DataDir != "" {
		s.path = persistPath(cfg.DataDir)
		f, err := readFile(s.path)
		if err != nil {
			return nil, err
		}
		if err := s.restore(f); err != nil {
			s.stopAll()
			return nil, err
		}
	}
	s.mu.Lock()
	err := s.persistLocked() // records this run's epoch
	s.commitAllLocked()
	s.unlock()
	if err != nil {
		s.Close()
		return nil, err
	}
	s.done.Add(2)
	go s.reaper()
	go s.persistRetry() // persist_retry.go
	return s, nil
}

// Epoch returns this run's epoch: its start time in Unix nanoseconds,
// larger than any earlier run's with the same data dir.
func (s *State) Epoch() uint64 { return s.epoch }

// Changed returns a channel that is closed at the next change of the
// services or checks.
func (s *State) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Close stops the checks' runs and timers. The records stay in the store.
func (s *State) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.stop)
	s.stopAll()
	s.mu.Unlock()
	s.done.Wait()
}

// stopAll stops every timer and run; mu is held (or the State is not yet
// shared).
func (s *State) stopAll() {
	for _, c := range s.checks {
		s.stopCheck(c)
	}
}

// unlock releases mu and publishes the changes made under it, in order.
func (s *State) unlock() {
	q := s.queue
	s.queue = nil
	if len(q) == 0 || s.cfg.Publish == nil {
		s.mu.Unlock()
		return
	}
	s.pubMu.Lock()
	s.mu.Unlock()
	defer s.pubMu.Unlock()
	for _, d := range q {
		s.cfg.Publish(d)
	}
}

// serviceRows returns the services' catalog rows sorted by ID.
func (s *State) serviceRows() []catalog.Service {
	out := make([]catalog.Service, 0, len(s.services))
	for _, id := range slices.Sorted(maps.Keys(s.services)) {
		out = append(out, s.services[id].row)
	}
	return out
}

// checkRows returns the checks' catalog rows sorted by ID, maintenance
// checks included, with the latest outputs (latest) or those written to
// the store.
func (s *State) checkRows(latest bool) []catalog.Check {
	out := make([]catalog.Check, 0, len(s.checks)+len(s.maint))
	for _, c := range s.checks {
		out = append(out, s.checkRow(c, latest))
	}
	for id, reason := range s.maint {
		if svc := s.services[id]; svc != nil {
			out = append(out, maintCheck(svc, reason))
		}
	}
	slices.SortFunc(out, func(a, b catalog.Check) int { return strings.Compare(a.CheckID, b.CheckID) })
	return out
}

func (s *State) checkRow(c *check, latest bool) catalog.Check {
	out := c.shown
	if latest {
		out = c.output
	}
	row := c.def.ToCatalog(c.status, out)
	row.Node = s.cfg.NodeName
	if svc := s.services[c.def.ServiceID]; svc != nil {
		row.ServiceName = svc.row.Name
	}
	return row
}

// Services returns the services, sorted by ID.
func (s *State) Services() []catalog.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serviceRows()
}

// Service returns the service with ID id.
func (s *State) Service(id string) (catalog.Service, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if svc := s.services[id]; svc != nil {
		return svc.row, true
	}
	return catalog.Service{}, false
}

// Checks returns the checks, maintenance checks included, sorted by ID,
// with their latest outputs (which may not have been published yet).
func (s *State) Checks() []catalog.Check {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkRows(true)
}

// Check returns the check with ID id, with its latest output.
func (s *State) Check(id string) (catalog.Check, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.checks[id]; c != nil {
		return s.checkRow(c, true), true
	}
	if sid, ok := strings.CutPrefix(id, catalog.ServiceMaintPrefix); ok {
		if reason, on := s.maint[sid]; on && s.services[sid] != nil {
			return maintCheck(s.services[sid], reason), true
		}
	}
	return catalog.Check{}, false
}

// ServiceChecks returns the checks that count against service id: the
// node's own checks and the service's, maintenance included, sorted by
// ID, with their latest outputs.
func (s *State) ServiceChecks(id string) []catalog.Check {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []catalog.Check
	for _, c := range s.checkRows(true) {
		if c.ServiceID == "" || c.ServiceID == id {
			out = append(out, c)
		}
	}
	return out
}

// ServiceStatus returns the aggregated status of service id on this agent
// (catalog.AggregatedStatus of ServiceChecks: maintenance, critical,
// warning or passing), for alias checks; ok is false for an unknown ID.
// The node's own maintenance is not a check of this State and is not
// counted.
func (s *State) ServiceStatus(id string) (status string, ok bool) {
	if _, ok := s.Service(id); !ok {
		return "", false
	}
	return catalog.AggregatedStatus(s.ServiceChecks(id)), true
}
