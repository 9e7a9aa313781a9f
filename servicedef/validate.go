package servicedef

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/discod/discod/catalog"
)

// maxSRVWeight is the largest weight an SRV record carries (16 bits).
const maxSRVWeight = 65535

// Validate checks a normalized service against Consul's rules and limits.
// It returns warnings for what Consul accepts with a warning (a name or tag
// that DNS cannot answer, an ignored token, a deprecated or adjusted check
// setting) and an error joining every problem, each naming the source,
// the service and the key: `config file /x/web.json: service "web": key
// "meta": service metadata key "consul-x" uses the reserved prefix
// "consul-"`.
func (s *Service) Validate() (warnings []string, err error) {
	where := prefix(s.Source, s.label())
	var errs []error
	fail := func(key string, err error) { errs = append(errs, keyError(where, key, err)) }
	warn := func(key, format string, args ...any) {
		warnings = append(warnings, keyError(where, key, fmt.Errorf(format, args...)).Error())
	}

	if s.Name == "" {
		fail("name", errors.New("a service needs a name"))
	} else if !DNSCompatible(s.Name) {
		warn("name", "service name %q will not be discoverable via DNS: use 1–63 letters, digits and hyphens", s.Name)
	}
	if s.ID == "" && s.Name != "" {
		fail("id", errors.New("empty (call Normalize first)"))
	}
	for _, t := range s.Tags {
		if !DNSCompatible(t) {
			warn("tags", "service tag %q will not be discoverable via DNS: use 1–63 letters, digits and hyphens", t)
		}
	}
	if err := checkPort(s.Port); err != nil {
		fail("port", err)
	}
	if err := validateMeta(s.Meta); err != nil {
		fail("meta", err)
	}
	for _, tag := range sortedKeys(s.TaggedAddresses) {
		a := s.TaggedAddresses[tag]
		if a.Address == "" {
			fail("tagged_addresses", fmt.Errorf("key %q: key \"address\": empty", tag))
		}
		if err := checkPort(a.Port); err != nil {
			fail("tagged_addresses", fmt.Errorf("key %q: key \"port\": %w", tag, err))
		}
	}
	if w := s.Weights; w != nil {
		switch {
		case w.Passing < 1 || w.Passing > maxSRVWeight:
			fail("weights", fmt.Errorf("passing weight %d is out of range 1–%d", w.Passing, maxSRVWeight))
		case w.Warning < 0 || w.Warning > maxSRVWeight:
			fail("weights", fmt.Errorf("warning weight %d is out of range 0–%d", w.Warning, maxSRVWeight))
		}
	}
	if s.Token != "" {
		warn("token", "ignored: discod has no ACLs")
	}
	ids := map[string]int{}
	for i := range s.Checks {
		c := &s.Checks[i]
		cw, cerrs := c.validate(prefix(where, c.label()))
		warnings = append(warnings, cw...)
		errs = append(errs, cerrs...)
		if j, dup := ids[c.ID]; dup {
			errs = append(errs, located(where, fmt.Errorf("checks %d and %d have the same ID %q", j+1, i+1, c.ID)))
		}
		ids[c.ID] = i
	}
	return warnings, errors.Join(errs...)
}

// Validate checks a normalized check as Service.Validate does a service;
// messages name the source, the check and the key.
func (c *Check) Validate() (warnings []string, err error) {
	w, errs := c.validate(prefix(c.Source, c.label()))
	return w, errors.Join(errs...)
}

// label names the service in messages.
func (s *Service) label() string {
	if s.Name == "" && s.ID != "" {
		return fmt.Sprintf("service with id %q", s.ID)
	}
	return fmt.Sprintf("service %q", s.Name)
}

// label names the check in messages.
func (c *Check) label() string {
	switch {
	case c.Name != "":
		return fmt.Sprintf("check %q", c.Name)
	case c.ID != "":
		return fmt.Sprintf("check with id %q", c.ID)
	}
	return "check"
}

// types lists the types the check's keys select, by key name.
func (c *Check) types() []string {
	var keys []string
	add := func(set bool, key string) {
		if set {
			keys = append(keys, key)
		}
	}
	add(c.HTTP != "", "http")
	add(c.TCP != "", "tcp")
	add(c.UDP != "", "udp")
	add(c.GRPC != "", "grpc")
	add(c.H2PING != "", "h2ping")
	add(c.TTL != 0, "ttl")
	add(len(c.Args) > 0, "args")
	add(c.Script != "", "script")
	add(c.AliasNode != "" || c.AliasService != "", "alias_service/alias_node")
	return keys
}

