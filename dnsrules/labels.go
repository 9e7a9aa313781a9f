package dnsrules

import (
	"errors"
	"fmt"
	"strings"
)

// MaxZoneLen is the longest zone name, in characters without the final
// dot (RFC 1035 §2.3.4).
const MaxZoneLen = 253

// ValidateLabel reports whether s is usable as one DNS label in a node or
// datacenter name: 1–63 letters, digits and hyphens, not starting or
// ending with a hyphen (RFC 1123 host names). what names the value in the
// error ("node name").
func ValidateLabel(what, s string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if len(s) > 63 {
		return fmt.Errorf("%s %q is %d characters long; a DNS label has at most 63", what, s, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
		if !ok {
			return fmt.Errorf("%s %q is not a valid DNS label: character %q is not allowed (use letters, digits and hyphens)", what, s, c)
		}
	}
	if s[0] == '-' || s[len(s)-1] == '-' {
		return fmt.Errorf("%s %q is not a valid DNS label: it may not start or end with a hyphen", what, s)
	}
	return nil
}

// CheckZoneLabel reports whether l is usable as one label of a zone discod
// answers for (-domain, -alt-domain, the plugin's zones): 1–63 letters,
// digits, hyphens and underscores. Underscores are allowed, as DNS allows
// them in any label (RFC 2181 §11) and zones such as "_internal.example."
// exist; spaces, quotes and braces, which a Corefile cannot carry
// unquoted, are not.
func CheckZoneLabel(l string) error {
	if l == "" {
		return errors.New("empty label")
	}
	if len(l) > 63 {
		return fmt.Errorf("label %q is longer than 63 characters", l)
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("label %q: character %q is not allowed (use letters, digits, hyphens and underscores)", l, c)
		}
	}
	return nil
}

// CheckZone reports whether zone (with or without the final dot) is a
// name discod may answer for: not the root, at most MaxZoneLen
// characters, and every label passing CheckZoneLabel.
func CheckZone(zone string) error {
	z := strings.TrimSuffix(zone, ".")
	if z == "" {
		return errors.New("the root zone cannot be a discod zone: it would answer for every name on the Internet")
	}
	if len(z) > MaxZoneLen {
		return fmt.Errorf("zone %q is longer than %d characters", zone, MaxZoneLen)
	}
	for label := range strings.SplitSeq(z, ".") {
		if err := CheckZoneLabel(label); err != nil {
			return err
		}
	}
	return nil
}

// NodeNameFromHost returns the default node name for host name host: its
// first label, which must pass ValidateLabel. Callers add how to set a
// name instead (a flag, a Corefile option) to the error.
func NodeNameFromHost(host string) (string, error) {
	name, _, _ := strings.Cut(host, ".")
	if err := ValidateLabel("node name", name); err != nil {
		return "", err
	}
	return name, nil
}
