package checks

import (
	"testing"
	"unicode/utf8"
)

func TestCapOutput(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short", "abc", 10, "abc"},
		{"exact", "abcd", 4, "abcd"},
		{"cut", "abcdef", 4, "abcd"},
		{"cut before a split rune", "ab\u00e9", 3, "ab"},
		{"keep a whole rune", "ab\u00e9c", 4, "ab\u00e9"},
		{"zero", "abc", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := capOutput(tt.in, tt.max)
			if got != tt.want || !utf8.ValidString(got) {
				t.Errorf("capOutput(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestHeadBuffer(t *testing.T) {
	b := &headBuffer{max: 5}
	for _, s := range []string{"ab", "cdef", "ghij"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if b.String() != "abcde" || b.total != 10 {
		t.Fatalf("kept %q of %d bytes, want abcde of 10", b.String(), b.total)
	}
}
