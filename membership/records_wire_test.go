package membership

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
)

// fullRecords is a delta that sets every field the wire carries.
func fullRecords() recordsMsg {
	return recordsMsg{Owner: "node-1", Delta: catalog.Delta{
		From: catalog.Version{Epoch: 1700000000000000000, Seq: 41},
		To:   catalog.Version{Epoch: 1700000000000000000, Seq: 42},
		Services: []catalog.Service{{
			ID: "web-1", Name: "web", Tags: []string{"rails", "v2"}, Address: "10.0.0.5", Port: 8080,
			Meta:              map[string]string{"version": "1.2.3", "team": "a"},
			TaggedAddresses:   map[string]catalog.ServiceAddress{"wan": {Address: "192.0.2.1", Port: 80}},
			EnableTagOverride: true, Weights: catalog.Weights{Passing: 10, Warning: 1},
		}, {ID: "db", Name: "db", Port: -1}},
		Checks: []catalog.Check{{
			CheckID: "service:web-1", Name: "web alive", Status: catalog.StatusWarning, Notes: "n",
			Output: "HTTP GET: 503", ServiceID: "web-1", ServiceName: "web", Type: "http",
			Definition: catalog.CheckDefinition{
				HTTP: "http://10.0.0.5:8080/health", Method: "POST", Header: map[string][]string{"X-A": {"1", "2"}},
				Body: "{}", TLSServerName: "web", TLSSkipVerify: true,
				Interval: 10 * time.Second, Timeout: time.Second, DeregisterCriticalServiceAfter: time.Minute,
			},
		}, {CheckID: "ttl", Status: catalog.StatusPassing, Type: "ttl",
			Definition: catalog.CheckDefinition{TCP: "a:1", UDP: "b:2", GRPC: "c:3", H2PING: "d:4"}}},
		DeleteServices: []string{"old"},
		DeleteChecks:   []string{"old-check", "other"},
	}}
}

// payloadOf strips the user message framing off an encoded message.
func payloadOf(t testing.TB, msg []byte) []byte {
	t.Helper()
	fields, err := decodeFields(msg[1:])
	if err != nil || len(fields) != 1 {
		t.Fatalf("framing: %d fields, %v", len(fields), err)
	}
	return []byte(fields[0])
}

func TestRecordsWireRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name string
		m    recordsMsg
	}{
		{"every field", fullRecords()},
		{"empty set", recordsMsg{Owner: "n", Delta: catalog.Delta{To: catalog.Version{Epoch: 1}}}},
		{"deletes only", recordsMsg{Owner: "n", Delta: catalog.Delta{From: catalog.Version{Epoch: 1}, To: catalog.Version{Epoch: 2}, DeleteServices: []string{"a"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := encodeRecordsMsg(msgRecordsDelta, tt.m)
			if err != nil {
				t.Fatal(err)
			}
			if msg[0] != msgRecordsDelta {
				t.Fatalf("type %d", msg[0])
			}
			got, err := decodeRecordsPayload(payloadOf(t, msg))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.m) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, tt.m)
			}
		})
	}
}

func TestRecordsWireRejects(t *testing.T) {
	good, err := encodeRecordsMsg(msgRecordsSet, fullRecords())
	if err != nil {
		t.Fatal(err)
	}
	p := payloadOf(t, good)
	// Every truncation is an error, never a panic.
	for i := range len(p) {
		if _, err := decodeRecordsPayload(p[:i]); err == nil {
			t.Fatalf("a payload cut at %d of %d bytes decoded", i, len(p))
		}
	}
	if _, err := decodeRecordsPayload(append(append([]byte{}, p...), 0)); err == nil || !strings.Contains(err.Error(), "after the end") {
		t.Errorf("trailing byte: %v", err)
	}
	if _, err := decodeRecordsPayload(append([]byte{9}, p[1:]...)); err == nil || !strings.Contains(err.Error(), "format version 9") {
		t.Errorf("other version: %v", err)
	}
	// A huge count fails on the limit, before any allocation.
	huge := []byte{recordsWireVersion, 1, 'n', 0, 0, 1, 1}
	huge = append(huge, 0xff, 0xff, 0xff, 0xff, 0x0f)
	if _, err := decodeRecordsPayload(huge); !errors.Is(err, errRecordsLimit) || !strings.Contains(err.Error(), "services") {
		t.Errorf("huge count: %v", err)
	}

	for _, tt := range []struct {
		name, field string
		mutate      func(*recordsMsg)
	}{
		{"too many tags", "tags", func(m *recordsMsg) { m.Delta.Services[0].Tags = make([]string, maxRecordsList+1) }},
		{"long output", "check output", func(m *recordsMsg) { m.Delta.Checks[0].Output = strings.Repeat("x", maxRecordsString+1) }},
		{"too many services", "services", func(m *recordsMsg) { m.Delta.Services = make([]catalog.Service, maxRecordsServices+1) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := fullRecords()
			tt.mutate(&m)
			if _, err := encodeRecordsMsg(msgRecordsDelta, m); !errors.Is(err, errRecordsLimit) || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("encode: %v; want the %s limit", err, tt.field)
			}
		})
	}
}

