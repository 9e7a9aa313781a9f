package membership

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/hashicorp/memberlist"
)

// Anti-entropy of records: pulls, digests, join pushes, and the push/pull
// state format.

const (
	// recordsDigestEvery is the digest period up to recordsDigestRate × it
	// members; above, it grows with the member count so that no agent
	// receives more than recordsDigestRate digests a second.
	recordsDigestEvery = 10 * time.Second
	recordsDigestRate  = 30

	// recordsTailDigest is how long after the last delta of a burst the
	// owner sends one more digest to every member (fanLoop): a lost last
	// delta is otherwise seen only at the next change or the next period.
	// recordsTailAgain later it sends that digest once more, for the
	// members that lost the first one too. At 1,000 members with 1 %
	// packet loss a change then reaches everyone within 1.5 s at the 99th
	// percentile, where one tail digest a second after the burst left it
	// at 7.4 s, for about 5 % more bytes (docs/PERFORMANCE.md, "Model at
	// 1,000"; bench/internal/spreadsim models both).
	recordsTailDigest = 500 * time.Millisecond
	recordsTailAgain  = 700 * time.Millisecond
)

// pullState is a pull in flight: since when, for what version, and
// whether it asks for the changes since our version (msgRecordsPullSince)
// or the whole set (msgRecordsPull).
type pullState struct {
	at    time.Time
	want  catalog.Version
	since bool
}

// requestPull asks owner for what we miss of its records unless a pull to
// it is in flight, after grace, and only if by then we still hold a
// version older than want: the changes since our version
// (records_history.go), or, from an owner that did not answer such a
// pull, the whole set.
func (s *spreader) requestPull(owner string, want catalog.Version, grace time.Duration) {
	key := strings.ToLower(owner)
	s.mu.Lock()
	if p, ok := s.pulls[key]; ok {
		if time.Since(p.at) < recordsPullTimeout {
			s.mu.Unlock()
			return
		}
		if p.since {
			s.plain[key] = true // unanswered: an owner of an earlier build?
		}
	}
	since := !s.plain[key]
	s.pulls[key] = pullState{at: time.Now(), want: want, since: since}
	s.mu.Unlock()
	typ := msgRecordsPull
	if since {
		typ = msgRecordsPullSince
	}
	fire := func() {
		if !s.a.table.RecordsVersion(owner).Less(want) {
			s.pullDone(owner)
			return
		}
		select {
		case s.bulk <- bulkJob{typ: typ, node: owner}:
		default:
			s.c.drops.Add(1)
			s.pullDone(owner)
		}
	}
	if grace <= 0 {
		fire()
		return
	}
	time.AfterFunc(grace, fire)
}

// pullDone ends the pull in flight to owner, if any.
func (s *spreader) pullDone(owner string) {
	s.mu.Lock()
	delete(s.pulls, strings.ToLower(owner))
	s.mu.Unlock()
}

// queueSet queues our whole set for node unless it is queued already.
func (s *spreader) queueSet(node string) {
	key := strings.ToLower(node)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sets[key] {
		return
	}
	select {
	case s.bulk <- bulkJob{typ: msgRecordsSet, node: node}:
		s.sets[key] = true
	default:
		s.c.drops.Add(1)
	}
}

// sendPull sends owner a pull: since our version (since) or plain.
func (s *spreader) sendPull(owner string, since bool) {
	n := s.member(owner)
	if n == nil {
		s.pullDone(owner) // gone: it has nothing to give
		return
	}
	typ, msg := msgRecordsPull, encodeRecordsPull(n.Name, s.a.cfg.NodeName)
	if since {
		typ, msg = msgRecordsPullSince, encodeRecordsPullSince(n.Name, s.a.cfg.NodeName, s.a.table.RecordsVersion(owner))
	}
	if s.send(n, typ, msg, true) {
		s.c.pullsSent.Add(1)
	}
}

func (s *spreader) sendSet(node string) {
	s.mu.Lock()
	delete(s.sets, strings.ToLower(node))
	s.mu.Unlock()
	self := s.a.cfg.NodeName
	v, svcs, checks, nodes := s.a.table.RecordSet(self)
	n := s.member(node)
	if v.IsZero() || n == nil {
		return // no records yet (the local state will publish them), or no such member
	}
	msg, err := encodeRecordsMsg(msgRecordsSet, recordsMsg{Owner: self, Delta: catalog.Delta{To: v, Services: svcs, Checks: checks, Nodes: nodes}})
	if err != nil {
		s.c.drops.Add(1)
		s.a.log.Error("cannot send this node's records", "node", node, "error", err)
		return
	}
	if s.send(n, msgRecordsSet, msg, true) {
		s.c.setsSent.Add(1)
	}
}

