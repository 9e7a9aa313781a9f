package membership

import (
	"sync/atomic"

	"github.com/hashicorp/memberlist"
)

// delegate is memberlist's Delegate: it hands out our encoded metadata and
// carries discod's user messages (force-leave, ...). Push/pull state is
// unused for now; it is where larger state (services) will travel.
type delegate struct {
	meta   atomic.Pointer[[]byte] // encoded nodeMeta, checked against the size limit before it is stored
	queue  *memberlist.TransmitLimitedQueue
	handle func([]byte) // Agent.handleMsg
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

func (d *delegate) LocalState(join bool) []byte            { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool) {}
