package membership

import (
	"sync/atomic"

	"github.com/hashicorp/memberlist"
)

// delegate is memberlist's Delegate: it hands out our encoded metadata
// (meta.go), carries discod's user messages — force-leave and leave
// intents (messages.go), and the services and checks each agent owns:
// deltas, whole sets, pulls and digests (records_wire.go) — and exchanges
// the push/pull state, whose sections hold the tombstones (tombstones.go)
// and every owner's records version (records_sync.go).
type delegate struct {
	meta   atomic.Pointer[[]byte] // encoded nodeMeta, checked against the size limit before it is stored
	queue  *memberlist.TransmitLimitedQueue
	handle func([]byte)           // Agent.handleMsg
	local  func(join bool) []byte // Agent.pushPullState
	merge  func([]byte, bool)     // Agent.mergePushPull
}

func (d *delegate) NodeMeta(limit int) []byte {
	b := d.meta.Load()
	if b == nil || len(*b) > limit {
		return nil // cannot happen: the size was checked before Store
	}
	return *b
}

// NotifyMsg is called with a copy-free slice memberlist may reuse: the
// handler copies what it keeps (decodeFields makes strings).
func (d *delegate) NotifyMsg(b []byte) { d.handle(b) }

func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.queue.GetBroadcasts(overhead, limit)
}

func (d *delegate) LocalState(join bool) []byte            { return d.local(join) }
func (d *delegate) MergeRemoteState(buf []byte, join bool) { d.merge(buf, join) }
