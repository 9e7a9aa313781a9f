package membership

import "sync/atomic"

// delegate is memberlist's Delegate: it hands out our encoded metadata.
// Push/pull state and user messages are unused for now; they are where
// larger state (services, tombstones) will travel.
type delegate struct {
	meta atomic.Pointer[[]byte] // encoded nodeMeta, checked against the size limit before it is stored
}

func (d *delegate) NodeMeta(limit int) []byte {
	b := d.meta.Load()
	if b == nil || len(*b) > limit {
		return nil // cannot happen: the size was checked before Store
	}
	return *b
}

func (d *delegate) NotifyMsg([]byte)                           {}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}
