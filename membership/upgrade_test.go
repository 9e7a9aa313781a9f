package membership

import (
	"encoding/hex"
	"testing"
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
