package consulnode

import (
	"fmt"
	"slices"
	"strings"
)

// MaxTTL is the largest TTL, in seconds, consulnode gives any answer: the
// limit of ttl, negative_ttl and service_ttl. It is the one home of that
// rule; the corefile renderer checks its options against it.
const MaxTTL = 3600

// CheckTTL returns an error when seconds is not a TTL consulnode accepts.
func CheckTTL(seconds int) error {
	if seconds < 0 || seconds > MaxTTL {
		return fmt.Errorf("%d is out of range [0, %d] seconds", seconds, MaxTTL)
	}
	return nil
}

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
// service_ttl key: a service name, or a prefix followed by '*', of
// letters, digits, '-', '_' and '.'.
func CheckServiceTTLPattern(pattern string) error {
	prefix, _ := strings.CutSuffix(pattern, "*")
	if pattern == "" {
		return fmt.Errorf("empty service name")
	}
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		switch {
		case c == '*':
			return fmt.Errorf("service name %q: '*' is only allowed at the end", pattern)
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return fmt.Errorf("service name %q: %q is not a letter, digit, '-', '_' or '.'", pattern, c)
		}
	}
	return nil
}

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
