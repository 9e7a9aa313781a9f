package membership

import (
	"encoding/hex"
	"net/netip"
	"slices"
	"testing"

	"github.com/hashicorp/memberlist"
)

// Upgrades: every format discod writes carries a version, and this build
// must keep reading what earlier builds wrote. These fixtures are the
// formats as released (version 1); a later format version adds fixtures
// here instead of replacing them.

// metaV1 is node metadata as version 1 writes it: id, dc, role, build and
// one -node-meta pair.
const metaV1 = "01" + "6904" + "61626364" + "6403" + "646331" + "7206" + "736572766572" + "6205" + "302e312e30" + "6d0472616" + "36b" + "027231"

func TestReadsMetaV1(t *testing.T) {
	b, err := hex.DecodeString(metaV1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeMeta(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "abcd" || m.Datacenter != "dc1" || m.Role != RoleServer || m.Build != "0.1.0" || m.Meta["rack"] != "r1" {
		t.Errorf("decoded %+v", m)
	}
	// What this build writes for the same values is still version 1, byte
	// for byte, so older agents in a mixed cluster read it.
	again, err := m.encode()
	if err != nil || hex.EncodeToString(again) != metaV1 {
		t.Errorf("re-encoded %x, %v; want %s", again, err, metaV1)
	}
}

func TestReadsNewerMetaFields(t *testing.T) {
	// A newer node may add fields this build does not know (here tag 'w'
	// with a WAN address): they are skipped, the rest is read.
	b, _ := nodeMeta{ID: "abcd", Datacenter: "dc2"}.encode()
	b = append(b, 'w', 8)
	b = append(b, "10.0.0.1"...)
	m, err := decodeMeta(b)
	if err != nil || m.Datacenter != "dc2" || m.ID != "abcd" {
		t.Errorf("decoded %+v, %v", m, err)
	}
}

func TestReadsSnapshotV1(t *testing.T) {
	s, err := readSnapshot("testdata/snapshot-v1.json")
	if err != nil || len(s.Peers) != 1 || s.Peers[0].Addr != "127.0.0.10:8301" || s.Left {
		t.Errorf("snapshot v1 = %+v, %v", s, err)
	}
}

func TestReadsKeyringV1(t *testing.T) {
	keys, err := ReadKeyringFile("testdata/keyring-v1.json")
	if err != nil || len(keys) != 2 || len(keys[0]) != 32 || len(keys[1]) != 16 {
		t.Errorf("keyring v1 = %d keys, %v", len(keys), err)
	}
}

// The formats this build adds (the leave intent, the datacenter list and
// push/pull section 3), as written by it; and the previous release's forms
// it still reads and writes for that release.

// leaveIntentV1 is msgLeaveIntent: web-1, its run, generation 2.
const leaveIntentV1 = "05" + "05" + "7765622d31" + "10" + "30313233343536373839616263646566" + "01" + "32"

// datacentersV1 is msgDatacenters: s1, its run, version 3, dc2 and dc3.
const datacentersV1 = "06" + "02" + "7331" + "10" + "30313233343536373839616263646566" + "01" + "33" + "03" + "646332" + "03" + "646333"

// stateDatacentersV2 is the push/pull state with one tombstone (gone, its
// run, generation 1) in version 1 form, the trailer, and version 2 with
// section 3: one list, s1's (its run, version 3: dc2, dc3).
const stateDatacentersV2 = "01" + "04" + "676f6e65" + "10" + "66656463626139383736353433323130" + "01" + "31" +
	"ffffffff0f" + "02" + "03" + "1f" + "01" + "02" + "7331" + "10" + "30313233343536373839616263646566" + "03" + "02" + "03" + "646332" + "03" + "646333"

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWritesNewFormatsV1(t *testing.T) {
	run := "0123456789abcdef"
	tb := NewTable()
	tb.Upsert(Member{Name: "s1", Run: run, Role: RoleServer, State: StateAlive, Datacenters: []string{"dc2", "dc3"}, DatacentersVersion: 3})
	ts := encodeTombstones([]Member{{Name: "gone", Run: "fedcba9876543210", Gen: 1, State: StateLeft}})
	for _, tt := range []struct {
		name string
		got  []byte
		want string
	}{
		{"leave intent", encodeLeaveIntent(leaveIntent{Name: "web-1", Run: run, Gen: 2}), leaveIntentV1},
		{"datacenter list", encodeMsg(msgDatacenters, "s1", run, "3", "dc2", "dc3"), datacentersV1},
		{"push/pull with datacenters", encodeState(ts, map[byte][]byte{stateSectionDatacenters: encodeDatacenterSection(tb)}), stateDatacentersV2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if hex.EncodeToString(tt.got) != tt.want {
				t.Errorf("wrote %x; want %s", tt.got, tt.want)
			}
		})
	}
}

// TestReadsNewFormatsV1: the fixtures are read back; and a reader of the
// previous release, which reads only the version 1 tombstones of the
// push/pull state, still finds them.
func TestReadsNewFormatsV1(t *testing.T) {
	a := newAgent(t, testConfig(t, "one", "127.0.1.224"))
	run := "0123456789abcdef"
	a.Table().Upsert(Member{Name: "web-1", Run: run, Gen: 2, State: StateAlive})
	a.Table().Upsert(Member{Name: "s1", Datacenter: "dc1", Role: RoleServer, Run: run, State: StateAlive})
	a.Table().Upsert(Member{Name: "gone", Run: "fedcba9876543210", Gen: 1, State: StateFailed})

	a.handleMsg(mustHex(t, leaveIntentV1))
	if s := state(a, "web-1"); s != StateLeaving {
		t.Errorf("web-1 after the intent fixture: %v; want leaving", s)
	}
	a.handleMsg(mustHex(t, datacentersV1))
	if m, _ := a.Table().Lookup("s1"); !slices.Equal(m.Datacenters, []string{"dc2", "dc3"}) || m.DatacentersVersion != 3 {
		t.Errorf("s1 after the datacenters fixture: %v at %d; want [dc2 dc3] at 3", m.Datacenters, m.DatacentersVersion)
	}
	a.Table().Upsert(Member{Name: "s1", Datacenter: "dc1", Role: RoleServer, Run: run, State: StateAlive})
	a.mergePushPull(mustHex(t, stateDatacentersV2), false)
	if m, _ := a.Table().Lookup("s1"); !slices.Equal(m.Datacenters, []string{"dc2", "dc3"}) {
		t.Errorf("s1 after the push/pull fixture: %v; want [dc2 dc3]", m.Datacenters)
	}
	if s := state(a, "gone"); s != StateLeft {
		t.Errorf("gone after the push/pull fixture: %v; want left", s)
	}
	if got := decodeTombstones(mustHex(t, stateDatacentersV2)); len(got) != 1 || got[0] != (tombstone{"gone", "fedcba9876543210", 1}) {
		t.Errorf("the previous release reads tombstones %+v; want gone's", got)
	}
}

// TestReadsPreviousReleaseLeave: the previous release's leave — the
// leaving flag in its metadata, and msgLeaving with its run only — is read
// as its leave intent, in either order with the leave event; and this
// build still writes the flag and the metadata datacenter list (cut, and
// flagged) that the previous release reads.
func TestReadsPreviousReleaseLeave(t *testing.T) {
	a := newAgent(t, testConfig(t, "one", "127.0.1.225"))
	ev := &events{a: a}
	base := Member{ID: NewNodeID(), Datacenter: "dc1", Role: RoleClient, Addr: netip.MustParseAddr("127.0.1.226"), Port: 8301}
	flagged := func(name, run string) *memberlist.Node {
		b, err := nodeMeta{ID: base.ID, Datacenter: "dc1", Role: RoleClient, Run: run, Gen: 1, Leaving: true}.encode()
		if err != nil {
			t.Fatal(err)
		}
		return &memberlist.Node{Name: name, Addr: base.Addr.AsSlice(), Port: base.Port, Meta: b}
	}
	run := newRunID()
	ev.NotifyJoin(rumour(t, "old-1", base, run, 1))
	ev.NotifyUpdate(flagged("old-1", run))
	if s := state(a, "old-1"); s != StateLeaving {
		t.Errorf("after the leaving flag: %v; want leaving", s)
	}
	ev.NotifyLeave(flagged("old-1", run))
	if s := state(a, "old-1"); s != StateLeft {
		t.Errorf("after the leave with the flag: %v; want left", s)
	}
	run = newRunID()
	ev.NotifyJoin(rumour(t, "old-2", base, run, 1))
	ev.NotifyLeave(rumour(t, "old-2", base, run, 1))
	a.handleMsg(encodeMsg(msgLeaving, "old-2", run))
	if s := state(a, "old-2"); s != StateLeft {
		t.Errorf("msgLeaving after the leave event: %v; want left", s)
	}

	// What the previous release reads from this build's metadata.
	m, _ := fitDatacenters(nodeMeta{ID: "x", Datacenter: "dc1", Role: RoleServer, Leaving: true, Run: run}, manyDatacenters(100))
	b, err := m.encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeMeta(b)
	if err != nil || !got.Leaving || !got.DatacentersPartial || len(got.Datacenters) == 0 {
		t.Errorf("metadata for the previous release = %+v, %v; want the flag and a cut, flagged list", got, err)
	}
}
