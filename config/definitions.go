package config

import (
	"errors"
	"fmt"
	"time"

	"github.com/discod/discod/internal/rawvalue"
	"github.com/discod/discod/servicedef"
)

// This file reads the service and check definitions of config files
// (service, services, check, checks) through package servicedef, and
// checks what needs all files: unique IDs and the script check settings.

// definitionKeys are the top-level keys that hold definitions.
var definitionKeys = map[string]bool{"service": true, "services": true, "check": true, "checks": true}

// definitions decodes the definitions found under top-level key k (one of
// definitionKeys), normalizes and validates each, and records the valid
// ones in the walker's store.
func (w *walker) definitions(k string, raw any) {
	objs, err := rawvalue.Objects(raw)
	if err != nil {
		w.fail(k, err)
		return
	}
	source := "config file " + w.file
	for _, o := range objs {
		var warns []string
		switch k {
		case "service", "services":
			s, err := servicedef.DecodeService(o, source)
			if err == nil {
				s.FromFile = true
				s.Normalize()
				warns, err = s.Validate()
			}
			if err == nil {
				w.st.services = append(w.st.services, s)
			}
			w.defResult(warns, err)
		default:
			c, err := servicedef.DecodeCheck(o, source)
			if err == nil {
				c.FromFile = true
				c.Normalize()
				warns, err = c.Validate()
			}
			if err == nil {
				w.st.checks = append(w.st.checks, c)
			}
			w.defResult(warns, err)
		}
	}
}

func (w *walker) defResult(warns []string, err error) {
	w.warnings = append(w.warnings, warns...)
	if err != nil {
		w.errs = append(w.errs, err)
	}
}

// definitions sets Services and Checks from the merged store: service IDs
// and check IDs must be unique across all files, and script checks need
// enable_local_script_checks or enable_script_checks.
func (r *Runtime) definitions(st *store) error {
	var errs []error
	serviceAt := map[string]string{}
	for _, s := range st.services {
		if prev, dup := serviceAt[s.ID]; dup {
			errs = append(errs, fmt.Errorf("%s: service %q: service ID %q is already defined in %s", s.Source, s.Name, s.ID, prev))
			continue
		}
		serviceAt[s.ID] = s.Source
		r.Services = append(r.Services, s)
	}
	checkAt := map[string]string{}
	seeCheck := func(c *servicedef.Check) bool {
		if prev, dup := checkAt[c.ID]; dup {
			errs = append(errs, fmt.Errorf("%s: check %q: check ID %q is already defined in %s", c.Source, c.Name, c.ID, prev))
			return false
		}
		checkAt[c.ID] = c.Source
		return true
	}
	for i := range r.Services {
		for j := range r.Services[i].Checks {
			seeCheck(&r.Services[i].Checks[j])
		}
		if err := r.Services[i].ScriptsAllowed(r.EnableScriptChecks, r.EnableLocalScriptChecks); err != nil {
			errs = append(errs, err)
		}
	}
	for i := range st.checks {
		c := st.checks[i]
		if !seeCheck(&c) {
			continue
		}
		if err := c.ScriptsAllowed(r.EnableScriptChecks, r.EnableLocalScriptChecks); err != nil {
			errs = append(errs, err)
		}
		r.Checks = append(r.Checks, c)
	}
	return errors.Join(errs...)
}

// checkScriptExposure refuses enable_script_checks on an HTTP API that is
// reachable from other machines without a token: anyone who can reach it
// could register a script check and so run commands here.
func (r *Runtime) checkScriptExposure(st *store) error {
	if !r.EnableScriptChecks || r.ClientAddr.IsLoopback() || r.HTTPToken != "" {
		return nil
	}
	return fmt.Errorf("%s: enable_script_checks lets anyone who can reach the HTTP API run commands on this machine (remote code execution), "+
		"and the API listens on %s (%s), which is not loopback: set http_token (-http-token) as well, "+
		"or use enable_local_script_checks to run only the script checks of config files",
		origin(st, "enable_script_checks"), r.ClientAddr, origin(st, "client_addr"))
}

// serviceTTL collects dns_config.service_ttl, later entries winning.
func serviceTTL(st *store) map[string]time.Duration {
	es := st.list["dns_config.service_ttl"]
	if len(es) == 0 {
		return nil
	}
	out := make(map[string]time.Duration, len(es))
	for _, e := range es {
		p := e.val.(ttlPair)
		out[p.name] = p.ttl
	}
	return out
}
