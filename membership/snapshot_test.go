package membership

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
)

func TestSnapshotRejoinAndLeave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshot.json")
	one := newAgent(t, testConfig(t, "one", "127.0.1.41"))
	c := testConfig(t, "two", "127.0.1.42")
	c.SnapshotPath = path
	two := newAgent(t, c)
	if peers, left := two.PreviousPeers(); len(peers) != 0 || left {
		t.Fatalf("fresh agent: previous peers %v, left %v", peers, left)
	}
	if _, err := two.Join([]string{joinAddr(one)}); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "snapshot holds one", func() bool {
		b, _ := os.ReadFile(path)
		return strings.Contains(string(b), joinAddr(one))
	})
	_ = two.Shutdown() // a crash or a restart without leave

	c.BindPort = int(two.Local().Port) // same address and port, as a real restart
	again := newAgent(t, c)
	peers, left := again.PreviousPeers()
	if !slices.Contains(peers, joinAddr(one)) || left {
		t.Fatalf("after restart: previous peers %v, left %v; want %s and not left", peers, left, joinAddr(one))
	}
	if _, err := again.Join(peers); err != nil {
		t.Fatal(err)
	}
	if err := again.Leave(); err != nil {
		t.Fatal(err)
	}
	_ = again.Shutdown()
	s, err := readSnapshot(path)
	if err != nil || !s.Left {
		t.Fatalf("after leave: snapshot %+v, %v; want left", s, err)
	}
}

func TestSnapshotCorruptIsMovedAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshot.json")
	for _, content := range []string{"{torn", `{"version": 9}`, `{"version":1,"peers":[{"name":"x","addr":"nope"}]}`} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		c := testConfig(t, "one", "127.0.1.43")
		c.SnapshotPath = path
		a := newAgent(t, c)
		if peers, _ := a.PreviousPeers(); len(peers) != 0 {
			t.Errorf("%q: previous peers %v; want none", content, peers)
		}
		if _, err := os.Stat(path + ".corrupt"); err != nil {
			t.Errorf("%q: not moved aside: %v", content, err)
		}
		_ = a.Shutdown()
	}
}

// TestSnapshotKeepsIndex: the snapshot records the table's index; an
// agent started from it begins past that index, before gossip (its own
// row included), even when the clock would give less; a snapshot of the
// previous release (no index) still reads, and the previous release can
// read ours.
func TestSnapshotKeepsIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshot.json")
	c := testConfig(t, "One", "127.0.1.145")
	c.SnapshotPath = path
	first := newAgent(t, c)
	first.Table().Upsert(Member{Name: "Ghost-1", State: StateFailed, Role: RoleClient})
	_ = first.Shutdown()
	old := first.Table().Index()
	s, err := readSnapshot(path)
	if err != nil || s.Index != old {
		t.Fatalf("after stop: snapshot index %d, %v; want the table's last index %d", s.Index, err, old)
	}
	var prev struct { // the previous release's snapshot type
		Version int `json:"version"`
		Left    bool
		Peers   []struct{ Name, Addr string }
	}
	if b, err := os.ReadFile(path); err != nil || json.Unmarshal(b, &prev) != nil || prev.Version != 1 {
		t.Fatalf("the previous release cannot read the snapshot: %v, %+v", err, prev)
	}

	second := newAgent(t, c)
	if idx := second.Table().Index(); idx <= old {
		t.Fatalf("restarted: index %d; want above %d", idx, old)
	}
	_ = second.Shutdown()

	// An index beyond what the clock gives (the clock went back) is still
	// a floor, and the node's own row, written as gossip starts, is above it.
	ahead := uint64(time.Now().UnixMicro()) * 2
	tests := []struct {
		name, file string
		floor      uint64
	}{
		{"index ahead of the clock", fmt.Sprintf(`{"version":1,"left":false,"peers":[],"index":%d}`, ahead), ahead},
		{"previous release, no index", `{"version":1,"left":false,"peers":[]}`, old},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			a := newAgent(t, c)
			if _, err := os.Stat(path + ".corrupt"); err == nil {
				t.Fatal("the snapshot was moved aside")
			}
			if self := a.Local(); self.CreateIndex <= tt.floor || a.Table().Index() <= tt.floor {
				t.Errorf("own row created at %d, index %d; want both above %d", self.CreateIndex, a.Table().Index(), tt.floor)
			}
		})
	}
}
