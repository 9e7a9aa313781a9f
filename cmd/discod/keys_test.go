package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/discod/discod/membership"
)

// TestTruncatedKeyringStopsStart: a keyring file in the data dir cut short
// stops the agent's start with an error naming the file and what to do,
// instead of starting with another key (which would cut the node off).
func TestTruncatedKeyringStopsStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyring.json")
	key, err := membership.DecodeKey(membership.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := membership.WriteKeyringFile(path, [][]byte{key}); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, whole[:len(whole)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err = loadKeyring(path, [][]byte{key}, "-encrypt", true, log)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "remove the file") {
		t.Fatalf("loadKeyring of a truncated file = %v; want an error naming %s and what to do", err, path)
	}
}
