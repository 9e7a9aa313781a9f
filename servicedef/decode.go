package servicedef

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/internal/rawvalue"
)

// Reasons for keys discod knows and refuses.
const (
	noMesh       = "discod has no service mesh"
	noDocker     = "docker checks (docker_container_id, shell) are not provided by discod: run the command in an args script check"
	noOSService  = "os_service checks are not provided by discod: use an args script check such as [\"systemctl\", \"is-active\", \"NAME\"]"
	noEnterprise = "namespaces and admin partitions are Consul Enterprise features discod does not have"
	noSocketPath = "socket_path (a Unix socket service) is not provided by discod"
)

var serviceFields = newTable([]field[Service]{
	{names: []string{"id"}, set: str(func(s *Service) *string { return &s.ID })},
	{names: []string{"name", "service"}, set: str(func(s *Service) *string { return &s.Name })},
	{names: []string{"tags"}, set: strs(func(s *Service) *[]string { return &s.Tags })},
	{names: []string{"address"}, set: str(func(s *Service) *string { return &s.Address })},
	{names: []string{"port"}, set: integer(func(s *Service) *int { return &s.Port })},
	{names: []string{"enable_tag_override"}, set: boolean(func(s *Service) *bool { return &s.EnableTagOverride })},
	{names: []string{"token"}, set: str(func(s *Service) *string { return &s.Token })},
	{names: []string{"meta"}, set: func(s *Service, raw any) (err error) {
		s.Meta, err = stringMap(raw)
		return err
	}},
	{names: []string{"tagged_addresses"}, set: decodeTaggedAddresses},
	{names: []string{"weights"}, set: decodeWeights},
	{names: []string{"kind"}, set: func(s *Service, raw any) error {
		k, err := rawvalue.String(raw)
		if err != nil {
			return err
		}
		if k != "" && k != "typical" {
			return fmt.Errorf("kind %q: %s; only plain services (kind \"\" or \"typical\") are registered", k, noMesh)
		}
		return nil
	}},
	{names: []string{"proxy"}, set: refused[Service](noMesh)},
	{names: []string{"connect"}, set: refused[Service](noMesh)},
	{names: []string{"namespace"}, set: enterprise[Service]},
	{names: []string{"partition"}, set: enterprise[Service]},
	{names: []string{"socket_path"}, set: refused[Service](noSocketPath)},
	// check and checks are decoded by DecodeService itself.
	{names: []string{"check"}},
	{names: []string{"checks"}},
})

