package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"

	"github.com/discod/discod/membership"
)

// loadKeyring returns the gossip keyring a pool starts with. A keyring
// saved at path (it follows rotations) wins over seed, which only seeds a
// new one: seed is the -encrypt key for the LAN pool and the LAN keyring
// for a server's WAN pool. With warnStale, a saved keyring that lacks
// seed's primary key is reported instead of silently preferred (seedFlag
// names where seed came from, for the messages). With no path (no data
// dir) seed is used as it is.
func loadKeyring(path string, seed [][]byte, seedFlag string, warnStale bool, log *slog.Logger) ([][]byte, error) {
	if path == "" {
		return seed, nil
	}
	saved, err := membership.ReadKeyringFile(path)
	if err != nil {
		return nil, fmt.Errorf("gossip keyring: %w (fix or remove the file; %s seeds a new one)", err, seedFlag)
	}
	if saved != nil {
		if warnStale && len(seed) > 0 && !slices.ContainsFunc(saved, func(k []byte) bool { return bytes.Equal(k, seed[0]) }) {
			log.Warn("the keyring saved in the data dir does not contain the "+seedFlag+" key; using the saved keyring, which follows rotations. Set "+seedFlag+" to the current primary key (discod keyring -list), or remove the file to start over from "+seedFlag,
				"file", path, "keys", len(saved))
		}
		return saved, nil
	}
	if len(seed) == 0 {
		return nil, nil
	}
	if err := membership.WriteKeyringFile(path, seed); err != nil {
		return nil, fmt.Errorf("gossip keyring: save %s: %w", path, err)
	}
	return seed, nil
}
