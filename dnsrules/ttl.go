package dnsrules

import (
	"fmt"
	"strings"
)

// MaxTTL is the largest TTL, in seconds, discod gives any answer: the
// limit of dns_config.node_ttl, dns_config.soa.min_ttl and
// dns_config.service_ttl in the configuration, and of the plugin's ttl,
// negative_ttl and service_ttl. One hour: a longer TTL would keep a failed
// node in resolvers' caches long after gossip noticed.
const MaxTTL = 3600

// CheckTTL returns an error when seconds is not a TTL discod accepts: a
// number of seconds from 0 to MaxTTL.
func CheckTTL(seconds int) error {
	if seconds < 0 || seconds > MaxTTL {
		return fmt.Errorf("%d is out of range [0, %d] seconds", seconds, MaxTTL)
	}
	return nil
}

// MaxAnswerLimit is the largest udp_answer_limit and a_record_limit.
const MaxAnswerLimit = 65535

// CheckServiceTTLPattern returns an error when pattern is not a
// service_ttl key: a service name, or a prefix followed by '*' ("*" alone
// for every service), of letters, digits, '-', '_' and '.'.
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
