package main

import "github.com/discod/discod/catalog"

// publish returns how the local state hands its changes to gossip.
func (d *daemon) publish() func(catalog.Delta) { return nil }
