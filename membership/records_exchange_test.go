package membership

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/internal/testproc"
)

// The peer exchange tests use 127.0.1.153–160.

func TestRecordsExchangeWire(t *testing.T) {
	vs := map[string]catalog.Version{"a": {Epoch: 5, Seq: 1}, "b": {Epoch: 1 << 62, Seq: 9}}
	msg := encodeRecordsExchange("Peer-1", exchangeAnswer, vs)
	if msg[0] != msgRecordsExchange {
		t.Fatalf("type %d", msg[0])
	}
	_, k := binary.Uvarint(msg[1:])
	sender, flags, got, err := decodeRecordsExchange(msg[1+k:])
	if err != nil || sender != "Peer-1" || flags != exchangeAnswer || !reflect.DeepEqual(got, vs) {
		t.Fatalf("decoded %q %d %v %v", sender, flags, got, err)
	}
	for i := range len(msg) - 1 - k {
		if _, _, _, err := decodeRecordsExchange(msg[1+k : 1+k+i]); err == nil {
			t.Errorf("cut at %d: no error", i)
		}
	}
	many := map[string]catalog.Version{}
	for i := range recordsExchangeMax + 10 {
		many[fmt.Sprintf("n%05d", i)] = catalog.Version{Epoch: 1, Seq: uint64(i)}
	}
	w, f := exchangeWindow(many)
	if len(w) != recordsExchangeMax || f != exchangePartial {
		t.Errorf("window of %d owners: %d, flags %d; want %d, partial", len(many), len(w), f, recordsExchangeMax)
	}
	if w, f := exchangeWindow(vs); len(w) != 2 || f != 0 {
		t.Errorf("window of 2 owners: %d, flags %d", len(w), f)
	}
}

func TestExchangeAnswerOf(t *testing.T) {
	v := func(seq uint64) catalog.Version { return catalog.Version{Epoch: 7, Seq: seq} }
	mine := map[string]catalog.Version{"a": v(5), "b": v(5), "c": v(5), "peer": v(9)}
	tests := []struct {
		name  string
		flags byte
		vs    map[string]catalog.Version
		want  map[string]catalog.Version
	}{
		{"equal", 0, map[string]catalog.Version{"a": v(5), "b": v(5), "c": v(5), "peer": v(1)}, map[string]catalog.Version{}},
		{"peer behind and lacking", 0, map[string]catalog.Version{"a": v(4), "b": v(6), "peer": v(9)}, map[string]catalog.Version{"a": v(5), "c": v(5)}},
		{"partial: a missing owner is not lacked", exchangePartial, map[string]catalog.Version{"a": v(4)}, map[string]catalog.Version{"a": v(5)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exchangeAnswerOf("Peer", tt.flags, tt.vs, mine); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("answer %v; want %v", got, tt.want)
			}
		})
	}
}

// exchangeCluster starts n agents on 127.0.1.<first>… and joins them.
func exchangeCluster(t *testing.T, first, n int) []*Agent {
	t.Helper()
	var out []*Agent
	for i := range n {
		a := newAgent(t, testConfig(t, fmt.Sprintf("x%d", first+i), fmt.Sprintf("127.0.1.%d", first+i)))
		a.rec.setDigestEvery(time.Hour)
		for _, o := range out {
			if _, err := a.Join([]string{joinAddr(o)}); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, a)
	}
	waitAlive(t, out)
	waitPushesSent(t, out)
	return out
}

// TestSpreadPeerExchange: an agent that lost an owner's deltas, digests
// and sets learns of the change from a peer's exchange (or its own and
// the answer), and pulls from the owner.
func TestSpreadPeerExchange(t *testing.T) {
	as := exchangeCluster(t, 153, 3)
	// Everything to x155 is lost, a late join push included, until the
	// owner's tail digest has gone out.
	hook := func(to string, typ byte) bool {
		return to == "x155" && (typ == msgRecordsDelta || typ == msgRecordsDigest || typ == msgRecordsSet)
	}
	as[0].rec.dropSend.Store(&hook)
	o := newTestOwner(as[0])
	o.register(t, svc("x", "x", 1))
	o.register(t, svc("y", "y", 2))
	testproc.WaitFor(t, 10*time.Second, "x154 has the records and the tail digest", func() bool {
		return sameRecords(as[0], as[1:2]) && as[0].RecordsCounts().DigestsSent > 0
	})
	if sameRecords(as[0], as[2:]) {
		t.Fatal("x155 got records whose deltas were all dropped")
	}
	none := func(string, byte) bool { return false }
	as[0].rec.dropSend.Store(&none)
	for _, a := range as {
		a.rec.setExchangeEvery(200 * time.Millisecond)
	}
	waitConverged(t, "x155 repaired through the peer exchange", as[:1], as)
	// A pull is counted once its send returned, which may be after the
	// answer arrived.
	testproc.WaitFor(t, 10*time.Second, "x155 counts its pull", func() bool { return as[2].RecordsCounts().PullsSent > 0 })
	c := as[2].RecordsCounts()
	if c.ExchangesReceived == 0 || c.PullsSent == 0 || c.DigestsReceived != 0 {
		t.Errorf("x155 counts %+v; want exchanges and a pull, no digest", c)
	}
}

// TestTailDigests: a burst's deltas are followed by two tail digests,
// recordsTailDigest after the last delta and recordsTailAgain after the
// first, and no more until the next delta; a delta between them starts
// over.
func TestTailDigests(t *testing.T) {
	var td tailDigests
	if got := td.delta(); got != recordsTailDigest {
		t.Fatalf("after a delta: %v; want %v", got, recordsTailDigest)
	}
	if got, ok := td.sent(); !ok || got != recordsTailAgain {
		t.Fatalf("after the first tail digest: %v, %v; want %v, true", got, ok, recordsTailAgain)
	}
	if _, ok := td.sent(); ok {
		t.Fatal("a third tail digest was scheduled")
	}
	td.delta()
	if _, ok := td.sent(); !ok {
		t.Fatal("a delta after the tail digests did not schedule them again")
	}
	td.delta() // a delta between the first and the second starts over
	if got, ok := td.sent(); !ok || got != recordsTailAgain {
		t.Fatalf("after a delta between the two: %v, %v; want the second again", got, ok)
	}
}