var checkFields = newTable([]field[Check]{
	{names: []string{"id", "check_id"}, set: str(func(c *Check) *string { return &c.ID })},
	{names: []string{"name"}, set: str(func(c *Check) *string { return &c.Name })},
	{names: []string{"service_id"}, set: str(func(c *Check) *string { return &c.ServiceID })},
	{names: []string{"notes"}, set: str(func(c *Check) *string { return &c.Notes })},
	{names: []string{"status"}, set: str(func(c *Check) *string { return &c.Status })},
	{names: []string{"http"}, set: str(func(c *Check) *string { return &c.HTTP })},
	{names: []string{"tcp"}, set: str(func(c *Check) *string { return &c.TCP })},
	{names: []string{"udp"}, set: str(func(c *Check) *string { return &c.UDP })},
	{names: []string{"grpc"}, set: str(func(c *Check) *string { return &c.GRPC })},
	{names: []string{"h2ping"}, set: str(func(c *Check) *string { return &c.H2PING })},
	{names: []string{"ttl"}, set: duration(func(c *Check) *time.Duration { return &c.TTL })},
	{names: []string{"args", "script_args"}, set: strs(func(c *Check) *[]string { return &c.Args })},
	{names: []string{"script"}, set: str(func(c *Check) *string { return &c.Script })},
	{names: []string{"alias_node"}, set: str(func(c *Check) *string { return &c.AliasNode })},
	{names: []string{"alias_service"}, set: str(func(c *Check) *string { return &c.AliasService })},
	{names: []string{"method"}, set: str(func(c *Check) *string { return &c.Method })},
	{names: []string{"header"}, set: func(c *Check, raw any) (err error) {
		c.Header, err = listMap(raw)
		return err
	}},
	{names: []string{"body"}, set: str(func(c *Check) *string { return &c.Body })},
	{names: []string{"tls_server_name"}, set: str(func(c *Check) *string { return &c.TLSServerName })},
	{names: []string{"tls_skip_verify"}, set: boolean(func(c *Check) *bool { return &c.TLSSkipVerify })},
	{names: []string{"disable_redirects"}, set: boolean(func(c *Check) *bool { return &c.DisableRedirects })},
	{names: []string{"tcp_use_tls"}, set: boolean(func(c *Check) *bool { return &c.TCPUseTLS })},
	{names: []string{"grpc_use_tls"}, set: boolean(func(c *Check) *bool { return &c.GRPCUseTLS })},
	{names: []string{"h2ping_use_tls"}, set: boolean(func(c *Check) *bool { return &c.H2PingUseTLS })},
	{names: []string{"interval"}, set: duration(func(c *Check) *time.Duration { return &c.Interval })},
	{names: []string{"timeout"}, set: duration(func(c *Check) *time.Duration { return &c.Timeout })},
	{names: []string{"success_before_passing"}, set: integer(func(c *Check) *int { return &c.SuccessBeforePassing })},
	{names: []string{"failures_before_warning"}, set: integer(func(c *Check) *int { return &c.FailuresBeforeWarning })},
	{names: []string{"failures_before_critical"}, set: integer(func(c *Check) *int { return &c.FailuresBeforeCritical })},
	{names: []string{"deregister_critical_service_after"}, set: duration(func(c *Check) *time.Duration { return &c.DeregisterCriticalServiceAfter })},
	{names: []string{"output_max_size"}, set: integer(func(c *Check) *int { return &c.OutputMaxSize })},
	{names: []string{"token"}, set: str(func(c *Check) *string { return &c.Token })},
	{names: []string{"docker_container_id"}, set: refused[Check](noDocker)},
	{names: []string{"shell"}, set: refused[Check](noDocker)},
	{names: []string{"os_service"}, set: refused[Check](noOSService)},
	{names: []string{"namespace"}, set: enterprise[Check]},
	{names: []string{"partition"}, set: enterprise[Check]},
})

// enterprise accepts Consul Enterprise's namespace and partition keys only
// with their empty or default value.
func enterprise[T any](_ *T, raw any) error {
	s, err := rawvalue.String(raw)
	if err != nil {
		return err
	}
	if s != "" && s != "default" {
		return fmt.Errorf("%q: %s", s, noEnterprise)
	}
	return nil
}

func decodeWeights(s *Service, raw any) error {
	w := catalog.DefaultWeights
	err := subObject(raw, map[string]func(any) error{
		"passing": func(v any) (err error) { w.Passing, err = rawvalue.Int(v); return err },
		"warning": func(v any) (err error) { w.Warning, err = rawvalue.Int(v); return err },
	})
	s.Weights = &w
	return err
}

func decodeTaggedAddresses(s *Service, raw any) error {
	obj, err := rawvalue.Object(raw)
	if err != nil {
		return err
	}
	s.TaggedAddresses = make(map[string]catalog.ServiceAddress, len(obj))
	var errs []error
	for _, tag := range sortedKeys(obj) {
		var a catalog.ServiceAddress
		err := subObject(obj[tag], map[string]func(any) error{
			"address": func(v any) (err error) { a.Address, err = rawvalue.String(v); return err },
			"port":    func(v any) (err error) { a.Port, err = rawvalue.Int(v); return err },
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("key %q: %w", tag, err))
		}
		s.TaggedAddresses[tag] = a
	}
	return errors.Join(errs...)
}

// prefix joins the parts of a message's location, skipping empty ones.
func prefix(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ": ")
}

// located prefixes err with where, when there is a where.
func located(where string, err error) error {
	if where == "" {
		return err
	}
	return fmt.Errorf("%s: %w", where, err)
}

// keyError is the error of key k of an object.
func keyError(where, k string, err error) error {
	return located(where, fmt.Errorf("key %q: %w", k, err))
}

// serviceLabel names a service in messages by its name, else its ID, from
// a raw object: `service "web"`.
func serviceLabel(raw map[string]any) string {
	var byID string
	for k, v := range raw {
		s, ok := v.(string)
		if !ok || s == "" {
			continue
		}
		switch canon(k) {
		case "name", "service":
			return fmt.Sprintf("service %q", s)
		case "id":
			byID = fmt.Sprintf("service with id %q", s)
		}
	}
	if byID != "" {
		return byID
	}
	return "service"
}

