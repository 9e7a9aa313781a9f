package local

import (
	"errors"
	"strings"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// This file applies servicedef's rules (Normalize, Validate,
// ScriptsAllowed) and adds the one the State itself needs: the IDs of the
// checks the agent makes are not for definitions.

// prepareService normalizes and validates a service and its checks,
// forcing FromFile to fromFile on all of them, and logs the warnings of
// an API registration (the config loader reports those of files).
func (s *State) prepareService(d *servicedef.Service, fromFile bool) error {
	d.FromFile = fromFile
	for i := range d.Checks {
		d.Checks[i].FromFile = fromFile
	}
	d.Normalize()
	warnings, err := d.Validate()
	if err != nil {
		return errorf(ErrInvalid, "%s", err)
	}
	if catalog.IsMaintenance(d.ID) {
		return errorf(ErrInvalid, "service %q: the ID is reserved for maintenance checks", d.ID)
	}
	for i := range d.Checks {
		if err := reservedCheckID(&d.Checks[i]); err != nil {
			return err
		}
	}
	s.warn(fromFile, warnings)
	return nil
}

// prepareCheck is prepareService for a check of its own.
func (s *State) prepareCheck(c *servicedef.Check, fromFile bool) error {
	c.FromFile = fromFile
	c.Normalize()
	warnings, err := c.Validate()
	if err != nil {
		return errorf(ErrInvalid, "%s", err)
	}
	if err := reservedCheckID(c); err != nil {
		return err
	}
	s.warn(fromFile, warnings)
	return nil
}

func reservedCheckID(c *servicedef.Check) error {
	if catalog.IsMaintenance(c.ID) || c.ID == catalog.SerfCheckID {
		return errorf(ErrInvalid, "check %q: the ID is reserved for the checks the agent makes itself", c.ID)
	}
	return nil
}

func (s *State) warn(fromFile bool, warnings []string) {
	if fromFile {
		return
	}
	for _, w := range warnings {
		s.log.Warn("registered with a warning", "warning", w)
	}
}

// checkAllowed refuses script checks unless the setting that enables them
// for def's source is on (servicedef.Check.ScriptsAllowed).
func (s *State) checkAllowed(def *servicedef.Check) error {
	err := def.ScriptsAllowed(s.cfg.EnableScriptChecks, s.cfg.EnableLocalScriptChecks)
	if err == nil {
		return nil
	}
	msg := err.Error()
	if !def.FromFile && !strings.Contains(msg, "nothing was run") {
		msg += "; nothing was run"
	}
	if errors.Is(err, servicedef.ErrScriptChecksDisabled) {
		return errorf(ErrScriptChecksDisabled, "%s", msg)
	}
	return errorf(ErrInvalid, "%s", msg)
}
