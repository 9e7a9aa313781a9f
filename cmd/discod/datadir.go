package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/discod/discod/internal/atomicfile"
	"github.com/discod/discod/membership"
)

// nodeIDFile holds the node's ID inside the data dir, so the ID survives
// restarts (Consul keeps it in the same file name).
const nodeIDFile = "node-id"

// snapshotFile and keyringFile are membership's names for the peers it
// knows and the gossip keyring; the daemon and a stock CoreDNS keep them
// under the same names.
const (
	snapshotFile = membership.SnapshotFile
	keyringFile  = membership.KeyringFile
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// prepareDataDir creates dir if needed, checks it is writable, and returns
// the node ID stored there (creating one on first start). With no data dir
// the agent keeps everything in memory and gets a fresh ID each start.
func prepareDataDir(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(dir, nodeIDFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		id := strings.TrimSpace(string(b))
		if uuidRE.MatchString(id) {
			return id, nil
		}
		// A torn or edited file must not stop the start: replace it.
		fmt.Fprintf(os.Stderr, "discod agent: %s does not hold a node ID (%q); writing a new one\n", path, truncate(id, 40))
	case errors.Is(err, fs.ErrNotExist):
	default:
		return "", fmt.Errorf("data dir: %w", err)
	}
	id := membership.NewNodeID()
	if err := atomicfile.Write(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("data dir %s is not writable: %w", dir, err)
	}
	return id, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
