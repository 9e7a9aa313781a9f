package checks

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// scriptProbe returns the probe of a script check: args run directly (the
// legacy script string through /bin/sh -c); exit 0 is passing, 1 warning,
// anything else critical. The output is stdout and stderr together, up to
// the cap; at the timeout the whole process group is killed.
func (r *Runner) scriptProbe(def servicedef.Check) probe {
	args := def.Args
	if len(args) == 0 {
		args = []string{"/bin/sh", "-c", def.Script}
		r.warnShell(def.ID)
	}
	return func(ctx context.Context) (string, string) {
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		killProcessGroup(cmd)
		// Output pipes held open by an orphan outside the group do not
		// keep the run waiting past the kill.
		cmd.WaitDelay = time.Second
		out := &headBuffer{max: def.OutputMaxSize}
		cmd.Stdout, cmd.Stderr = out, out // one writer: one copier, no races
		err := cmd.Run()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg := fmt.Sprintf("Timed out (%s) running check", def.Timeout)
			if s := out.String(); s != "" {
				msg += "\n\n" + s
			}
			return catalog.StatusCritical, msg
		}
		var exitErr *exec.ExitError
		switch {
		case err == nil:
			return catalog.StatusPassing, out.String()
		case errors.As(err, &exitErr):
			if exitErr.ExitCode() == 1 {
				return catalog.StatusWarning, out.String()
			}
			return catalog.StatusCritical, out.String()
		}
		return catalog.StatusCritical, err.Error() // not started: not found, not executable
	}
}

// warnShell logs, once per check ID, that the legacy script field is
// deprecated. r.mu is held (by Start).
func (r *Runner) warnShell(checkID string) {
	if !r.shellWarned[checkID] {
		r.shellWarned[checkID] = true
		r.log.Warn(`check uses the deprecated "script" field; use "args" (run without a shell)`, "check", checkID)
	}
}
