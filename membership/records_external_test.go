package membership

import (
	"reflect"
	"testing"

	"github.com/discod/discod/catalog"
)

func TestRecordsWireExternalNodes(t *testing.T) {
	m := fullRecords()
	m.Delta.Nodes = []catalog.ExternalNode{{
		Name: "rds-1", ID: "0f6c2a36-1d8e-4ad8-9c51-6d3c1a0f2b11", Address: "db.example.com",
		TaggedAddresses: map[string]string{"wan": "192.0.2.9"}, Meta: map[string]string{"external-node": "true"},
		Services: m.Delta.Services[:1], Checks: m.Delta.Checks[:1],
	}, {Name: "bare", Address: "10.0.0.7"}}
	m.Delta.DeleteNodes = []string{"gone"}
	msg, err := encodeRecordsMsg(msgRecordsDelta, m)
	if err != nil {
		t.Fatal(err)
	}
	p := payloadOf(t, msg)
	if p[0] != recordsWireVersion {
		t.Fatalf("format version %d, want %d", p[0], recordsWireVersion)
	}
	got, err := decodeRecordsPayload(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
	}

	t.Run("without external nodes the message stays version 1", func(t *testing.T) {
		msg, err := encodeRecordsMsg(msgRecordsDelta, fullRecords())
		if err != nil {
			t.Fatal(err)
		}
		if p := payloadOf(t, msg); p[0] != recordsWireVersionOne {
			t.Fatalf("format version %d", p[0])
		}
	})
	t.Run("every truncation is an error", func(t *testing.T) {
		for i := range len(p) - 1 {
			if _, err := decodeRecordsPayload(p[:i]); err == nil {
				t.Fatalf("truncated to %d of %d bytes: no error", i, len(p))
			}
		}
	})
}
