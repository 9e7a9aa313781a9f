package config

import "strings"

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
		d := editDistance(lower, cand)
		if best == "" || d < bestDist {
			best, bestDist = cand, d
		}
	}
	if best == "" || bestDist > maxSuggestDistance(name) {
		return ""
	}
	if parent != "" {
		return parent + "." + best
	}
	return best
}

// maxSuggestDistance is how many edits still count as a typo.
func maxSuggestDistance(s string) int {
	switch {
	case len(s) <= 3:
		return 1
	case len(s) <= 8:
		return 2
	default:
		return 3
	}
}

// editDistance is the optimal-string-alignment distance between a and b,
// in bytes: insertions, deletions, substitutions and swaps of adjacent
// bytes ("dsn" → "dns") each cost one.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
