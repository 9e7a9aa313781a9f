package config

import (
	"strings"

	"github.com/discod/discod/internal/rawvalue"
)

// suggestKey returns a known key close to the unknown key name found in
// block parent (dotted path, "" at the top level), or "" when nothing is
// close. It tries, in order: a flag name used as a key (bind → bind_addr),
// the same name in another block (node_ttl → dns_config.node_ttl), and a
// sibling within a small edit distance.
func suggestKey(parent, name string) string {
	lower := strings.ToLower(name)
	for _, s := range settings {
		if s.key != "" && s.flag != "" && strings.ReplaceAll(s.flag, "-", "_") == strings.ReplaceAll(lower, "-", "_") {
			return s.key
		}
	}
	for _, s := range settings {
		if s.key == "" {
			continue
		}
		if p, n := splitKey(s.key); n == lower && p != parent {
			return s.key
		}
	}
	best, bestDist := "", 0
	for _, cand := range siblings[parent] {
		d := rawvalue.EditDistance(lower, cand)
		if best == "" || d < bestDist {
			best, bestDist = cand, d
		}
	}
	if best == "" || bestDist > rawvalue.MaxTypoDistance(name) {
		return ""
	}
	if parent != "" {
		return parent + "." + best
	}
	return best
}
