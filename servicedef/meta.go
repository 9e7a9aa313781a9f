package servicedef

import (
	"fmt"
	"strings"
)

// Metadata limits, Consul's (metaMaxKeyPairs, metaKeyMaxLength,
// metaValueMaxLength in its structs package). Node metadata (config's
// node_meta) and service metadata share them.
const (
	MaxMetaPairs    = 64
	MaxMetaKeyLen   = 128
	MaxMetaValueLen = 512
)

// ReservedMetaPrefix is the key prefix Consul keeps for itself in service
// and node metadata.
const ReservedMetaPrefix = "consul-"

// ValidateMetaPair checks one metadata pair against Consul's rules: a key
// of 1–MaxMetaKeyLen letters, digits, '_' and '-' that does not start with
// one of reserved (compared without regard to case), and a value of at
// most MaxMetaValueLen bytes. what names the map in messages ("node
// metadata"); the errors name the key.
func ValidateMetaPair(what, key, value string, reserved []string) error {
	switch {
	case key == "":
		return fmt.Errorf("%s key is empty", what)
	case len(key) > MaxMetaKeyLen:
		return fmt.Errorf("%s key %q is longer than %d characters", what, key, MaxMetaKeyLen)
	case len(value) > MaxMetaValueLen:
		return fmt.Errorf("%s value for %q is longer than %d characters", what, key, MaxMetaValueLen)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("%s key %q has character %q: use letters, digits, '_' and '-'", what, key, c)
		}
	}
	lower := strings.ToLower(key)
	for _, pre := range reserved {
		if strings.HasPrefix(lower, pre) {
			return fmt.Errorf("%s key %q uses the reserved prefix %q", what, key, pre)
		}
	}
	return nil
}

// DNSCompatible reports whether s can be answered in DNS as a service name
// or tag label: 1–63 letters, digits and hyphens (Consul's dnsNameRe,
// ^[a-zA-Z0-9\-]+$, with the DNS label length).
func DNSCompatible(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
