package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/discod/discod/internal/datadir"
	"github.com/discod/discod/membership"
)

// The files of the data dir are named in internal/datadir.

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// prepareDataDir creates dir if needed, checks it is writable, and returns
// the node ID stored there (creating one on first start). With no data dir
// the agent keeps everything in memory and gets a fresh ID each start.
func prepareDataDir(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	if err := datadir.Prepare(dir); err != nil {
		return "", err
	}
	path := datadir.Path(dir, datadir.NodeID)
	b, ok, err := datadir.Read(path)
	if err != nil {
		return "", fmt.Errorf("node ID: %w", err)
	}
	if ok {
		id := strings.TrimSpace(string(b))
		if uuidRE.MatchString(id) {
			return id, nil
		}
		// A torn or edited file must not stop the start: replace it.
		fmt.Fprintf(os.Stderr, "discod agent: %s does not hold a node ID (%q); writing a new one\n", path, truncate(id, 40))
	}
	id := membership.NewNodeID()
	if err := datadir.Write(path, []byte(id+"\n")); err != nil {
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