// sendDigest sends our version to every other member.
func (s *spreader) sendDigest() {
	self := s.a.cfg.NodeName
	v := s.a.table.RecordsVersion(self)
	if v.IsZero() {
		return
	}
	s.c.digestsSent.Add(s.sendAll(msgRecordsDigest, encodeRecordsDigest(self, v)))
}

// digestInterval returns the next digest period, jittered by ±10 %.
func (s *spreader) digestInterval() time.Duration {
	d := time.Duration(s.digestEvery.Load())
	if d <= 0 {
		n := s.a.table.Count(StateAlive, "", "")
		d = max(recordsDigestEvery, time.Duration(n)*time.Second/recordsDigestRate)
	}
	return d*9/10 + rand.N(d/5+1)
}

// recordsJoined is the join hook (events.go): a node that joins gets our
// whole set. It only queues: memberlist holds its node lock.
func (a *Agent) recordsJoined(n *memberlist.Node) {
	if s := a.rec; s != nil && s.on && n.Name != a.cfg.NodeName {
		s.queueSet(n.Name)
	}
}

// The push/pull state.
//
// Version 2 of the state memberlist's push/pull exchange carries is
// sectioned: a header byte (stateVersionSections), then sections, each a
// type byte, a uvarint length and that many bytes. A reader skips the
// sections it does not know, so each part grows on its own; a part that
// needs an incompatible change takes a new section type.
//
// Builds before version 2 read only version 1 (tombstoneStateVersion,
// tombstones.go): byte 0 must be 1, then name/run/generation string
// triplets to the end, and decodeTombstones stops, keeping what it read,
// at the first string it cannot read. For one release, therefore, this
// build sends version 1 with version 2 behind it: byte 1, the tombstone
// triplets, stateTrailer — the prefix of a string 2³²−1 bytes long, which
// no state can hold, so an older reader stops there — then the version 2
// header and its sections (the tombstones are not repeated). Readers of
// this build take both that and plain version 2, whose tombstone section
// holds the same triplets; the next release sends plain version 2.
const (
	stateVersionSections = 2

	stateSectionTombstones  byte = 1 // tombstone triplets, as version 1 after its byte
	stateSectionDigests     byte = 2 // every owner's records version
	stateSectionDatacenters byte = 3 // every server's datacenter list (datacenters.go)
)

// stateTrailer separates the version 1 tombstones from version 2.
var stateTrailer = []byte{0xff, 0xff, 0xff, 0xff, 0x0f}

// maxStateSection bounds one section: memberlist refuses user state over
// 20 MiB anyway.
const maxStateSection = 20 << 20

func appendSection(b []byte, typ byte, payload []byte) []byte {
	b = append(b, typ)
	b = binary.AppendUvarint(b, uint64(len(payload)))
	return append(b, payload...)
}

// encodeState returns the push/pull state: the version 1 tombstones
// (encodeTombstones' output), the trailer, and version 2 with the given
// sections (type → payload).
func encodeState(tombstones []byte, sections map[byte][]byte) []byte {
	b := append(tombstones, stateTrailer...)
	b = append(b, stateVersionSections)
	for _, typ := range []byte{stateSectionDigests, stateSectionDatacenters} {
		if p, ok := sections[typ]; ok {
			b = appendSection(b, typ, p)
		}
	}
	return b
}

// decodeState splits a push/pull state into the tombstones in version 1
// form (for decodeTombstones and mergeState) and the version 2 sections.
// A state of another version yields nothing; an unreadable version 2
// part yields the tombstones and an error.
func decodeState(b []byte) (tombstones []byte, sections map[byte][]byte, err error) {
	if len(b) == 0 {
		return nil, nil, nil
	}
	switch b[0] {
	case tombstoneStateVersion:
		rest := b[1:]
		for len(rest) > 0 {
			before := rest
			_, ok1 := readString(&rest)
			_, ok2 := readString(&rest)
			_, ok3 := readString(&rest)
			if !ok1 || !ok2 || !ok3 {
				rest = before
				break
			}
		}
		tombstones = b[:len(b)-len(rest)]
		if len(rest) == 0 {
			return tombstones, nil, nil // a build before version 2
		}
		if len(rest) < len(stateTrailer)+1 || string(rest[:len(stateTrailer)]) != string(stateTrailer) {
			return tombstones, nil, errors.New("push/pull state: unreadable bytes after the tombstones")
		}
		rest = rest[len(stateTrailer):]
		if rest[0] != stateVersionSections {
			return tombstones, nil, nil // a later version behind the trailer: not ours to read
		}
		sections, err = decodeSections(rest[1:])
		return tombstones, sections, err
	case stateVersionSections:
		sections, err = decodeSections(b[1:])
		if ts, ok := sections[stateSectionTombstones]; ok {
			tombstones = append([]byte{tombstoneStateVersion}, ts...)
		}
		return tombstones, sections, err
	}
	return nil, nil, nil
}