// TestRecordsFramingForOlderAgents: every records message reads as one
// string under the user message framing older agents decode
// (decodeFields), so that they ignore the unknown type without a warning.
func TestRecordsFramingForOlderAgents(t *testing.T) {
	big := fullRecords()
	big.Delta.Checks[0].Output = strings.Repeat("o", 20000)
	set, _ := encodeRecordsMsg(msgRecordsSet, big)
	delta, _ := encodeRecordsMsg(msgRecordsDelta, fullRecords())
	for _, msg := range [][]byte{set, delta, encodeRecordsDigest("n", catalog.Version{Epoch: 1}), encodeRecordsPull("n", "m")} {
		if fields, err := decodeFields(msg[1:]); err != nil || len(fields) != 1 {
			t.Errorf("type %d: %d fields, %v; want one string", msg[0], len(fields), err)
		}
	}
}

func TestRecordsDigestAndPullWire(t *testing.T) {
	v := catalog.Version{Epoch: 7, Seq: 9}
	owner, got, err := decodeRecordsDigest(payloadOf(t, encodeRecordsDigest("n1", v)))
	if err != nil || owner != "n1" || got != v {
		t.Errorf("digest = %q %v %v", owner, got, err)
	}
	o, r, err := decodeRecordsPull(payloadOf(t, encodeRecordsPull("n1", "n2")))
	if err != nil || o != "n1" || r != "n2" {
		t.Errorf("pull = %q %q %v", o, r, err)
	}
	if _, _, err := decodeRecordsDigest([]byte{5, 'a'}); err == nil {
		t.Error("truncated digest decoded")
	}
}

// FuzzDecodeRecords feeds arbitrary bytes to every records decoder: none
// may panic, and what decodes re-encodes to something that decodes the
// same.
func FuzzDecodeRecords(f *testing.F) {
	good, _ := encodeRecordsMsg(msgRecordsDelta, fullRecords())
	f.Add(good[2:]) // the payload (its length prefix is two bytes)
	f.Add([]byte{})
	f.Add([]byte{recordsWireVersion})
	f.Add([]byte{recordsWireVersion, 1, 'n', 0, 0, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add(encodeRecordsDigest("n", catalog.Version{Epoch: 1})[2:])
	f.Add(encodeDigests(map[string]catalog.Version{"a": {Epoch: 1, Seq: 2}}))
	f.Add(encodeState(encodeTombstones(nil), map[byte][]byte{stateSectionDigests: {0}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := decodeRecordsPayload(b); err == nil {
			msg, err := encodeRecordsMsg(msgRecordsSet, m)
			if err != nil {
				t.Fatalf("decoded but cannot re-encode: %v", err)
			}
			again, err := decodeRecordsPayload(payloadOf(t, msg))
			if err != nil || !reflect.DeepEqual(again, m) {
				t.Fatalf("re-decoded %+v, %v; want %+v", again, err, m)
			}
		}
		_, _, _ = decodeRecordsDigest(b)
		_, _, _ = decodeRecordsPull(b)
		_ = decodeDigests(b, func(string, catalog.Version) {})
		_, _, _ = decodeState(b)
	})
}
