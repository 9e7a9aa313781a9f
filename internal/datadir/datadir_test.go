package datadir

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPrepare(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, err string
	}{
		{name: "none", dir: ""},
		{name: "new, with parents", dir: filepath.Join(base, "x", "y")},
		{name: "existing", dir: base},
		{name: "a file", dir: file, err: "data dir " + file + " is not a directory"},
		{name: "under a file", dir: filepath.Join(file, "sub"), err: "cannot be created"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Prepare(tt.dir)
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tt.dir != "" {
					if fi, err := os.Stat(tt.dir); err != nil || !fi.IsDir() {
						t.Fatalf("%s not created: %v", tt.dir, err)
					}
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Prepare(%q) = %v; want an error containing %q", tt.dir, err, tt.err)
			}
		})
	}
}

func TestReadWriteRemove(t *testing.T) {
	dir := t.TempDir()
	path := Path(dir, Maintenance)
	if b, ok, err := Read(path); ok || err != nil || b != nil {
		t.Fatalf("Read of a missing file = %q, %v, %v; want nothing", b, ok, err)
	}
	if err := Write(path, []byte("reason\n")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("written file: %v, %v; want mode 0600", fi, err)
	}
	if b, ok, err := Read(path); !ok || err != nil || string(b) != "reason\n" {
		t.Fatalf("Read = %q, %v, %v", b, ok, err)
	}
	if err := Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := Remove(path); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
	err := Write(filepath.Join(dir, "no-such-dir", Keyring), nil)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "no-such-dir", Keyring)) || !strings.Contains(err.Error(), "writable") {
		t.Fatalf("Write into a missing dir = %v; want an error naming the file and what to check", err)
	}
	if _, _, err := Read(dir); err == nil || !strings.Contains(err.Error(), dir+" cannot be read") {
		t.Fatalf("Read of a directory = %v; want an error naming it", err)
	}
}

func TestMoveAside(t *testing.T) {
	path := Path(t.TempDir(), Snapshot)
	if err := os.WriteFile(path, []byte("{torn"), 0o600); err != nil {
		t.Fatal(err)
	}
	aside, err := MoveAside(path)
	if err != nil || aside != path+".corrupt" {
		t.Fatalf("MoveAside = %q, %v", aside, err)
	}
	if _, err := os.Stat(aside); err != nil {
		t.Fatal(err)
	}
}

func TestNoDataDir(t *testing.T) {
	if p := Path("", NodeID); p != "" {
		t.Fatalf("Path without a data dir = %q; want empty", p)
	}
}

// TestNamesKept pins the file names: an upgraded agent must find what the
// previous release wrote.
func TestNamesKept(t *testing.T) {
	want := []string{"node-id", "peers.json", "keyring", "peers-wan.json", "keyring-wan", "maintenance", "services.json"}
	if !slices.Equal(Files, want) {
		t.Fatalf("Files = %q; want %q", Files, want)
	}
}
