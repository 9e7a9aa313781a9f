package membership

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/discod/discod/internal/testproc"
)

// TestTruncatedSnapshot: a peer snapshot (peers.json) cut short does not
// stop the agent; it is moved aside, never lost, and the warning names
// the file and where it went. A keyring file cut short is an error that
// names the file.
func TestTruncatedSnapshot(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "peers.json")
	c := testConfig(t, "trunc", "127.0.3.10")
	c.SnapshotPath = path
	a := newAgent(t, c)
	if err := a.writeSnapshot(false); err != nil {
		t.Fatal(err)
	}
	_ = a.Shutdown()
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := whole[:len(whole)/2]
	if err := os.WriteFile(path, cut, 0o600); err != nil {
		t.Fatal(err)
	}
	var log testproc.Buffer
	c.Logger = slog.New(slog.NewTextHandler(&log, nil))
	b := newAgent(t, c)
	_ = b
	if got, err := os.ReadFile(path + ".corrupt"); err != nil || !bytes.Equal(got, cut) {
		t.Errorf("the damaged snapshot was not kept aside: %q, %v", got, err)
	}
	if out := log.String(); !strings.Contains(out, "unreadable snapshot") || !strings.Contains(out, path) || !strings.Contains(out, path+".corrupt") {
		t.Errorf("log %q; want a warning naming %s and where it was moved", out, path)
	}
}

func TestTruncatedKeyringFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyring.json")
	if err := WriteKeyringFile(path, [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)}); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{0, 1, len(whole) / 2, len(whole) - 3} {
		if err := os.WriteFile(path, whole[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadKeyringFile(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("keyring cut at byte %d of %d: %v; want an error naming %s", cut, len(whole), err, path)
		}
	}
}
