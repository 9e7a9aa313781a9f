package checks

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// aliasInterval is how often alias checks are re-evaluated when
// Config.AliasChanged is nil.
const aliasInterval = time.Second

// Config configures a Runner.
type Config struct {
	// Result is called with each check's status after dampening (passing,
	// warning or critical) and its output, capped at the check's output
	// limit, after every run: the caller throttles output-only changes.
	// Alias checks report only changes. See the package doc for the
	// calling rules.
	Result func(checkID, status, output string)
	// Logger receives the runner's warnings; nil discards them.
	Logger *slog.Logger
	// OutputMaxSize is the agent's check_output_max_size: the output cap
	// of checks without a smaller OutputMaxSize of their own (0:
	// servicedef.DefaultOutputMaxSize).
	OutputMaxSize int
	// AliasStatus resolves alias checks: the aggregated status of a local
	// service ID (node "") or of a node (serviceID ""), and whether the
	// target exists. Nil: alias checks are critical, "alias target
	// unknown".
	AliasStatus func(serviceID, node string) (status string, ok bool)
	// AliasChanged, if set, returns a channel that is closed at the next
	// change of anything AliasStatus reports (a catalog watch, say); alias
	// checks then re-evaluate when it closes instead of every second.
	AliasChanged func() <-chan struct{}
}

// Runner runs health checks; see the package doc. Its methods are safe for
// concurrent use.
type Runner struct {
	cfg Config
	log *slog.Logger

	mu          sync.Mutex
	checks      map[string]*running
	closed      bool
	shellWarned map[string]bool
	wg          sync.WaitGroup // the checks' goroutines

	transports transportCache

	// minInterval and aliasEvery are servicedef.MinInterval and
	// aliasInterval; tests shorten them.
	minInterval time.Duration
	aliasEvery  time.Duration

	stats runnerStats
}

// runnerStats counts what the runner did, for Stats.
type runnerStats struct {
	runs, runNanos, changes atomic.Uint64
}

// Stats is what a Runner did since it started: probe runs, their total
// run time, and status changes after dampening.
type Stats struct {
	Runs          uint64
	RunTime       time.Duration
	StatusChanges uint64
}

// Stats returns the runner's counts.
func (r *Runner) Stats() Stats {
	return Stats{Runs: r.stats.runs.Load(), RunTime: time.Duration(r.stats.runNanos.Load()),
		StatusChanges: r.stats.changes.Load()}
}

// running is one started check.
type running struct {
	def    servicedef.Check
	cancel context.CancelFunc
	done   chan struct{} // closed when its goroutine ends; nil for ttl
	ttl    *ttlState     // ttl checks only
}

// stop ends the check without waiting for it: a run in flight is cancelled
// and its result dropped.
func (c *running) stop() {
	c.cancel()
	if c.ttl != nil {
		c.ttl.stop()
	}
}

// probe is one run of an active check: its raw status and output.
type probe func(ctx context.Context) (status, output string)

// New returns a Runner with no checks.
func New(cfg Config) *Runner {
	if cfg.Result == nil {
		cfg.Result = func(string, string, string) {}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{
		cfg:         cfg,
		log:         log,
		checks:      make(map[string]*running),
		shellWarned: make(map[string]bool),
		minInterval: servicedef.MinInterval,
		aliasEvery:  aliasInterval,
	}
}

// Start starts the check def.ID, first stopping a running check with the
// same ID. A definition the runner cannot run (no type, no interval) is
// logged and reported critical once, naming the problem. Start returns at
// once: it waits for no run and no Result call.
func (r *Runner) Start(def servicedef.Check) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	def = r.prepare(def)
	if old := r.checks[def.ID]; old != nil {
		old.stop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &running{def: def, cancel: cancel}
	r.checks[def.ID] = c

	switch typ := def.Type(); typ {
	case servicedef.TypeTTL:
		c.ttl = r.startTTL(def)
	case servicedef.TypeAlias:
		r.spawn(c, func() { r.runAlias(ctx, c) })
	default:
		p, err := r.probeFor(def)
		if err == nil && def.Interval <= 0 {
			err = fmt.Errorf("check %q: %s check without an interval", def.ID, typ)
		}
		if err != nil {
			r.log.Error("check cannot run", "check", def.ID, "error", err)
			r.spawn(c, func() {
				if ctx.Err() == nil {
					r.cfg.Result(def.ID, catalog.StatusCritical, err.Error())
				}
			})
			return
		}
		r.spawn(c, func() { r.runProbe(ctx, c, p) })
	}
}

// prepare applies servicedef's defaults to def (timeout, initial status,
// failures_before_warning) and sets its OutputMaxSize to the cap in force;
// the runner's code reads these fields as they are.
func (r *Runner) prepare(def servicedef.Check) servicedef.Check {
	def.Normalize()
	def.OutputMaxSize = def.OutputLimit(r.cfg.OutputMaxSize)
	return def
}

// spawn runs f in c's goroutine, which Close waits for. r.mu is held.
func (r *Runner) spawn(c *running, f func()) {
	c.done = make(chan struct{})
	r.wg.Go(func() {
		defer close(c.done)
		f()
	})
}

// Stop stops the check checkID, if it runs. It returns at once; a run in
// flight is cancelled and its result dropped (only a Result call already
// under way can still complete).
func (r *Runner) Stop(checkID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.checks[checkID]; c != nil {
		delete(r.checks, checkID)
		c.stop()
	}
}

// Close stops every check and waits for their goroutines and Result calls
// to end; the Runner starts no check after it.
func (r *Runner) Close() {
	r.mu.Lock()
	r.closed = true
	for id, c := range r.checks {
		c.stop()
		delete(r.checks, id)
	}
	r.mu.Unlock()
	r.wg.Wait()
	r.transports.closeIdle()
}

// lookup returns the running check checkID, or nil.
func (r *Runner) lookup(checkID string) *running {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.checks[checkID]
}

// runProbe runs an active check until ctx ends: first after a random part
// of the interval, then an interval after each run ends.
func (r *Runner) runProbe(ctx context.Context, c *running, p probe) {
	def := &c.def
	interval := max(def.Interval, r.minInterval) // Check.RunInterval, with a floor tests can lower
	damp := dampenerFor(def)

	timer := time.NewTimer(firstDelay(interval))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		runCtx, cancel := context.WithTimeout(ctx, def.Timeout)
		began := time.Now()
		raw, output := p(runCtx)
		cancel()
		r.stats.runs.Add(1)
		r.stats.runNanos.Add(uint64(time.Since(began)))
		if ctx.Err() != nil {
			return // stopped during the run: its result is moot
		}
		last := damp.status
		status := damp.next(raw)
		if status != last {
			r.stats.changes.Add(1)
		}
		switch {
		case status != last && status == catalog.StatusPassing:
			r.log.Info("check is now passing", "check", def.ID)
		case status != last:
			r.log.Warn("check is now "+status, "check", def.ID, "output", capOutput(output, 200))
		case status != raw:
			r.log.Debug("check result dampened", "check", def.ID, "result", raw, "status", status)
		}
		r.cfg.Result(def.ID, status, capOutput(output, def.OutputMaxSize))
		timer.Reset(interval)
	}
}

// firstDelay returns how long a check waits before its first run: a
// random part of its interval, so checks started together spread out.
func firstDelay(interval time.Duration) time.Duration {
	return rand.N(interval)
}