func decodeSections(b []byte) (map[byte][]byte, error) {
	out := map[byte][]byte{}
	for len(b) > 0 {
		typ := b[0]
		n, k := binary.Uvarint(b[1:])
		if k <= 0 || n > maxStateSection || n > uint64(len(b)-1-k) {
			return out, fmt.Errorf("push/pull state: section %d: %w", typ, errRecordsTruncated)
		}
		if _, dup := out[typ]; !dup {
			out[typ] = b[1+k : 1+k+int(n)]
		}
		b = b[1+k+int(n):]
	}
	return out, nil
}

// encodeDigests returns the digest section: every owner's version.
func encodeDigests(vs map[string]catalog.Version) []byte {
	b := binary.AppendUvarint(nil, uint64(len(vs)))
	for _, owner := range sortedKeys(vs) {
		b = appendString(b, owner)
		b = binary.AppendUvarint(b, vs[owner].Epoch)
		b = binary.AppendUvarint(b, vs[owner].Seq)
	}
	return b
}

// decodeDigests calls fn for each owner and version of a digest section.
func decodeDigests(b []byte, fn func(owner string, v catalog.Version)) error {
	r := &wireReader{b: b}
	n := r.count("digests", len(b))
	for range n {
		owner := r.str("owner")
		v := catalog.Version{Epoch: r.uvarint("epoch"), Seq: r.uvarint("seq")}
		if r.err != nil {
			break
		}
		fn(owner, v)
	}
	if r.err != nil {
		return fmt.Errorf("push/pull digests: %w", r.err)
	}
	return nil
}

// pushPullState is the delegate's LocalState: tombstones and, in the LAN
// pool, every owner's records version and every server's datacenter list.
func (a *Agent) pushPullState(join bool) []byte {
	sections := map[byte][]byte{}
	if a.rec.on {
		sections[stateSectionDigests] = encodeDigests(a.table.Versions())
	}
	if !a.cfg.WAN {
		sections[stateSectionDatacenters] = encodeDatacenterSection(a.table)
	}
	return encodeState(a.localState(join), sections)
}

// mergePushPull is the delegate's MergeRemoteState: a peer's tombstones
// (mergeState), digests (we pull from every owner whose version the peer
// holds newer than ours) and datacenter lists.
func (a *Agent) mergePushPull(buf []byte, join bool) {
	ts, sections, err := decodeState(buf)
	if ts != nil {
		a.mergeState(ts, join)
	}
	if d, ok := sections[stateSectionDigests]; ok && a.rec.on {
		if derr := decodeDigests(d, a.rec.behind); derr != nil {
			err = errors.Join(err, derr)
		}
	}
	if d, ok := sections[stateSectionDatacenters]; ok && !a.cfg.WAN {
		if derr := decodeDatacenterSection(d, func(l dcList) { a.applyDatacenters(l, "a peer's push/pull") }); derr != nil {
			err = errors.Join(err, derr)
		}
	}
	if err != nil {
		a.rec.malformed(0, err)
	}
}

// tailDigests schedules an owner's tail digests: recordsTailDigest after
// the last delta of a burst (each delta starts the wait again), and once
// more recordsTailAgain after that, so that a member that lost the
// burst's last delta, and so sees no gap, learns of it within about a
// second instead of a digest period, even when it lost the first tail
// digest too. fanLoop owns it.
type tailDigests struct{ again bool }

// delta returns how long after a delta sent now the first tail digest is
// due.
func (t *tailDigests) delta() time.Duration {
	t.again = false
	return recordsTailDigest
}

// sent reports, after a tail digest was sent, whether another is due and
// how long after it.
func (t *tailDigests) sent() (time.Duration, bool) {
	if t.again {
		return 0, false
	}
	t.again = true
	return recordsTailAgain, true
}
