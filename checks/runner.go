package checks

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// Consul's defaults and limits for running checks.
const (
	// DefaultTimeout is the timeout of a check without Timeout, except
	// scripts.
	DefaultTimeout = 10 * time.Second
	// DefaultScriptTimeout is the timeout of a script check without
	// Timeout.
	DefaultScriptTimeout = 30 * time.Second
	// MinInterval is the shortest interval a check runs at; shorter ones
	// are raised to it (Consul's checks.MinInterval: no fork bombs).
	MinInterval = time.Second
	// aliasInterval is how often alias checks are re-evaluated when
	// Config.AliasChanged is nil.
	aliasInterval = time.Second
)

// Config configures a Runner.
type Config struct {
	// Result is called with each check's status after dampening (passing,
	// warning or critical) and its output, capped at the check's
	// OutputMaxSize, after every run: the caller throttles output-only
	// changes. Alias checks report only changes. See the package doc for
	// the calling rules.
	Result func(checkID, status, output string)
	// Logger receives the runner's warnings; nil discards them.
	Logger *slog.Logger
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

	// minInterval and aliasEvery are MinInterval and aliasInterval;
	// tests shorten them.
	minInterval time.Duration
	aliasEvery  time.Duration
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
		minInterval: MinInterval,
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
	interval := max(def.Interval, r.minInterval)
	timeout := timeoutFor(def)
	maxOut := outputMax(def.OutputMaxSize)
	damp := newDampener(def.Status, def.SuccessBeforePassing, def.FailuresBeforeWarning, def.FailuresBeforeCritical)

	timer := time.NewTimer(firstDelay(interval))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		runCtx, cancel := context.WithTimeout(ctx, timeout)
		raw, output := p(runCtx)
		cancel()
		if ctx.Err() != nil {
			return // stopped during the run: its result is moot
		}
		status := damp.next(raw)
		if status != raw {
			r.log.Debug("check result dampened", "check", def.ID, "result", raw, "status", status)
		}
		r.cfg.Result(def.ID, status, capOutput(output, maxOut))
		timer.Reset(interval)
	}
}

// firstDelay returns how long a check waits before its first run: a
// random part of its interval, so checks started together spread out.
func firstDelay(interval time.Duration) time.Duration {
	return rand.N(interval)
}

// timeoutFor returns a check's timeout: its own, or Consul's default for
// its type.
func timeoutFor(def *servicedef.Check) time.Duration {
	switch {
	case def.Timeout > 0:
		return def.Timeout
	case def.Type() == servicedef.TypeScript:
		return DefaultScriptTimeout
	}
	return DefaultTimeout
}
