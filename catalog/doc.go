// Package catalog is discod's catalog store: every node, service instance
// and health check of the datacenter that this agent knows, behind one
// 64-bit index that readers can wait on.
//
// One Store per agent owns the data. Writers go through a handful of
// atomic operations, each under the store's write lock:
//
//   - UpdateNode is the one path for a node's state: gossip events, leave
//     intents, tombstones, force-leave and maintenance all decide and write
//     inside its callback, so no read-decide-write race exists. Names are
//     compared without regard to case.
//   - RemoveNode and ReapNodes drop nodes; their records go with them.
//   - ReplaceRecords and ApplyDelta write the services and checks one node
//     owns, versioned by the owner (Version), so an old run of an agent or a
//     late copy never overwrites newer records and a deregistered service
//     never comes back. ReplaceRecordSet and a Delta's Nodes also carry the
//     external nodes (nodes without an agent) the node owns (external.go).
//
// Every write that a reader could see raises the index by one; a write
// that changes nothing leaves it alone. The index is never 0 and never
// goes backwards: NewStore seeds it from the clock (microseconds since the
// Unix epoch) and SetIndexFloor raises it to a persisted value, so it also
// keeps growing across restarts (see docs/http.md).
//
// Readers pass a *WatchSet to any query. The query records the keys its
// result depends on (Key); the result's index is the highest index at
// which any of those keys last changed, so a deleted row still raises the
// index of every result it was in. WatchSet.Wait then blocks until one of
// those keys changes, so a reader is woken only when its own answer may
// have changed, never by unrelated writes.
package catalog
