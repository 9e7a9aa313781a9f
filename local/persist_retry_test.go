package local

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"

	"github.com/discod/discod/internal/testproc"
)

// TestPersistRetried: when services.json cannot be written, a
// registration is in effect (the store has it) and its error says it was
// not kept; the failure is logged and the write retried until it works.
func TestPersistRetried(t *testing.T) {
	dir := t.TempDir()
	var log testproc.Buffer
	store := catalog.NewStore()
	s, err := New(Config{NodeName: "n", Store: store, DataDir: dir, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A directory where the file goes: every write of it fails, as on a
	// read-only or full disk (root ignores permissions).
	path := filepath.Join(dir, FileName)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	err = s.AddService(servicedef.Service{Name: "web", Port: 80}, false)
	if err == nil || !strings.Contains(err.Error(), "could not be kept") {
		t.Fatalf("AddService with an unwritable file = %v; want the change in effect but not kept", err)
	}
	if _, ok := s.Service("web"); !ok {
		t.Fatal("the registration is not in effect")
	}
	if _, svcs, _ := store.Records("n"); len(svcs) != 1 || svcs[0].Name != "web" {
		t.Fatalf("the store has %+v; want web", svcs)
	}
	if !strings.Contains(log.String(), "retried") {
		t.Errorf("log %q; want the failure and the retry", log.String())
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * persistRetryInterval)
	for {
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte(`"web"`)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("services.json not written again within %v: %q", 3*persistRetryInterval, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(log.String(), "saved again") {
		t.Errorf("log %q; want the recovery logged", log.String())
	}
}
