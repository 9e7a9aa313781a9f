package consulnode

import (
	"slices"
	"strings"

	"github.com/discod/discod/dnsrules"
)

// MaxTTL is the largest TTL, in seconds, consulnode gives any answer: the
// limit of ttl, negative_ttl and service_ttl. The rule's home is
// dnsrules.MaxTTL, which the configuration and the corefile renderer
// check too.
const MaxTTL = dnsrules.MaxTTL

// CheckTTL returns an error when seconds is not a TTL consulnode accepts
// (dnsrules.CheckTTL).
func CheckTTL(seconds int) error { return dnsrules.CheckTTL(seconds) }

// serviceTTLs are the TTLs of service answers by service name, as Consul's
// dns_config.service_ttl: an exact name beats the longest matching
// "prefix*" pattern, which beats shorter ones; "*" matches every name.
// Names not matched get def.
type serviceTTLs struct {
	def      uint32
	exact    map[string]uint32 // lower-case name → TTL
	prefixes []ttlPrefix       // longest prefix first
}

type ttlPrefix struct {
	prefix string // lower case, without the '*'
	ttl    uint32
}

// CheckServiceTTLPattern returns an error when pattern is not a
// service_ttl key (dnsrules.CheckServiceTTLPattern).
func CheckServiceTTLPattern(pattern string) error { return dnsrules.CheckServiceTTLPattern(pattern) }

// set adds pattern (CheckServiceTTLPattern) with ttl.
func (t *serviceTTLs) set(pattern string, ttl uint32) error {
	if err := CheckServiceTTLPattern(pattern); err != nil {
		return err
	}
	p := strings.ToLower(pattern)
	prefix, wild := strings.CutSuffix(p, "*")
	if !wild {
		if t.exact == nil {
			t.exact = map[string]uint32{}
		}
		t.exact[p] = ttl
		return nil
	}
	t.prefixes = slices.DeleteFunc(t.prefixes, func(e ttlPrefix) bool { return e.prefix == prefix })
	t.prefixes = append(t.prefixes, ttlPrefix{prefix: prefix, ttl: ttl})
	slices.SortStableFunc(t.prefixes, func(a, b ttlPrefix) int { return len(b.prefix) - len(a.prefix) })
	return nil
}

// lookup returns the TTL of service name (lower case). It does not
// allocate.
func (t *serviceTTLs) lookup(name string) uint32 {
	if v, ok := t.exact[name]; ok {
		return v
	}
	for _, p := range t.prefixes {
		if strings.HasPrefix(name, p.prefix) {
			return p.ttl
		}
	}
	return t.def
}
