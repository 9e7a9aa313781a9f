package servicedef

import (
	"fmt"
	"strconv"
	"time"

	"github.com/discod/discod/catalog"
)

// Defaults and limits, Consul's.
const (
	// DefaultOutputMaxSize is the default of the agent's
	// check_output_max_size and so of a check's output limit, in bytes.
	DefaultOutputMaxSize = 4096
	// MinInterval is the shortest interval a check runs at; shorter ones
	// are raised to it (with a warning), as Consul's MinInterval.
	MinInterval = time.Second
	// MinDeregisterCriticalServiceAfter is the shortest
	// deregister_critical_service_after.
	MinDeregisterCriticalServiceAfter = time.Minute
)

// DefaultTimeout returns Consul's default timeout of a check type: 10s for
// http, tcp, udp, grpc and h2ping, 30s for script, 0 for the types that
// run nothing (ttl, alias).
func DefaultTimeout(typ string) time.Duration {
	switch typ {
	case TypeHTTP, TypeTCP, TypeUDP, TypeGRPC, TypeH2Ping:
		return 10 * time.Second
	case TypeScript:
		return 30 * time.Second
	}
	return 0
}

// Normalize applies Consul's defaults: the ID is the name when not given,
// and each check of the service gets the service's ID as its ServiceID,
// the ID service:<service-id> (service:<service-id>:N, N from 1, when the
// service has several checks) and the name "Service '<name>' check" when
// not given, the service's Source and FromFile, and the check defaults of
// Check.Normalize.
func (s *Service) Normalize() {
	if s.ID == "" {
		s.ID = s.Name
	}
	for i := range s.Checks {
		c := &s.Checks[i]
		c.ServiceID = s.ID
		if c.ID == "" {
			c.ID = "service:" + s.ID
			if len(s.Checks) > 1 {
				c.ID += ":" + strconv.Itoa(i+1)
			}
		}
		if c.Name == "" {
			c.Name = fmt.Sprintf("Service '%s' check", s.Name)
		}
		if c.Source == "" {
			c.Source = s.Source
		}
		c.FromFile = c.FromFile || s.FromFile
		c.Normalize()
	}
}

// Normalize applies Consul's check defaults: the ID is the name when not
// given, the initial status critical, the timeout the type's
// (DefaultTimeout), and failures_before_warning that of
// failures_before_critical.
func (c *Check) Normalize() {
	if c.ID == "" {
		c.ID = c.Name
	}
	if c.Status == "" {
		c.Status = catalog.StatusCritical
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout(c.Type())
	}
	if c.FailuresBeforeWarning == 0 {
		c.FailuresBeforeWarning = c.FailuresBeforeCritical
	}
}

// RunInterval is the interval the check runs at: Interval, raised to
// MinInterval.
func (c *Check) RunInterval() time.Duration {
	return max(c.Interval, MinInterval)
}

// OutputLimit is the most output the check keeps, in bytes: its own
// OutputMaxSize when set and smaller than the agent's limit agentMax
// (check_output_max_size), else agentMax; DefaultOutputMaxSize when
// agentMax is not positive.
func (c *Check) OutputLimit(agentMax int) int {
	if agentMax <= 0 {
		agentMax = DefaultOutputMaxSize
	}
	if c.OutputMaxSize > 0 && c.OutputMaxSize < agentMax {
		return c.OutputMaxSize
	}
	return agentMax
}
