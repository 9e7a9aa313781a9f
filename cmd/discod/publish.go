package main

import "github.com/discod/discod/catalog"

// publish returns how the local state hands its changes to gossip: the LAN
// agent sends each one straight to every member (membership's records
// transport). The agent exists before the local state starts.
func (d *daemon) publish() func(catalog.Delta) { return d.agent.PublishDelta }