func (c *Check) validate(where string) (warnings []string, errs []error) {
	fail := func(key string, err error) {
		if key == "" {
			errs = append(errs, located(where, err))
			return
		}
		errs = append(errs, keyError(where, key, err))
	}
	warn := func(key, format string, args ...any) {
		warnings = append(warnings, keyError(where, key, fmt.Errorf(format, args...)).Error())
	}

	if c.Name == "" {
		fail("name", errors.New("a check needs a name"))
	}
	if c.ID == "" && c.Name != "" {
		fail("id", errors.New("empty (call Normalize first)"))
	}
	switch types := c.types(); len(types) {
	case 0:
		fail("", errors.New("no check type: give one of http, tcp, udp, grpc, h2ping, ttl, args or alias_service/alias_node"))
	case 1:
	default:
		fail("", fmt.Errorf("a check has exactly one type, but this one has %s", strings.Join(types, " and ")))
	}
	typ := c.Type()
	switch {
	case c.TTL < 0:
		fail("ttl", fmt.Errorf("%s is negative", c.TTL))
	case c.Interval < 0:
		fail("interval", fmt.Errorf("%s is negative", c.Interval))
	case c.Interval == 0 && needsInterval(typ):
		fail("interval", fmt.Errorf("a %s check needs an interval such as \"10s\"", typ))
	case c.Interval > 0 && c.Interval < MinInterval && needsInterval(typ):
		warn("interval", "%s is below the minimum of %s; the check runs every %s", c.Interval, MinInterval, MinInterval)
	}
	if c.Timeout < 0 {
		fail("timeout", fmt.Errorf("%s is negative", c.Timeout))
	}
	switch c.Status {
	case "", catalog.StatusPassing, catalog.StatusWarning, catalog.StatusCritical:
	default:
		fail("status", fmt.Errorf("%q is not passing, warning or critical", c.Status))
	}
	if d := c.DeregisterCriticalServiceAfter; d < 0 || d > 0 && d < MinDeregisterCriticalServiceAfter {
		fail("deregister_critical_service_after", fmt.Errorf("%s is below the minimum of %s", d, MinDeregisterCriticalServiceAfter))
	}
	for _, n := range []struct {
		key string
		v   int
	}{
		{"output_max_size", c.OutputMaxSize},
		{"success_before_passing", c.SuccessBeforePassing},
		{"failures_before_warning", c.FailuresBeforeWarning},
		{"failures_before_critical", c.FailuresBeforeCritical},
	} {
		if n.v < 0 {
			fail(n.key, fmt.Errorf("%d is negative", n.v))
		}
	}
	switch typ {
	case TypeHTTP:
		if err := checkURL(c.HTTP); err != nil {
			fail("http", err)
		}
		if m := c.Method; m != "" && strings.ToUpper(m) != m || strings.ContainsAny(c.Method, " \t/") {
			fail("method", fmt.Errorf("%q is not an HTTP method such as GET or POST", c.Method))
		}
	case TypeTCP:
		if err := checkHostPort(c.TCP); err != nil {
			fail("tcp", err)
		}
	case TypeUDP:
		if err := checkHostPort(c.UDP); err != nil {
			fail("udp", err)
		}
	case TypeGRPC:
		hostPort, _, _ := strings.Cut(c.GRPC, "/")
		if err := checkHostPort(hostPort); err != nil {
			fail("grpc", fmt.Errorf("%w (the form is host:port or host:port/service)", err))
		}
	case TypeH2Ping:
		if err := checkHostPort(c.H2PING); err != nil {
			fail("h2ping", err)
		}
	case TypeScript:
		if len(c.Args) > 0 && c.Args[0] == "" {
			fail("args", errors.New("the command (the first item) is empty"))
		}
		if c.Script != "" && len(c.Args) == 0 {
			warn("script", "deprecated: it runs as /bin/sh -c; give the command as args instead")
		}
	}
	if c.Token != "" {
		warn("token", "ignored: discod has no ACLs")
	}
	return warnings, errs
}

// needsInterval reports whether checks of type typ run on an interval.
func needsInterval(typ string) bool {
	switch typ {
	case TypeHTTP, TypeTCP, TypeUDP, TypeGRPC, TypeH2Ping, TypeScript:
		return true
	}
	return false
}

func checkPort(p int) error {
	if p < 0 || p > 65535 {
		return fmt.Errorf("port %d is out of range 0–65535", p)
	}
	return nil
}

// checkURL accepts an absolute http or https URL.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an http:// or https:// URL", s)
	}
	return nil
}

// checkHostPort accepts host:port with a numeric port.
func checkHostPort(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not host:port", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: port %q is not a number from 1 to 65535", s, port)
	}
	return nil
}

// validateMeta checks service metadata against Consul's limits.
func validateMeta(m map[string]string) error {
	if len(m) > MaxMetaPairs {
		return fmt.Errorf("service metadata has %d pairs, more than %d", len(m), MaxMetaPairs)
	}
	var errs []error
	for _, k := range sortedKeys(m) {
		if err := ValidateMetaPair("service metadata", k, m[k], []string{ReservedMetaPrefix}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
