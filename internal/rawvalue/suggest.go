package rawvalue

// Closest returns the candidate nearest to name within a typo's edit
// distance (see MaxTypoDistance), or "" when none is that close.
func Closest(name string, candidates []string) string {
	best, bestDist := "", 0
	for _, cand := range candidates {
		d := EditDistance(name, cand)
		if best == "" || d < bestDist {
			best, bestDist = cand, d
		}
	}
	if best == "" || bestDist > MaxTypoDistance(name) {
		return ""
	}
	return best
}

// MaxTypoDistance is how many edits of s still count as a typo.
func MaxTypoDistance(s string) int {
	switch {
	case len(s) <= 3:
		return 1
	case len(s) <= 8:
		return 2
	default:
		return 3
	}
}

// EditDistance is the optimal-string-alignment distance between a and b,
// in bytes: insertions, deletions, substitutions and swaps of adjacent
// bytes ("dsn" → "dns") each cost one.
func EditDistance(a, b string) int {
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
