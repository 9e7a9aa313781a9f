package membership

import (
	"errors"

	"github.com/hashicorp/memberlist"
)

// User messages ride on memberlist's gossip (GetBroadcasts/NotifyMsg). The
// first byte is the message type; the rest is a sequence of
// length-prefixed strings. A node ignores types it does not know, so newer
// message types never break older nodes. The records messages (types 16
// to 19, the services and checks each agent owns) are in records_wire.go.
const (
	msgForceLeave  byte = 1 // node name, "1" to prune
	msgLeaving     byte = 4 // node name, run ID: the previous release's leave intent (leaving.go); remove next release
	msgLeaveIntent byte = 5 // node name, run ID, generation: a node's leave intent (leaving.go)
)

// broadcast is one queued user message. Messages about the same node
// invalidate each other, so only the latest one keeps spreading.
type broadcast struct {
	name string
	msg  []byte
}

func (b *broadcast) Invalidates(other memberlist.Broadcast) bool {
	o, ok := other.(*broadcast)
	return ok && o.name == b.name && o.msg[0] == b.msg[0]
}
func (b *broadcast) Message() []byte { return b.msg }
func (b *broadcast) Finished()       {}

func encodeMsg(typ byte, fields ...string) []byte {
	b := []byte{typ}
	for _, f := range fields {
		b = appendString(b, f)
	}
	return b
}

var errBadMsg = errors.New("malformed user message")

func decodeFields(b []byte) ([]string, error) {
	var out []string
	for len(b) > 0 {
		f, ok := readString(&b)
		if !ok {
			return nil, errBadMsg
		}
		out = append(out, f)
	}
	return out, nil
}

// handleMsg dispatches a user message. It runs on memberlist's packet
// path and must not block.
func (a *Agent) handleMsg(b []byte) {
	if len(b) == 0 {
		return
	}
	fields, err := decodeFields(b[1:])
	if err != nil {
		a.log.Warn("ignoring a malformed gossip message", "type", b[0], "error", err)
		return
	}
	switch b[0] {
	case msgForceLeave:
		if len(fields) == 2 {
			a.applyForceLeave(fields[0], fields[1] == "1")
		}
	case msgKeyringReq:
		if len(fields) == 4 {
			go a.handleKeyringReq(fields[0], fields[1], fields[2], fields[3])
		}
	case msgKeyringResp:
		if len(fields) == 5 {
			a.handleKeyringResp(fields)
		}
	case msgLeaving: // previous release; remove next release
		if len(fields) == 2 {
			a.handleLegacyLeaving(fields[0], fields[1])
		}
	case msgLeaveIntent:
		if len(fields) == 3 {
			a.handleLeaveIntent(fields[0], fields[1], fields[2])
		}
	case msgDatacenters:
		a.handleDatacenters(fields) // datacenters.go
	case msgRecordsDelta, msgRecordsSet, msgRecordsPull, msgRecordsDigest, msgRecordsExchange, msgRecordsPullSince:
		a.handleRecordsMsg(b) // records.go
	}
}
