// Package membership runs discod's gossip layer and keeps the member table
// that DNS answers are built from.
//
// An Agent wraps one hashicorp/memberlist instance (SWIM gossip). Its
// lifecycle is New → Join → Leave → Shutdown:
//
//   - New binds the gossip sockets, marks the local node alive and starts
//     probing. It never touches the network beyond its own sockets.
//   - Join contacts seed addresses; it errors only when none answered.
//   - Leave broadcasts a graceful leave and waits for it to spread, so peers
//     record the node as left rather than failed.
//   - Shutdown closes the sockets. Without Leave first, peers see a failure.
//
// Every agent keeps a Table of the members it has heard of. Unlike
// memberlist, which forgets dead and left nodes after GossipToTheDeadTime,
// the table keeps failed members (retried, so a healed partition merges
// again) until Config.ReconnectTimeout and left members as tombstones until
// Config.TombstoneTimeout. Readers (the DNS plugin, the HTTP API) take a
// read lock and copy a Member out; nothing on the read path touches the
// network.
//
// Several datacenters: each datacenter is one LAN pool; a server also runs
// a second Agent in the WAN pool (WANConfig, SetWAN; wan.go), named
// <node>.<dc>. Federation (federation.go) reads both tables to tell which
// datacenters exist and which server a question about another datacenter
// goes to next; forwarding itself (DNS, HTTP) is the callers' business.
//
// Threading: memberlist calls the delegates in this package while holding
// its own node lock, so they never block and never call back into the
// memberlist. They copy what they need out of *memberlist.Node.
//
// This package imports only the standard library and memberlist; it must
// never import CoreDNS, so that it stays testable on its own and usable by
// the daemon's HTTP API and the CLI.
package membership
