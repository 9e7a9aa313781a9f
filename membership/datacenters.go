package membership

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// How a server's datacenter list reaches the clients of its datacenter.
//
// The list grows with the federation, so it does not travel in the node
// metadata (memberlist's 512 bytes), and nothing is cut to fit. A server
// (its LAN agent) keeps the list its WAN pool knows with a version that
// it raises at every change, within its run, and writes both into its own
// row. Two ways carry rows' lists on, and every agent applies what they
// bring the same way (applyDatacenters): a list of the run the table holds
// for that server, with a higher version than the one held, replaces it.
//
//   - msgDatacenters, sent by the server to every other member of its LAN
//     pool at each change (reliably: a long list does not fit a packet);
//   - section 3 of the push/pull state (records_sync.go), in which every
//     agent sends the lists of all the servers it holds, so that a member
//     that joins or missed a message learns them at its next exchange.
//
// Events about a server keep the list held for its run (keepDatacenters):
// an update of its metadata does not undo it. A server restarted has a
// new run and sends its list afresh.
//
// Previous release: it reads the list from the metadata only (tag 'f',
// cut to fit, with the flag 'p' when cut). This build keeps writing it
// there (setDatacenters, wan.go), and reads it from servers of that
// release, as a list of version 0 that any list sent the new way
// replaces. Remove next release.

// msgDatacenters carries one server's datacenter list: node name, run,
// version (decimal), then the datacenters, one string each.
const msgDatacenters byte = 6

// dcList is one server's datacenter list as it travels.
type dcList struct {
	Name, Run   string
	Version     uint64
	Datacenters []string
}

// keepDatacenters carries the list held for old's run over to m, the
// member an event describes, unless m says nothing newer itself. It runs
// inside the table's UpdateNode (decideApply).
func keepDatacenters(old *Member, m *Member) {
	if old != nil && old.DatacentersVersion > 0 && old.Run != "" && old.Run == m.Run {
		m.Datacenters, m.DatacentersVersion = old.Datacenters, old.DatacentersVersion
	}
}

// applyDatacenters records l, from how (for the log), when the table holds
// l's server in l's run with an older list. It reports whether it changed
// anything.
func (a *Agent) applyDatacenters(l dcList, how string) bool {
	if l.Version == 0 || l.Run == "" || strings.EqualFold(l.Name, a.cfg.NodeName) {
		return false // our own list is ours to write (setDatacenters)
	}
	dcs := validDatacenters(l.Datacenters)
	m, changed := a.table.UpdateNode(l.Name, func(cur *Member) (Member, bool) {
		if cur == nil || cur.Run != l.Run || cur.DatacentersVersion >= l.Version {
			return Member{}, false
		}
		m := *cur
		m.Datacenters, m.DatacentersVersion = dcs, l.Version
		return m, true
	})
	if changed {
		a.log.Debug("datacenter list updated", "node", m.Name, "datacenters", len(dcs), "version", l.Version, "learned_from", how)
	}
	return changed
}

// validDatacenters returns the valid datacenter names of dcs, lower case,
// sorted, without duplicates.
func validDatacenters(dcs []string) []string {
	var out []string
	for _, dc := range dcs {
		if ValidateLabel("datacenter", dc) == nil {
			out = append(out, strings.ToLower(dc))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// publishOwnDatacenters writes dcs, sorted and without our own
// datacenter, as this server's list at a new version into its own row,
// and sends it to every other member. It reports whether the list
// changed.
func (a *Agent) publishOwnDatacenters(dcs []string) bool {
	var l dcList
	_, changed := a.table.UpdateNode(a.cfg.NodeName, func(cur *Member) (Member, bool) {
		if cur == nil || cur.DatacentersVersion > 0 && slices.Equal(cur.Datacenters, dcs) {
			return Member{}, false
		}
		m := *cur
		m.Datacenters, m.DatacentersVersion = slices.Clone(dcs), cur.DatacentersVersion+1
		l = dcList{Name: m.Name, Run: m.Run, Version: m.DatacentersVersion, Datacenters: m.Datacenters}
		return m, true
	})
	if !changed || a.isShut() {
		return changed
	}
	msg := encodeMsg(msgDatacenters, append([]string{l.Name, l.Run, strconv.FormatUint(l.Version, 10)}, l.Datacenters...)...)
	for _, n := range a.peers() { // peers.go
		select {
		case <-a.stop:
			return true // stopping: push/pull carried it, or the restart will
		default:
		}
		if err := a.ml.SendReliable(n, msg); err != nil {
			a.log.Debug("could not send the datacenter list; push/pull will carry it", "node", n.Name, "error", err)
		}
	}
	return true
}

// handleDatacenters is the handler of msgDatacenters.
func (a *Agent) handleDatacenters(fields []string) {
	if len(fields) < 3 {
		return
	}
	v, err := strconv.ParseUint(fields[2], 10, 64)
	if err != nil {
		a.log.Warn("ignoring a datacenter list with an unreadable version", "node", fields[0], "version", fields[2])
		return
	}
	a.applyDatacenters(dcList{Name: fields[0], Run: fields[1], Version: v, Datacenters: fields[3:]}, "its message")
}

// encodeDatacenterSection returns section 3 of the push/pull state: the
// lists of every server the table holds one for (sent the new way), as a
// count, then per server its name, run, version, a count and the
// datacenters.
func encodeDatacenterSection(t *Table) []byte {
	var ls []dcList
	t.Each(func(m *Member) {
		if m.DatacentersVersion > 0 && m.Run != "" {
			ls = append(ls, dcList{Name: m.Name, Run: m.Run, Version: m.DatacentersVersion, Datacenters: m.Datacenters})
		}
	})
	b := binary.AppendUvarint(nil, uint64(len(ls)))
	for _, l := range ls {
		b = appendString(b, l.Name)
		b = appendString(b, l.Run)
		b = binary.AppendUvarint(b, l.Version)
		b = binary.AppendUvarint(b, uint64(len(l.Datacenters)))
		for _, dc := range l.Datacenters {
			b = appendString(b, dc)
		}
	}
	return b
}

// decodeDatacenterSection calls fn for each list of a section 3; it stops
// with an error at the first thing it cannot read.
func decodeDatacenterSection(b []byte, fn func(dcList)) error {
	r := &wireReader{b: b}
	n := r.count("datacenter lists", len(b))
	for range n {
		l := dcList{Name: r.str("node"), Run: r.str("run"), Version: r.uvarint("version")}
		k := r.count("datacenters", len(r.b))
		for range k {
			l.Datacenters = append(l.Datacenters, r.str("datacenter"))
		}
		if r.err != nil {
			break
		}
		fn(l)
	}
	if r.err != nil {
		return fmt.Errorf("push/pull datacenters: %w", r.err)
	}
	return nil
}
