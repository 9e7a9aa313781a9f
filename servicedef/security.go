package servicedef

import (
	"errors"
	"fmt"
)

// ErrScriptChecksDisabled is wrapped by the errors of ScriptsAllowed.
var ErrScriptChecksDisabled = errors.New("script checks are disabled")

// ScriptsAllowed is the one rule for running script checks (args or
// script): enable_script_checks allows them from any source, including
// the HTTP API (a remote code execution risk when the API is reachable),
// and enable_local_script_checks only from config files (FromFile). Any
// other check is always allowed. The error names the check's source and
// says which setting would allow it.
func (c *Check) ScriptsAllowed(enableScriptChecks, enableLocalScriptChecks bool) error {
	if c.Type() != TypeScript || enableScriptChecks || c.FromFile && enableLocalScriptChecks {
		return nil
	}
	hint := "set enable_script_checks to run script checks registered over the HTTP API (anyone who can reach the API can then run commands on this machine)"
	if c.FromFile {
		hint = "set enable_local_script_checks = true to run script checks from config files"
	}
	return located(prefix(c.Source, c.label()), fmt.Errorf("%w: %s", ErrScriptChecksDisabled, hint))
}

// ScriptsAllowed applies Check.ScriptsAllowed to each of the service's
// checks.
func (s *Service) ScriptsAllowed(enableScriptChecks, enableLocalScriptChecks bool) error {
	var errs []error
	for i := range s.Checks {
		if err := s.Checks[i].ScriptsAllowed(enableScriptChecks, enableLocalScriptChecks); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
