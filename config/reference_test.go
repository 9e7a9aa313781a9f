package config

import (
	"os"
	"strings"
	"testing"
)

// TestReferenceComplete keeps REFERENCE.md in step with the code: every
// flag, key, ignored Consul key and refused Consul flag has a line.
func TestReferenceComplete(t *testing.T) {
	data, err := os.ReadFile("REFERENCE.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	var want []string
	for _, s := range settings {
		if s.key != "" {
			want = append(want, "| `"+s.key+"` |")
		}
		if s.flag != "" {
			want = append(want, "| `-"+s.flag+"` |")
		}
	}
	want = append(want, "| `-config-file` |", "| `-config-dir` |")
	for k := range consulIgnored {
		want = append(want, "| `"+k+"` |")
	}
	for f := range consulFlags {
		want = append(want, "| `-"+f+"` |")
	}
	for _, w := range want {
		if !strings.Contains(doc, w) {
			t.Errorf("REFERENCE.md has no line for %s", w)
		}
	}
	for _, r := range restartSettings {
		if !strings.Contains(r.name, "(") {
			t.Errorf("restart setting %q does not name its key", r.name)
		}
	}
}

// TestNoOverlap checks that no key is both implemented and ignored, and no
// Consul flag shadows a discod flag.
func TestNoOverlap(t *testing.T) {
	for k := range consulIgnored {
		if settingByKey[k] != nil || blocks[k] {
			t.Errorf("key %q is both read and ignored", k)
		}
	}
	fs := Flags()
	for f := range consulFlags {
		if fs.Lookup(f) != nil {
			t.Errorf("flag -%s is both defined and listed as a missing Consul flag", f)
		}
	}
}
