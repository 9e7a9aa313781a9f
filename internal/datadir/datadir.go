// Package datadir is the one home of what the agent keeps in its data dir
// (-data-dir): the name of every file, the creation and check of the
// directory, and the reads and atomic writes of its files, whose errors
// name the file and say what to do. The formats belong to the packages
// that own the data (membership for the snapshot and keyring, local for
// services.json, cmd/discod for the node ID and maintenance reason); the
// names and formats never change between releases without a version, so
// that an upgraded agent reads what the previous one wrote.
//
// docs/agent.md ("Data directory, restarts and rejoin") describes each
// file for operators.
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/discod/discod/internal/atomicfile"
)

// The files of the data dir.
const (
	// NodeID holds the node's UUID, kept across restarts (Consul's name).
	NodeID = "node-id"
	// Snapshot holds the LAN peers the agent knows, for rejoining after a
	// restart, and the catalog index (membership.Config.SnapshotPath).
	Snapshot = "peers.json"
	// Keyring holds the LAN gossip keyring, primary key first
	// (membership.Config.KeyringPath).
	Keyring = "keyring"
	// WANSnapshot and WANKeyring are a server's WAN pool snapshot and
	// keyring.
	WANSnapshot = "peers-wan.json"
	WANKeyring  = "keyring-wan"
	// Maintenance holds the node's maintenance reason while the node is in
	// maintenance; it does not exist otherwise.
	Maintenance = "maintenance"
	// Services holds what was registered over the HTTP API: services,
	// checks, TTL check statuses, service maintenance (package local).
	Services = "services.json"
)

// Files lists every file the agent keeps in its data dir.
var Files = []string{NodeID, Snapshot, Keyring, WANSnapshot, WANKeyring, Maintenance, Services}

// CorruptSuffix is added to the name of a file that could not be read and
// was moved aside (MoveAside).
const CorruptSuffix = ".corrupt"

// perm is the mode of the data dir's files: they hold keys and tokens, so
// only the agent's user reads them.
const perm = 0o600

// Prepare creates dir (mode 0700) with its parents when it does not exist
// and checks that it is a directory. An empty dir means no data dir and is
// not an error.
func Prepare(dir string) error {
	if dir == "" {
		return nil
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fmt.Errorf("data dir %s is not a directory: give a directory, or a path where one may be created", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data dir %s cannot be created: %w; give a directory this user may create or write", dir, unwrap(err))
	}
	return nil
}

// Path returns the path of file name in dir, or "" when dir is "" (no data
// dir: nothing is kept).
func Path(dir, name string) string {
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, name)
}

// Read returns the contents of the file at path; ok is false, and err
// nil, when the file does not exist.
func Read(path string) (b []byte, ok bool, err error) {
	b, err = os.ReadFile(path)
	switch {
	case err == nil:
		return b, true, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("%s cannot be read: %w; check the owner and permissions of the file and of the data dir", path, unwrap(err))
}

// Write replaces the file at path with data atomically: a crash leaves the
// old file or the new one, never a torn one (internal/atomicfile). The
// file gets mode 0600.
func Write(path string, data []byte) error {
	if err := atomicfile.Write(path, data, perm); err != nil {
		return fmt.Errorf("%s cannot be written: %w; check that the data dir is writable by this user and its disk is not full", path, unwrap(err))
	}
	return nil
}

// Remove removes the file at path; one that does not exist is not an
// error.
func Remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s cannot be removed: %w; check the permissions of the data dir", path, unwrap(err))
	}
	return nil
}

// MoveAside renames the file at path, which could not be read, to
// path+CorruptSuffix, so that the next start does not trip on it and an
// operator can still look at it. It returns the new path.
func MoveAside(path string) (string, error) {
	aside := path + CorruptSuffix
	if err := os.Rename(path, aside); err != nil {
		return "", fmt.Errorf("%s cannot be moved aside: %w", path, unwrap(err))
	}
	return aside, nil
}

// unwrap drops an *fs.PathError's path and operation, which the messages
// above already name.
func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
