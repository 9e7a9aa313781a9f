package membership

import (
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/hashicorp/memberlist"

	"github.com/discod/discod/internal/testproc"
)

// The hostile-peer tests use 127.0.3.1–127.0.3.20.

// hostileSelf and hostilePeer are the agent under attack and a member it
// already knows, whose name the fuzzer can aim at.
const (
	hostileSelf = "victim"
	hostilePeer = "peer"
)

// hostileAgent starts a lone agent on ip that holds records of its own and
// of a known alive peer, as a target for messages a peer can send.
func hostileAgent(tb testing.TB, ip string) *Agent {
	tb.Helper()
	c := DefaultConfig()
	c.NodeName, c.Profile = hostileSelf, "local"
	c.BindAddr, c.BindPort = netip.MustParseAddr(ip), 0
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := New(c)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { _ = a.Shutdown() })
	meta, err := nodeMeta{ID: NewNodeID(), Datacenter: "dc1", Run: newRunID()}.encode()
	if err != nil {
		tb.Fatal(err)
	}
	(&events{a: a}).NotifyJoin(&memberlist.Node{Name: hostilePeer, Addr: netip.MustParseAddr("127.0.3.99").AsSlice(), Port: 8301, Meta: meta})
	own := catalog.Version{Epoch: 100, Seq: 3}
	a.table.ReplaceRecords(hostileSelf, own, []catalog.Service{{ID: "web-1", Name: "web", Port: 80}}, nil)
	a.table.ReplaceRecords(hostilePeer, catalog.Version{Epoch: 50, Seq: 1}, []catalog.Service{{ID: "db-1", Name: "db", Port: 5432}}, nil)
	return a
}

// hostileInvariants checks what no peer's message may break: the store's
// index never goes back, this node stays alive in its own table with the
// records it wrote, lookups still work, and the push/pull state we would
// send still decodes.
type hostileInvariants struct {
	a       *Agent
	index   uint64
	ownVer  catalog.Version
	ownSvcs int
}

func newHostileInvariants(a *Agent) *hostileInvariants {
	v, svcs, _ := a.table.Records(hostileSelf)
	return &hostileInvariants{a: a, index: a.table.Index(), ownVer: v, ownSvcs: len(svcs)}
}

func (h *hostileInvariants) check(t *testing.T) {
	t.Helper()
	tbl := h.a.table
	if idx := tbl.Index(); idx < h.index {
		t.Fatalf("store index went back from %d to %d", h.index, idx)
	} else {
		h.index = idx
	}
	if m, ok := tbl.LookupFold(hostileSelf); !ok || (m.State != StateAlive && m.State != StateLeaving) {
		t.Fatalf("this node in its own table = %+v, %v; want it alive", m, ok)
	}
	if v, svcs, _ := tbl.Records(hostileSelf); v != h.ownVer || len(svcs) != h.ownSvcs {
		t.Fatalf("this node's own records changed by a peer: version %v with %d services; want %v with %d", v, len(svcs), h.ownVer, h.ownSvcs)
	}
	for _, m := range tbl.Members() {
		if _, ok := tbl.LookupFold(m.Name); !ok {
			t.Fatalf("member %q listed but not found", m.Name)
		}
	}
	_ = tbl.AppendEndpoints(nil, "web", "", true)
	_, _ = tbl.ServiceInstances("db", nil)
	if _, _, err := decodeState(h.a.pushPullState(false)); err != nil {
		t.Fatalf("our own push/pull state no longer decodes: %v", err)
	}
}

