package membership

import (
	"reflect"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/internal/testproc"
)

// TestRecordsStateFormat: the push/pull state this build sends is read by
// the decoder of the previous release (decodeTombstones, unchanged since
// version 1) as the same tombstones; this build reads the previous
// release's state, its own, and plain version 2, and skips sections it
// does not know.
func TestRecordsStateFormat(t *testing.T) {
	members := []Member{
		{Name: "gone", Run: "r1", Gen: 3, State: StateLeft},
		{Name: "alive", Run: "r2", State: StateAlive},
		{Name: "gone2", Run: "r3", Gen: 0, State: StateLeft},
	}
	v1 := encodeTombstones(members)
	want := decodeTombstones(v1)
	if len(want) != 2 {
		t.Fatalf("fixture: %d tombstones", len(want))
	}
	digests := map[string]catalog.Version{"a": {Epoch: 5, Seq: 1}, "b": {Epoch: 6, Seq: 9}}
	sent := encodeState(encodeTombstones(members), map[byte][]byte{stateSectionDigests: encodeDigests(digests)})

	readDigests := func(t *testing.T, sections map[byte][]byte) map[string]catalog.Version {
		t.Helper()
		got := map[string]catalog.Version{}
		if err := decodeDigests(sections[stateSectionDigests], func(o string, v catalog.Version) { got[o] = v }); err != nil {
			t.Fatal(err)
		}
		return got
	}

	t.Run("old decoder reads the new state", func(t *testing.T) {
		if got := decodeTombstones(sent); !reflect.DeepEqual(got, want) {
			t.Errorf("old decoder: %+v; want %+v", got, want)
		}
		empty := encodeState(encodeTombstones(nil), map[byte][]byte{stateSectionDigests: encodeDigests(digests)})
		if got := decodeTombstones(empty); len(got) != 0 {
			t.Errorf("old decoder on a state without tombstones: %+v", got)
		}
	})
	t.Run("new decoder reads the new state", func(t *testing.T) {
		ts, sections, err := decodeState(sent)
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeTombstones(ts); !reflect.DeepEqual(got, want) {
			t.Errorf("tombstones %+v; want %+v", got, want)
		}
		if got := readDigests(t, sections); !reflect.DeepEqual(got, digests) {
			t.Errorf("digests %v; want %v", got, digests)
		}
	})
	t.Run("new decoder reads version 1", func(t *testing.T) {
		ts, sections, err := decodeState(v1)
		if err != nil || len(sections) != 0 || !reflect.DeepEqual(decodeTombstones(ts), want) {
			t.Errorf("v1: %+v, %v, %v", decodeTombstones(ts), sections, err)
		}
	})
	t.Run("plain version 2 with an unknown section", func(t *testing.T) {
		b := []byte{stateVersionSections}
		b = appendSection(b, 99, []byte("from the future"))
		b = appendSection(b, stateSectionTombstones, v1[1:])
		b = appendSection(b, stateSectionDigests, encodeDigests(digests))
		ts, sections, err := decodeState(b)
		if err != nil || !reflect.DeepEqual(decodeTombstones(ts), want) || !reflect.DeepEqual(readDigests(t, sections), digests) {
			t.Errorf("v2: %+v, %v", decodeTombstones(ts), err)
		}
		if got := decodeTombstones(b); len(got) != 0 {
			t.Errorf("the old decoder read plain version 2: %+v", got)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		for i := 1; i < len(sent); i++ {
			ts, sections, _ := decodeState(sent[:i])
			if ts == nil {
				t.Fatalf("cut at %d: the tombstones were lost", i)
			}
			if d, ok := sections[stateSectionDigests]; ok {
				_ = decodeDigests(d, func(string, catalog.Version) {})
			}
		}
	})
}

// TestDigestIntervalScales: 10 s up to 300 members, then one digest per
// member at no more than 30 a second.
func TestDigestIntervalScales(t *testing.T) {
	a := newAgent(t, testConfig(t, "r221", "127.0.0.221"))
	for i := range 999 {
		a.Table().Upsert(Member{Name: "m" + itoa(uint16(i)), State: StateAlive})
	}
	if d := a.rec.digestInterval(); d.Seconds() < 30 || d.Seconds() > 37 {
		t.Errorf("at 1,000 members the digest period is %v; want about 33 s", d)
	}
	a.rec.setDigestEvery(0)
	for i := range 999 {
		a.Table().RemoveNode("m" + itoa(uint16(i)))
	}
	if d := a.rec.digestInterval(); d.Seconds() < 9 || d.Seconds() > 11 {
		t.Errorf("alone the digest period is %v; want about 10 s", d)
	}
}

// TestSpreadPushPullDigests: an agent that missed every delta, digest and
// set of an owner learns of its version from a third agent in
// memberlist's push/pull exchange, and pulls from the owner.
func TestSpreadPushPullDigests(t *testing.T) {
	as := recordsCluster(t, 222, 3)
	hook := func(to string, typ byte) bool { return to == "r224" && typ != msgRecordsPull }
	as[0].rec.dropSend.Store(&hook)
	newTestOwner(as[0]).register(t, svc("x", "x", 1))
	testproc.WaitFor(t, 10*time.Second, "r223 has the records", func() bool { return sameRecords(as[0], as[1:2]) })
	if sameRecords(as[0], as[2:]) {
		t.Fatal("r224 got records that were all dropped")
	}
	hook2 := func(string, byte) bool { return false }
	as[0].rec.dropSend.Store(&hook2)                                 // the owner answers pulls again
	if _, err := as[2].Join([]string{joinAddr(as[1])}); err != nil { // a push/pull with r223
		t.Fatal(err)
	}
	waitConverged(t, "r224 repaired through push/pull", as[:1], as)
	if c := as[2].RecordsCounts(); c.PullsSent == 0 || c.DigestsReceived != 0 {
		t.Errorf("r224 counts %+v; want a pull and no digest message", c)
	}
}
