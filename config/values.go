package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/discod/discod/dnsrules"
	"github.com/discod/discod/servicedef"
)

// This file holds the checks that validate one value and turn it into its
// stored form. They know nothing of where the value came from: callers
// prefix the file and key, or the flag.

// metaPair is one node_meta entry.
type metaPair struct{ key, value string }

// reservedMetaPrefixes are node_meta key prefixes kept for internal use:
// Consul's and discod's own.
var reservedMetaPrefixes = []string{servicedef.ReservedMetaPrefix, "discod-"}

func checkNodeName(v any) (any, error) {
	s := v.(string)
	if err := dnsrules.ValidateLabel("node name", s); err != nil {
		return nil, fmt.Errorf("%w; set a valid name with -node or node_name", err)
	}
	return s, nil
}

func checkDatacenter(v any) (any, error) {
	s := v.(string)
	if err := dnsrules.ValidateLabel("datacenter", s); err != nil {
		return nil, err
	}
	return strings.ToLower(s), nil
}

// parseAddr parses one IP address, refusing Consul's go-sockaddr templates
// and address lists with a message that says so.
func parseAddr(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return netip.Addr{}, errors.New("address is empty")
	case strings.Contains(s, "{{"):
		return netip.Addr{}, fmt.Errorf("%q is a go-sockaddr template, which discod does not support: give an IP address", s)
	case strings.ContainsAny(s, " \t,"):
		return netip.Addr{}, fmt.Errorf("%q is a list: discod takes a single IP address here", s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		if _, perr := netip.ParseAddrPort(s); perr == nil {
			return netip.Addr{}, fmt.Errorf("%q has a port: give the address alone and set the port with its own setting", s)
		}
		return netip.Addr{}, fmt.Errorf("%q is not an IP address", s)
	}
	return a.Unmap(), nil
}

// checkAddr accepts any IP address, wildcards included.
func checkAddr(v any) (any, error) { return parseAddr(v.(string)) }

// checkAdvertise accepts an address other agents can reach: not a wildcard
// or multicast address.
func checkAdvertise(v any) (any, error) {
	a, err := parseAddr(v.(string))
	if err != nil {
		return nil, err
	}
	if a.IsUnspecified() {
		return nil, fmt.Errorf("%s is a wildcard: advertise the one address other agents should use", a)
	}
	if a.IsMulticast() {
		return nil, fmt.Errorf("%s is a multicast address", a)
	}
	return a, nil
}

func checkNonEmpty(v any) (any, error) {
	s := strings.TrimSpace(v.(string))
	if s == "" {
		return nil, errors.New("value is empty")
	}
	return s, nil
}

func checkNonNegative(v any) (any, error) {
	if n := v.(int); n < 0 {
		return nil, fmt.Errorf("%d is negative", n)
	}
	return v, nil
}

func checkPort(v any) (any, error) {
	n := v.(int)
	switch {
	case n == -1:
		return nil, errors.New("port -1 (Consul's \"disabled\") is not supported by discod: give a port from 0 to 65535")
	case n < 0 || n > 65535:
		return nil, fmt.Errorf("port %d is out of range 0–65535", n)
	}
	return n, nil
}

func checkPositiveDuration(v any) (any, error) {
	if d := v.(time.Duration); d <= 0 {
		return nil, fmt.Errorf("duration %s must be positive", d)
	}
	return v, nil
}

// maxTTL is the largest TTL discod gives any answer (dnsrules.MaxTTL).
// RFC 2181 §8 would allow 2^31-1 seconds; the DNS plugin caps every TTL
// at this, and the configuration refuses what the plugin would refuse.
const maxTTL = dnsrules.MaxTTL * time.Second

// checkTTL accepts a DNS TTL: whole seconds from 0 to dnsrules.MaxTTL.
func checkTTL(v any) (any, error) {
	d := v.(time.Duration)
	switch {
	case d < 0:
		return nil, fmt.Errorf("TTL %s is negative", d)
	case d > maxTTL:
		return nil, fmt.Errorf("TTL %s is longer than discod's maximum of %d seconds (%s): the DNS plugin gives no answer a longer TTL", d, dnsrules.MaxTTL, maxTTL)
	case d%time.Second != 0:
		return nil, fmt.Errorf("TTL %s is not a whole number of seconds", d)
	}
	return d, nil
}

// checkDomain normalises a DNS zone name to lower-case, fully qualified
// form and checks its labels.
func checkDomain(v any) (any, error) {
	d := strings.ToLower(strings.TrimSpace(v.(string)))
	if d == "" {
		return nil, errors.New("domain is empty")
	}
	if !strings.HasSuffix(d, ".") {
		d += "."
	}
	if d == "." {
		return nil, errors.New("domain may not be the DNS root")
	}
	if strings.HasPrefix(d, ".") || strings.Contains(d, "..") {
		return nil, fmt.Errorf("domain %q has an empty label", d)
	}
	if err := dnsrules.CheckZone(d); err != nil {
		return nil, fmt.Errorf("domain %q: %w", d, err)
	}
	return d, nil
}

// logLevels maps the accepted log level spellings to discod's names.
var logLevels = map[string]string{
	"trace": "trace", "debug": "debug", "info": "info",
	"warn": "warn", "warning": "warn", "err": "error", "error": "error",
}

func checkLogLevel(v any) (any, error) {
	s := v.(string)
	l, ok := logLevels[strings.ToLower(strings.TrimSpace(s))]
	if !ok {
		return nil, fmt.Errorf("log level %q is not one of trace, debug, info, warn, error", s)
	}
	return l, nil
}