// FuzzHostilePeer sends what a malformed or hostile peer can: a user
// message of any type byte (force-leave, leaving intent, keyring request
// and reply, records delta — external nodes included — set, pull, pull
// since a version, digest and peer exchange), a push/pull state
// (tombstones, digest section), and a node's metadata in a join, update
// or leave event. Nothing may panic, and the invariants of
// hostileInvariants hold after every input.
func FuzzHostilePeer(f *testing.F) {
	a := hostileAgent(f, "127.0.3.1")
	inv := newHostileInvariants(a)
	ev := &events{a: a}

	delta, _ := encodeRecordsMsg(msgRecordsDelta, recordsMsg{Owner: hostilePeer, Delta: catalog.Delta{
		From: catalog.Version{Epoch: 50, Seq: 1}, To: catalog.Version{Epoch: 50, Seq: 2},
		Services: []catalog.Service{{ID: "db-2", Name: "db", Port: 5433}}}})
	set, _ := encodeRecordsMsg(msgRecordsSet, recordsMsg{Owner: hostileSelf, Delta: catalog.Delta{To: catalog.Version{Epoch: 999, Seq: 1}}})
	external, _ := encodeRecordsMsg(msgRecordsDelta, recordsMsg{Owner: hostilePeer, Delta: catalog.Delta{
		From: catalog.Version{Epoch: 50, Seq: 2}, To: catalog.Version{Epoch: 50, Seq: 3},
		Nodes: []catalog.ExternalNode{{Name: "rds-1", Address: "10.0.0.5", Meta: map[string]string{"k": "v"},
			Services: []catalog.Service{{ID: "pg", Name: "postgres", Port: 5432}}}}}})
	meta, _ := nodeMeta{ID: NewNodeID(), Datacenter: "dc1", Run: "0123456789abcdef", Gen: 2}.encode()
	for _, seed := range []struct {
		kind uint8
		name string
		b    []byte
	}{
		{0, "", encodeMsg(msgForceLeave, hostilePeer, "0")},
		{0, "", encodeMsg(msgForceLeave, hostileSelf, "1")},
		{0, "", encodeMsg(msgLeaving, hostilePeer, "x")},
		{0, "", encodeMsg(msgKeyringReq, "id", "list", "", hostilePeer)},
		{0, "", encodeMsg(msgKeyringResp, "id", hostilePeer, "", "a,b", "a")},
		{0, "", delta},
		{0, "", set},
		{0, "", encodeRecordsDigest(hostilePeer, catalog.Version{Epoch: 51})},
		{0, "", encodeRecordsPull(hostileSelf, hostilePeer)},
		{0, "", external},
		{0, "", encodeRecordsPullSince(hostileSelf, hostilePeer, catalog.Version{Epoch: 1, Seq: 1})},
		{0, "", encodeRecordsExchange(hostilePeer, 0, map[string]catalog.Version{hostileSelf: {Epoch: 999, Seq: 9}, hostilePeer: {Epoch: 60}})},
		{0, "", []byte{msgRecordsDelta, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{1, "", encodeState(encodeTombstones([]Member{{Name: hostileSelf, Run: "r", Gen: 9, State: StateLeft}}),
			map[byte][]byte{stateSectionDigests: encodeDigests(map[string]catalog.Version{hostilePeer: {Epoch: 60}})})},
		{1, "", encodeTombstones([]Member{{Name: hostilePeer, Run: "r", Gen: 1, State: StateLeft}})},
		{1, "", []byte{stateVersionSections, stateSectionDigests, 0x80}},
		{2, "other", meta},
		{3, "PEER", meta},
		{4, hostilePeer, nil},
		{2, "other", []byte{0xff, 0x00}},
	} {
		f.Add(seed.kind, seed.name, seed.b)
	}
	f.Fuzz(func(t *testing.T, kind uint8, name string, b []byte) {
		switch kind % 5 {
		case 0:
			a.handleMsg(b)
		case 1:
			a.mergePushPull(b, kind&0x80 != 0)
		default:
			// memberlist itself never reports an event about the local
			// node from a peer (a peer that claims our name is a
			// conflict, NotifyConflict), so the fuzzer does not either.
			if strings.EqualFold(name, hostileSelf) {
				return
			}
			n := &memberlist.Node{Name: name, Addr: netip.MustParseAddr("127.0.3.98").AsSlice(), Port: 8301, Meta: b}
			switch kind % 5 {
			case 2:
				ev.NotifyJoin(n)
			case 3:
				ev.NotifyUpdate(n)
			case 4:
				ev.NotifyLeave(n)
			}
		}
		inv.check(t)
	})
}

// TestHostileLeavingIntentAboutUs: a leaving intent naming this node and
// its run, sent by a peer while the node runs, does not make the node
// leaving in its own table (only the node itself decides that it leaves).
func TestHostileLeavingIntentAboutUs(t *testing.T) {
	a := hostileAgent(t, "127.0.3.2")
	inv := newHostileInvariants(a)
	a.handleMsg(encodeMsg(msgLeaving, hostileSelf, a.runID()))
	a.handleMsg(encodeMsg(msgForceLeave, hostileSelf, "0"))
	a.handleMsg(encodeMsg(msgForceLeave, hostileSelf, "1"))
	inv.check(t)
	if m, _ := a.table.LookupFold(hostileSelf); m.State != StateAlive {
		t.Fatalf("this node after a peer's leave messages about it: %v; want alive", m.State)
	}
}

// TestHostileTombstoneAboutUs: a tombstone naming this node's run is
// refuted (the generation rises), never written on our own row.
func TestHostileTombstoneAboutUs(t *testing.T) {
	a := hostileAgent(t, "127.0.3.3")
	inv := newHostileInvariants(a)
	before := a.Local().Gen
	a.mergePushPull(encodeTombstones([]Member{{Name: strings.ToUpper(hostileSelf), Run: a.runID(), Gen: before, State: StateLeft}}), false)
	inv.check(t)
	testproc.WaitFor(t, 5*time.Second, "the generation raised past the tombstone", func() bool {
		a.metaMu.Lock()
		defer a.metaMu.Unlock()
		return a.meta.Gen > before
	})
}

// runID returns this run's ID, as gossiped in the node metadata.
func (a *Agent) runID() string {
	a.metaMu.Lock()
	defer a.metaMu.Unlock()
	return a.meta.Run
}
