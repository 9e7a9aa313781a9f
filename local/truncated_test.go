package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// TestTruncatedFile: services.json cut short anywhere (a torn write by
// another tool, a disk that filled up) stops the start with an error
// that names the file and says what to do; the file is left as it is
// for the operator to repair.
func TestTruncatedFile(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Config{NodeName: "n", Store: catalog.NewStore(), DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, def := range []servicedef.Service{
		{Name: "web", Port: 80, Tags: []string{"a"}, Checks: []servicedef.Check{{Name: "t", TTL: 30e9}}},
		{Name: "db", Port: 5432, Meta: map[string]string{"v": "1"}},
	} {
		if err := s.AddService(def, false); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	path := filepath.Join(dir, FileName)
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	full := strings.TrimRight(string(whole), "\n")
	for _, cut := range []int{0, 1, len(full) / 3, len(full) / 2, len(full) - 1} {
		t.Run("", func(t *testing.T) {
			d := t.TempDir()
			p := filepath.Join(d, FileName)
			if err := os.WriteFile(p, []byte(full[:cut]), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := New(Config{NodeName: "n", Store: catalog.NewStore(), DataDir: d})
			if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "remove") {
				t.Fatalf("services.json cut at byte %d of %d: New = %v; want an error naming %s and what to do", cut, len(full), err, p)
			}
			if b, _ := os.ReadFile(p); string(b) != full[:cut] {
				t.Errorf("the damaged file was changed: %q", b)
			}
		})
	}
}
