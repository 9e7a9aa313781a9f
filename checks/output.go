package checks

import "unicode/utf8"

// capOutput cuts s to at most max bytes, at a UTF-8 boundary. It is the one
// place where outputs are capped; every report goes through it.
func capOutput(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && cut > max-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// headBuffer is an io.Writer that keeps the first max bytes written to it
// and counts the rest; writes never fail, so a chatty script never blocks
// on its output.
type headBuffer struct {
	max   int
	buf   []byte
	total int64
}

// Write keeps what fits and counts everything.
func (b *headBuffer) Write(p []byte) (int, error) {
	b.total += int64(len(p))
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// String returns what was kept.
func (b *headBuffer) String() string { return string(b.buf) }
