package membership

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

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
	tagLeaving    = 'l' // previous release (remove next): "1" while the node is leaving gracefully
	tagMeta       = 'm' // key, value

	// Tags added for several datacenters (see federation.go). Older
	// builds skip them.
	tagDNS         = 'n' // ip:port where other agents reach the node's DNS
	tagHTTP        = 'h' // ip:port where other agents reach the node's HTTP API
	tagWANAddr     = 'w' // the node's WAN address, only when it has one besides its LAN address
	tagDatacenters = 'f' // previous release (remove next): a server's other known datacenters, comma-separated, sorted
	tagPartial     = 'p' // previous release (remove next): "1" when tagDatacenters was cut short to fit the size limit

	// Tags added for ordering leaves against late rumours (tombstones.go)
	// and for maintenance mode. Older builds skip them.
	tagRun         = 's' // the run ID: random, new at every start of the agent
	tagGen         = 'g' // the generation within the run, decimal, bumped to refute a leave
	tagMaintenance = 'M' // the maintenance reason, while the node is in maintenance
)

// nodeMeta is what a node tells the others about itself in memberlist's
// node metadata, which memberlist caps at memberlist.MetaMaxSize (512)
// bytes: identity, addresses, the run and generation, the maintenance
// reason (bounded) and the operator's pairs. What grows (services, checks,
// a server's datacenter list) travels in push/pull state and user
// messages, not here.
type nodeMeta struct {
	ID         string
	Datacenter string
	Role       Role
	Build      string
	Meta       map[string]string
	// Leaving is set in the last metadata update a node gossips before its
	// leave message: the previous release's leave intent, read as one
	// (leaving.go). This build still writes it for that release's agents;
	// remove next release.
	Leaving bool

	// DNSAddr and HTTPAddr are where other agents reach the node's DNS
	// server and HTTP API, to forward questions about other datacenters;
	// invalid when the node does not offer them.
	DNSAddr, HTTPAddr netip.AddrPort
	// WANAddr is the node's address for other datacenters (-advertise-wan),
	// only when it differs from the LAN address.
	WANAddr netip.Addr
	// Datacenters are the other datacenters a server knows through the WAN
	// pool, sorted, cut short to fit the metadata limit, and
	// DatacentersPartial says it was cut: what the previous release reads
	// (this build sends the whole list another way, datacenters.go).
	// Remove next release.
	Datacenters        []string
	DatacentersPartial bool

	// Run and Gen order what is said about the node (see tombstones.go):
	// Run is new at every start of its agent, Gen grows within a run when
	// the node refutes a leave recorded against it.
	Run string
	Gen uint64
	// Maintenance is the reason the node is in maintenance mode (taken out
	// of DNS answers while staying in the cluster); empty when it is not.
	Maintenance string
}

// encode returns the wire form, or an error when it exceeds memberlist's
// limit (memberlist would panic on it later).
func (m nodeMeta) encode() ([]byte, error) {
	b := []byte{metaVersion}
	field := func(tag byte, s string) {
		if s == "" {
			return
		}
		b = appendString(append(b, tag), s)
	}
	field(tagID, m.ID)
	field(tagDatacenter, m.Datacenter)
	field(tagRole, string(m.Role))
	field(tagBuild, m.Build)
	if m.Leaving {
		field(tagLeaving, "1")
	}
	if m.DNSAddr.IsValid() {
		field(tagDNS, m.DNSAddr.String())
	}
	if m.HTTPAddr.IsValid() {
		field(tagHTTP, m.HTTPAddr.String())
	}
	if m.WANAddr.IsValid() {
		field(tagWANAddr, m.WANAddr.String())
	}
	field(tagDatacenters, strings.Join(m.Datacenters, ","))
	if m.DatacentersPartial {
		field(tagPartial, "1")
	}
	field(tagRun, m.Run)
	if m.Gen > 0 {
		field(tagGen, strconv.FormatUint(m.Gen, 10))
	}
	field(tagMaintenance, m.Maintenance)
	for _, k := range slices.Sorted(maps.Keys(m.Meta)) {
		b = appendString(appendString(append(b, tagMeta), k), m.Meta[k])
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
		s, ok := readString(&b)
		if !ok {
			return "", errShortMeta
		}
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
		case tagDNS:
			m.DNSAddr = parseMetaAddrPort(s)
		case tagHTTP:
			m.HTTPAddr = parseMetaAddrPort(s)
		case tagWANAddr:
			if a, err := netip.ParseAddr(s); err == nil && !a.IsUnspecified() {
				m.WANAddr = a.Unmap()
			}
		case tagDatacenters:
			m.Datacenters = parseDatacenterList(s)
		case tagPartial:
			m.DatacentersPartial = s == "1"
		case tagRun:
			m.Run = s
		case tagGen:
			m.Gen, _ = strconv.ParseUint(s, 10, 64) // unreadable counts as 0
		case tagMaintenance:
			m.Maintenance = s
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

// parseMetaAddrPort parses an ip:port a peer gossiped. A value that does
// not parse, or names a wildcard or port 0, counts as absent: one bad field
// must not make the rest of a node's metadata unreadable.
func parseMetaAddrPort(s string) netip.AddrPort {
	ap, err := netip.ParseAddrPort(s)
	if err != nil || ap.Port() == 0 || ap.Addr().IsUnspecified() {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// parseDatacenterList splits a gossiped datacenter list, keeping only
// valid datacenter names, lower case.
func parseDatacenterList(s string) []string {
	var out []string
	for dc := range strings.SplitSeq(s, ",") {
		if ValidateLabel("datacenter", dc) == nil {
			out = append(out, strings.ToLower(dc))
		}
	}
	return out
}

// appendString appends s to b with its length as a uvarint: the string
// encoding of the node metadata and of the push/pull state.
func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// readString reads one string appendString wrote from the front of *b and
// advances *b past it; ok is false when *b is truncated.
func readString(b *[]byte) (s string, ok bool) {
	n, k := binary.Uvarint(*b)
	if k <= 0 || uint64(len(*b)-k) < n {
		return "", false
	}
	s = string((*b)[k : k+int(n)])
	*b = (*b)[k+int(n):]
	return s, true
}

// setMeta changes what this agent gossips about itself: change edits a
// copy of the metadata and reports whether there is anything to gossip;
// the copy is encoded and, when it fits, becomes the metadata memberlist
// hands out. Sending it is the caller's business (memberlist's
// UpdateNode), outside the lock.
func (a *Agent) setMeta(change func(*nodeMeta) bool) (changed bool, err error) {
	a.metaMu.Lock()
	defer a.metaMu.Unlock()
	m := a.meta
	if !change(&m) {
		return false, nil
	}
	b, err := m.encode()
	if err != nil {
		return false, err
	}
	a.meta = m
	a.dlg.meta.Store(&b)
	return true, nil
}
