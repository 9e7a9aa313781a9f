package membership

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/discod/discod/catalog"
)

// Repairs since a version.
//
// A receiver that missed a change pulls with its version of the owner's
// records (msgRecordsPullSince). The owner keeps its latest deltas, a
// chain, and answers with one delta merging those after that version,
// over TCP, which the receiver applies as any delta; when its history
// does not reach back that far, with its whole set. A lost delta thus costs about its own
// bytes, not the owner's set.
//
// Agents of the previous release do not know msgRecordsPullSince and
// ignore it: a pull since a version left unanswered for
// recordsPullTimeout makes the next pulls to that owner plain ones, until
// it sends a peer exchange (which only this build does) or a set of a new
// run (an upgrade restarts it).

const (
	// recordsHistoryDeltas and recordsHistoryRows bound the deltas kept,
	// and the rows (services, checks and deletions) in them.
	recordsHistoryDeltas = 256
	recordsHistoryRows   = 4096
)

// remember keeps d, our latest change, in the history.
func (s *spreader) remember(d catalog.Delta) {
	s.histMu.Lock()
	defer s.histMu.Unlock()
	if n := len(s.hist); n > 0 && s.hist[n-1].To != d.From {
		s.hist = s.hist[:0] // not a chain (a new run's records): start again
	}
	s.hist = append(s.hist, d)
	rows := 0
	for _, h := range s.hist {
		rows += deltaRows(h)
	}
	drop := 0
	for len(s.hist)-drop > recordsHistoryDeltas || rows > recordsHistoryRows && len(s.hist)-drop > 1 {
		rows -= deltaRows(s.hist[drop])
		drop++
	}
	if drop > 0 {
		s.hist = append(s.hist[:0], s.hist[drop:]...)
	}
}

func deltaRows(d catalog.Delta) int {
	n := len(d.Services) + len(d.Checks) + len(d.DeleteServices) + len(d.DeleteChecks) + len(d.DeleteNodes)
	for _, e := range d.Nodes {
		n += 1 + len(e.Services) + len(e.Checks)
	}
	return n
}

// since returns one delta from v to our latest version, merged from the
// history, if the history reaches back to v.
func (s *spreader) since(v catalog.Version) (catalog.Delta, bool) {
	s.histMu.Lock()
	defer s.histMu.Unlock()
	for i, h := range s.hist {
		if h.From == v {
			return mergeDeltas(s.hist[i:]), true
		}
	}
	return catalog.Delta{}, false
}

// mergeDeltas returns the one delta that does what the chain ds does:
// the last write of each row (and of each external node, which is
// replaced whole) wins.
func mergeDeltas(ds []catalog.Delta) catalog.Delta {
	if len(ds) == 1 {
		return ds[0]
	}
	svcs, checks := map[string]*catalog.Service{}, map[string]*catalog.Check{}
	delS, delC := map[string]bool{}, map[string]bool{}
	nodes, delN := map[string]*catalog.ExternalNode{}, map[string]string{} // by lower-case name
	for _, d := range ds {
		for _, name := range d.DeleteNodes {
			delete(nodes, strings.ToLower(name))
			delN[strings.ToLower(name)] = name
		}
		for i := range d.Nodes {
			nodes[strings.ToLower(d.Nodes[i].Name)] = &d.Nodes[i]
			delete(delN, strings.ToLower(d.Nodes[i].Name))
		}
		for _, id := range d.DeleteChecks {
			delete(checks, id)
			delC[id] = true
		}
		for _, id := range d.DeleteServices {
			delete(svcs, id)
			delS[id] = true
		}
		for i := range d.Services {
			svcs[d.Services[i].ID] = &d.Services[i]
			delete(delS, d.Services[i].ID)
		}
		for i := range d.Checks {
			checks[d.Checks[i].CheckID] = &d.Checks[i]
			delete(delC, d.Checks[i].CheckID)
		}
	}
	out := catalog.Delta{From: ds[0].From, To: ds[len(ds)-1].To}
	for _, id := range sortedKeys(svcs) {
		out.Services = append(out.Services, *svcs[id])
	}
	for _, id := range sortedKeys(checks) {
		out.Checks = append(out.Checks, *checks[id])
	}
	out.DeleteServices = sortedKeys(delS)
	out.DeleteChecks = sortedKeys(delC)
	for _, k := range sortedKeys(nodes) {
		out.Nodes = append(out.Nodes, *nodes[k])
	}
	for _, k := range sortedKeys(delN) {
		out.DeleteNodes = append(out.DeleteNodes, delN[k])
	}
	return out
}

// sendRepair answers node's pull since v: the merged delta when the
// history reaches back to v (it holds at most recordsHistoryRows rows),
// else the whole set.
func (s *spreader) sendRepair(node string, v catalog.Version) {
	self := s.a.cfg.NodeName
	d, ok := s.since(v)
	cur := s.a.table.RecordsVersion(self)
	n := s.member(node)
	if n == nil {
		return
	}
	if ok && d.To == cur {
		msg, err := encodeRecordsMsg(msgRecordsDelta, recordsMsg{Owner: self, Delta: d})
		if err == nil && s.send(n, msgRecordsDelta, msg, true) {
			s.c.repairsSent.Add(1)
			return
		}
	}
	s.sendSet(node)
}

// applyOverlap applies d, which does not follow what we hold of owner's
// records, when what we hold lies within it: a repair merged from several
// changes (mergeDeltas) that arrives after we applied the first of them.
// A merged delta sets every row its changes touched to its last value, so
// it brings any version between its From and To, of the same run, to To.
// (A single change spans no version in between.)
func (s *spreader) applyOverlap(owner string, d catalog.Delta) catalog.DeltaResult {
	cur := s.a.table.RecordsVersion(owner)
	if cur.Epoch != d.From.Epoch || d.To.Epoch != cur.Epoch || !d.From.Less(cur) || !cur.Less(d.To) {
		return catalog.DeltaGap
	}
	d.From = cur
	return s.a.table.ApplyDelta(owner, d)
}

// pullAnswered ends the pull in flight to owner once we hold what it was
// for (a repair delta, or the deltas it waited for, arrived).
func (s *spreader) pullAnswered(owner string) {
	key := strings.ToLower(owner)
	v := s.a.table.RecordsVersion(owner)
	s.mu.Lock()
	if p, ok := s.pulls[key]; ok && !v.Less(p.want) {
		delete(s.pulls, key)
	}
	s.mu.Unlock()
}

// sinceCapable notes that node may answer pulls since a version: it sent
// a peer exchange (only this build does), or records of a new run.
func (s *spreader) sinceCapable(node string) {
	key := strings.ToLower(node)
	s.mu.Lock()
	delete(s.plain, key)
	s.mu.Unlock()
}

func encodeRecordsPullSince(owner, requester string, v catalog.Version) []byte {
	p := appendString(appendString(nil, owner), requester)
	p = binary.AppendUvarint(p, v.Epoch)
	p = binary.AppendUvarint(p, v.Seq)
	return frameRecordsMsg(msgRecordsPullSince, p)
}

func decodeRecordsPullSince(b []byte) (owner, requester string, v catalog.Version, err error) {
	r := &wireReader{b: b}
	owner, requester = r.str("owner"), r.str("requester")
	v = catalog.Version{Epoch: r.uvarint("epoch"), Seq: r.uvarint("seq")}
	switch {
	case r.err != nil:
		return "", "", v, fmt.Errorf("records pull since: %w", r.err)
	case owner == "" || requester == "" || len(r.b) > 0:
		return "", "", v, errors.New("records pull since: no owner or requester, or bytes after the end")
	}
	return owner, requester, v, nil
}
