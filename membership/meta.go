package membership

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/memberlist"
)

// metaVersion is the format version of the node metadata that every alive
// message carries. It is the first byte of the encoding; a decoder skips
// fields it does not know, so a newer node's extra fields never break an
// older one.
const metaVersion = 1

// Field tags of the metadata encoding. Each field is a tag byte followed by
// length-prefixed strings (one for scalar fields, two for a metadata pair).
const (
	tagID         = 'i'
	tagDatacenter = 'd'
	tagRole       = 'r'
	tagBuild      = 'b'
	tagLeaving    = 'l' // "1" while the node is leaving gracefully
	tagMeta       = 'm' // key, value
)

// nodeMeta is what a node tells the others about itself in memberlist's
// node metadata, which memberlist caps at memberlist.MetaMaxSize (512)
// bytes. Larger state (services, checks) will travel in push/pull state and
// user messages, not here.
type nodeMeta struct {
	ID         string
	Datacenter string
	Role       Role
	Build      string
	Meta       map[string]string
	// Leaving is set in the last metadata update a node gossips before its
	// leave message. memberlist v0.7.0 does not tell an event delegate
	// whether a node left or failed (Node.State is never filled in), so
	// this flag is how peers tell a graceful leave from a failure.
	Leaving bool
}

// encode returns the wire form, or an error when it exceeds memberlist's
// limit (memberlist would panic on it later).
func (m nodeMeta) encode() ([]byte, error) {
	b := []byte{metaVersion}
	put := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	field := func(tag byte, s string) {
		if s == "" {
			return
		}
		b = append(b, tag)
		put(s)
	}
	field(tagID, m.ID)
	field(tagDatacenter, m.Datacenter)
	field(tagRole, string(m.Role))
	field(tagBuild, m.Build)
	if m.Leaving {
		field(tagLeaving, "1")
	}
	for _, k := range slices.Sorted(maps.Keys(m.Meta)) {
		b = append(b, tagMeta)
		put(k)
		put(m.Meta[k])
	}
	if len(b) > memberlist.MetaMaxSize {
		return nil, fmt.Errorf("node metadata is %d bytes encoded, over the gossip limit of %d: use fewer or shorter -node-meta pairs", len(b), memberlist.MetaMaxSize)
	}
	return b, nil
}

var errShortMeta = errors.New("truncated node metadata")

// decodeMeta parses what encode wrote. Unknown tags are skipped with their
// single string, so a later format may add scalar fields freely.
func decodeMeta(b []byte) (nodeMeta, error) {
	var m nodeMeta
	if len(b) == 0 {
		return m, nil // a node that sent nothing: e.g. a plain memberlist peer
	}
	if b[0] != metaVersion {
		return m, fmt.Errorf("node metadata version %d not understood (this build reads %d)", b[0], metaVersion)
	}
	b = b[1:]
	get := func() (string, error) {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return "", errShortMeta
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s, nil
	}
	for len(b) > 0 {
		tag := b[0]
		b = b[1:]
		s, err := get()
		if err != nil {
			return m, err
		}
		switch tag {
		case tagID:
			m.ID = s
		case tagDatacenter:
			m.Datacenter = s
		case tagRole:
			m.Role = Role(s)
		case tagBuild:
			m.Build = s
		case tagLeaving:
			m.Leaving = s == "1"
		case tagMeta:
			v, err := get()
			if err != nil {
				return m, err
			}
			if m.Meta == nil {
				m.Meta = map[string]string{}
			}
			m.Meta[s] = v
		}
	}
	return m, nil
}