// checkRecursor normalises ADDR or ADDR:PORT to ADDR:PORT
// (dnsrules.ParseRecursor).
func checkRecursor(v any) (any, error) {
	ap, err := dnsrules.ParseRecursor(v.(string))
	if err != nil {
		return nil, err
	}
	return ap.String(), nil
}

// checkPrefix accepts a CIDR prefix or a bare address (one host).
func checkPrefix(v any) (any, error) {
	s := strings.TrimSpace(v.(string))
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a CIDR prefix such as 10.0.0.0/8", s)
	}
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return nil, fmt.Errorf("%q is an IPv4-mapped prefix shorter than /96", s)
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// checkJoinAddr accepts a join target: a host name or IP, with an optional
// port. Names are resolved when joining, not here.
func checkJoinAddr(v any) (any, error) {
	s := strings.TrimSpace(v.(string))
	switch {
	case s == "":
		return nil, errors.New("join address is empty")
	case strings.HasPrefix(s, "provider="):
		return nil, fmt.Errorf("%q is a cloud auto-join setting, which discod does not support: give host names or addresses", s)
	case strings.ContainsAny(s, " \t,"):
		return nil, fmt.Errorf("join address %q contains spaces or commas: give one address per entry", s)
	}
	return s, nil
}

// parseMetaFlag splits a -node-meta argument at its first colon. A pair
// without a colon has an empty value, as Consul's flag.
func parseMetaFlag(s string) metaPair {
	k, v, _ := strings.Cut(s, ":")
	return metaPair{key: k, value: v}
}

func checkMetaPair(v any) (any, error) {
	p := v.(metaPair)
	if err := servicedef.ValidateMetaPair("node metadata", p.key, p.value, reservedMetaPrefixes); err != nil {
		return nil, err
	}
	return p, nil
}

func checkEncrypt(v any) (any, error) {
	s := strings.TrimSpace(v.(string))
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("encryption key is not valid base64: %w", err)
	}
	switch len(key) {
	case 16, 24, 32:
		return s, nil
	}
	return nil, fmt.Errorf("encryption key decodes to %d bytes; it must be 16, 24 or 32 (generate one with \"openssl rand -base64 32\")", len(key))
}

// checkMetricsAddr accepts host:port where host is empty (all addresses)
// or an IP address.
func checkMetricsAddr(v any) (any, error) {
	s := strings.TrimSpace(v.(string))
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return nil, fmt.Errorf("metrics address %q is not host:port (such as 127.0.0.1:9153)", s)
	}
	if host != "" {
		if _, err := netip.ParseAddr(host); err != nil {
			return nil, fmt.Errorf("metrics address %q: host %q is not an IP address", s, host)
		}
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return nil, fmt.Errorf("metrics address %q: port %q is not a number from 0 to 65535", s, port)
	}
	return s, nil
}

// checkEndpointAddr accepts "off" or a host:port for the health and ready
// endpoints.
func checkEndpointAddr(v any) (any, error) {
	s := strings.TrimSpace(v.(string))
	if s == "off" {
		return s, nil
	}
	if _, err := checkMetricsAddr(s); err != nil {
		return nil, fmt.Errorf("%w, or off", err)
	}
	return s, nil
}

// checkCorefile accepts the path of an existing regular file.
func checkCorefile(v any) (any, error) {
	s := strings.TrimSpace(v.(string))
	if s == "" {
		return nil, errors.New("corefile path is empty")
	}
	fi, err := os.Stat(s)
	if err != nil {
		return nil, fmt.Errorf("corefile %s: %w", s, unwrapPathError(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("corefile %s is not a regular file", s)
	}
	return s, nil
}

// checkAnswerLimit accepts udp_answer_limit and a_record_limit: 0 (no
// limit) to dnsrules.MaxAnswerLimit records.
func checkAnswerLimit(v any) (any, error) {
	switch n := v.(int); {
	case n < 0:
		return nil, fmt.Errorf("%d is negative", n)
	case n > dnsrules.MaxAnswerLimit:
		return nil, fmt.Errorf("%d is more than %d records, the most the DNS plugin takes", n, dnsrules.MaxAnswerLimit)
	}
	return v, nil
}

func checkPositive(v any) (any, error) {
	if n := v.(int); n <= 0 {
		return nil, fmt.Errorf("%d is not positive", n)
	}
	return v, nil
}

func checkNonNegativeDuration(v any) (any, error) {
	if d := v.(time.Duration); d < 0 {
		return nil, fmt.Errorf("duration %s is negative", d)
	}
	return v, nil
}

// ttlPair is one dns_config.service_ttl entry: a service name, or a prefix
// ending in "*" ("*" alone for every service), lower case, and its TTL.
type ttlPair struct {
	name string
	ttl  time.Duration
}

func checkServiceTTL(v any) (any, error) {
	p := v.(metaPair)
	name := strings.ToLower(p.key)
	if name == "" {
		return nil, errors.New("service_ttl key is empty: give a service name, a prefix ending in *, or * alone")
	}
	if i := strings.IndexByte(name, '*'); i >= 0 && i != len(name)-1 {
		return nil, fmt.Errorf("service_ttl key %q: * may only end a prefix (\"web*\")", p.key)
	}
	if err := dnsrules.CheckServiceTTLPattern(name); err != nil {
		return nil, fmt.Errorf("service_ttl key %q: %w", p.key, err)
	}
	d, err := time.ParseDuration(p.value)
	if err != nil {
		return nil, fmt.Errorf("service_ttl for %q: %q is not a duration such as \"10s\"", p.key, p.value)
	}
	if _, err := checkTTL(d); err != nil {
		return nil, fmt.Errorf("service_ttl for %q: %w", p.key, err)
	}
	return ttlPair{name: name, ttl: d}, nil
}
