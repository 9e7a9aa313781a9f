package membership

import (
	"bytes"
	"fmt"
	"slices"
)

// The files an agent keeps in a data dir, named the same whether the
// agent is discod's or one the consulnode plugin runs in a stock CoreDNS.
const (
	// SnapshotFile holds the peers the agent knows (Config.SnapshotPath).
	SnapshotFile = "peers.json"
	// KeyringFile holds the gossip keyring (Config.KeyringPath).
	KeyringFile = "keyring"
)

// LoadKeyring returns the keyring an agent starts with. A keyring saved at
// path (it follows rotations) wins over seed, which only seeds a new file:
// then seed is written to path. stale reports that a saved keyring lacks
// seed's primary key, which the caller should tell the operator about
// rather than silently prefer the file. With no path, seed is returned as
// it is. Both empty: no encryption (nil, false, nil).
func LoadKeyring(path string, seed [][]byte) (keys [][]byte, stale bool, err error) {
	if path == "" {
		return seed, false, nil
	}
	saved, err := ReadKeyringFile(path)
	if err != nil {
		return nil, false, err
	}
	if saved != nil {
		stale = len(seed) > 0 && !slices.ContainsFunc(saved, func(k []byte) bool { return bytes.Equal(k, seed[0]) })
		return saved, stale, nil
	}
	if len(seed) == 0 {
		return nil, false, nil
	}
	if err := WriteKeyringFile(path, seed); err != nil {
		return nil, false, fmt.Errorf("save keyring %s: %w", path, err)
	}
	return seed, false, nil
}
