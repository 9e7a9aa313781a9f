package main

import (
	"fmt"
	"log/slog"

	"github.com/discod/discod/membership"
)

// loadKeyring returns the gossip keyring a pool starts with, by
// membership.LoadKeyring's rule: a keyring saved at path (it follows
// rotations) wins over seed, which only seeds a new one. seed is the
// -encrypt key for the LAN pool and the LAN keyring for a server's WAN
// pool. With warnStale, a saved keyring that lacks seed's primary key is
// reported instead of silently preferred (seedFlag names where seed came
// from, for the messages).
func loadKeyring(path string, seed [][]byte, seedFlag string, warnStale bool, log *slog.Logger) ([][]byte, error) {
	keys, stale, err := membership.LoadKeyring(path, seed)
	if err != nil {
		return nil, fmt.Errorf("gossip keyring: %w (fix or remove the file; %s seeds a new one)", err, seedFlag)
	}
	if stale && warnStale {
		log.Warn("the keyring saved in the data dir does not contain the "+seedFlag+" key; using the saved keyring, which follows rotations. Set "+seedFlag+" to the current primary key (discod keyring -list), or remove the file to start over from "+seedFlag,
			"file", path, "keys", len(keys))
	}
	return keys, nil
}
