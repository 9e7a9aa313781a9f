package checks

import (
	"fmt"
	"sync"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// ttlExpired is Consul's output of a TTL check whose TTL ran out.
const ttlExpired = "TTL expired"

// ttlState is a started TTL check: a timer that turns it critical unless
// TTLUpdate comes first.
type ttlState struct {
	id     string
	ttl    time.Duration
	maxOut int
	result func(checkID, status, output string)

	// report orders the Result calls of updates and expiry; mu guards the
	// fields below and is never held during a Result call, so stop never
	// waits for one.
	report     sync.Mutex
	mu         sync.Mutex
	stopped    bool
	deadline   time.Time
	lastOutput string
	timer      *time.Timer
}

// startTTL starts the TTL clock of def.
func (r *Runner) startTTL(def servicedef.Check) *ttlState {
	t := &ttlState{
		id:       def.ID,
		ttl:      def.TTL,
		maxOut:   def.OutputMaxSize,
		result:   r.cfg.Result,
		deadline: time.Now().Add(def.TTL),
	}
	t.timer = time.AfterFunc(def.TTL, t.expire)
	return t
}

// expire reports the check critical when its deadline has passed (an
// update racing the timer moves the deadline and wins).
func (t *ttlState) expire() {
	t.report.Lock()
	defer t.report.Unlock()
	t.mu.Lock()
	if t.stopped || time.Now().Before(t.deadline) {
		t.mu.Unlock()
		return
	}
	out := ttlExpired
	if t.lastOutput != "" {
		out = capOutput(ttlExpired+" (last output before timeout follows): "+t.lastOutput, t.maxOut)
	}
	t.mu.Unlock()
	t.result(t.id, catalog.StatusCritical, out)
}

// stop ends the TTL clock; it does not wait for a Result call in flight.
func (t *ttlState) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	t.timer.Stop()
}

// TTLUpdate sets the status and output of the TTL check checkID and
// restarts its TTL; it reports them through Config.Result before it
// returns, so it must not be called under a lock that Result takes. It fails for an unknown check, a check of another type, or a
// status other than passing, warning or critical.
func (r *Runner) TTLUpdate(checkID, status, output string) error {
	switch status {
	case catalog.StatusPassing, catalog.StatusWarning, catalog.StatusCritical:
	default:
		return fmt.Errorf("check %q: status %q is not passing, warning or critical", checkID, status)
	}
	c := r.lookup(checkID)
	if c == nil {
		return fmt.Errorf("check %q: %w", checkID, ErrUnknownCheck)
	}
	if c.ttl == nil {
		return fmt.Errorf("check %q is a %s check, not a TTL check: %w", checkID, c.def.Type(), ErrNotTTL)
	}
	t := c.ttl
	t.report.Lock()
	defer t.report.Unlock()
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return fmt.Errorf("check %q: %w", checkID, ErrUnknownCheck)
	}
	output = capOutput(output, t.maxOut)
	t.lastOutput = output
	t.deadline = time.Now().Add(t.ttl)
	t.timer.Reset(t.ttl)
	t.mu.Unlock()
	t.result(t.id, status, output)
	return nil
}