// checkLabel names a check in messages: `check "ping"`, or by its position
// n (from 1; 0 when it is the only one).
func checkLabel(raw map[string]any, n int) string {
	for k, v := range raw {
		if s, ok := v.(string); ok && s != "" && canon(k) == "name" {
			return fmt.Sprintf("check %q", s)
		}
	}
	if n > 0 {
		return fmt.Sprintf("check %d", n)
	}
	return "check"
}

// DecodeService decodes one service definition from a generic map, as
// encoding/json (with UseNumber) or hcl.Decode produce it: a config file's
// service block (or one element of services), or an HTTP register body.
// Keys are Consul's, in snake_case or CamelCase; null values count as not
// given. source names where the definition came from ("config file
// /etc/discod.d/web.json"; "" for none) and prefixes every message, with
// the service and the key. Every problem found is reported, joined.
//
// The result is not normalized or validated: call Normalize, then
// Validate.
func DecodeService(raw map[string]any, source string) (Service, error) {
	s := Service{Source: source}
	where := prefix(source, serviceLabel(raw))
	var errs []error
	seen := map[string]string{}
	var checks []any // check first, then checks, as Consul
	for _, k := range sortedKeys(raw) {
		f, err := serviceFields.lookup(k)
		if err != nil {
			errs = append(errs, keyError(where, k, err))
			continue
		}
		if prev, dup := seen[f.names[0]]; dup {
			errs = append(errs, keyError(where, k, fmt.Errorf("the same key as %q, given twice", prev)))
			continue
		}
		seen[f.names[0]] = k
		v := raw[k]
		if v == nil {
			continue
		}
		switch f.names[0] {
		case "check":
			checks = append([]any{v}, checks...) // before checks' elements
			continue
		case "checks":
			l, err := rawvalue.Objects(v)
			if err != nil {
				errs = append(errs, keyError(where, k, err))
				continue
			}
			for _, o := range l {
				checks = append(checks, o)
			}
			continue
		}
		if err := f.set(&s, v); err != nil {
			errs = append(errs, keyError(where, k, err))
		}
	}
	var objs []map[string]any
	for _, c := range checks {
		l, err := rawvalue.Objects(c)
		if err != nil {
			errs = append(errs, keyError(where, "check", err))
			continue
		}
		objs = append(objs, l...)
	}
	for i, o := range objs {
		n := i + 1
		if len(objs) == 1 {
			n = 0
		}
		c, err := decodeCheck(o, prefix(where, checkLabel(o, n)))
		c.Source = source
		if err != nil {
			errs = append(errs, err)
		}
		s.Checks = append(s.Checks, c)
	}
	return s, errors.Join(errs...)
}

// DecodeCheck decodes one check definition from a generic map, as
// DecodeService does a service: a config file's check block (or one
// element of checks), or a /v1/agent/check/register body.
func DecodeCheck(raw map[string]any, source string) (Check, error) {
	c, err := decodeCheck(raw, prefix(source, checkLabel(raw, 0)))
	c.Source = source
	return c, err
}

func decodeCheck(raw map[string]any, where string) (Check, error) {
	var c Check
	var errs []error
	seen := map[string]string{}
	for _, k := range sortedKeys(raw) {
		f, err := checkFields.lookup(k)
		if err != nil {
			errs = append(errs, keyError(where, k, err))
			continue
		}
		v := raw[k]
		if v == nil {
			continue
		}
		if prev, dup := seen[f.names[0]]; dup {
			// ID and CheckID both given (a /v1/agent/check/register body
			// may carry both): fine when they agree.
			if a, ok := v.(string); ok && f.names[0] == "id" && a == raw[prev] {
				continue
			}
			errs = append(errs, keyError(where, k, fmt.Errorf("the same key as %q, given twice", prev)))
			continue
		}
		seen[f.names[0]] = k
		if err := f.set(&c, v); err != nil {
			errs = append(errs, keyError(where, k, err))
		}
	}
	if _, given := seen["h2ping_use_tls"]; !given && c.H2PING != "" {
		c.H2PingUseTLS = true // Consul's default
	}
	return c, errors.Join(errs...)
}
