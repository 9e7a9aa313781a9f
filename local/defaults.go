package local

import (
	"fmt"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// This file holds the few defaults and checks the State cannot do
// without. The full rules (keys, limits, every field) belong to
// servicedef's Normalize and Validate; these stand in until definitions
// arrive through them, and stay harmless afterwards (they only fill what
// is empty and refuse what could not be stored).

// normalizeService fills the service's ID from its name and its checks'
// service IDs, IDs and names, Consul's way: service:<id>, or
// service:<id>:<n> from 1 when there are several.
func normalizeService(d *servicedef.Service) {
	if d.ID == "" {
		d.ID = d.Name
	}
	for i := range d.Checks {
		c := &d.Checks[i]
		c.ServiceID = d.ID
		if c.ID == "" {
			c.ID = "service:" + d.ID
			if len(d.Checks) > 1 {
				c.ID = fmt.Sprintf("service:%s:%d", d.ID, i+1)
			}
		}
		if c.Name == "" {
			c.Name = fmt.Sprintf("Service '%s' check", d.Name)
		}
		if c.Source == "" {
			c.Source = d.Source
		}
	}
}

// normalizeCheck fills a check's ID from its name.
func normalizeCheck(c *servicedef.Check) {
	if c.ID == "" {
		c.ID = c.Name
	}
}

func validateService(d *servicedef.Service) error {
	if d.Name == "" {
		return errorf(ErrInvalid, "service (%s): missing name", d.Source)
	}
	if catalog.IsMaintenance(d.ID) {
		return errorf(ErrInvalid, "service %q: the ID is reserved for maintenance checks", d.ID)
	}
	for i := range d.Checks {
		if err := validateCheck(&d.Checks[i]); err != nil {
			return fmt.Errorf("service %q: %w", d.ID, err)
		}
	}
	return nil
}

func validateCheck(c *servicedef.Check) error {
	switch {
	case c.ID == "":
		return errorf(ErrInvalid, "check (%s): missing name (or id)", sourceOf(c))
	case catalog.IsMaintenance(c.ID) || c.ID == catalog.SerfCheckID:
		return errorf(ErrInvalid, "check %q: the ID is reserved for the checks the agent makes itself", c.ID)
	case c.Type() == "":
		return errorf(ErrInvalid, "check %q: no check type: give one of http, tcp, udp, grpc, h2ping, ttl, args, alias_service, alias_node", c.ID)
	case c.Status != "" && c.Status != catalog.StatusPassing && c.Status != catalog.StatusWarning && c.Status != catalog.StatusCritical:
		return errorf(ErrInvalid, "check %q: status %q is not passing, warning or critical", c.ID, c.Status)
	}
	return nil
}
