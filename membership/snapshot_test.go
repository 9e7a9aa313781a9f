package membership

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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
	waitFor(t, 10*time.Second, "snapshot holds one", func() bool {
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
