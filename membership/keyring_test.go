package membership

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
)

func key(t *testing.T) []byte {
	t.Helper()
	k, err := DecodeKey(GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestWrongKeyRefusedWithHint(t *testing.T) {
	k1, k2 := key(t), key(t)
	c1 := testConfig(t, "one", "127.0.1.61")
	c1.Keys = [][]byte{k1}
	one := newAgent(t, c1)
	for _, tc := range []struct {
		name string
		keys [][]byte
		ip   string
	}{{"wrong key", [][]byte{k2}, "127.0.1.62"}, {"no key", nil, "127.0.1.63"}} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(t, "two", tc.ip)
			c.Keys = tc.keys
			two := newAgent(t, c)
			n, err := two.Join([]string{joinAddr(one)})
			if n != 0 || err == nil || !strings.Contains(err.Error(), "encryption key mismatch?") {
				t.Fatalf("join = %d, %v; want a refusal that says encryption key mismatch?", n, err)
			}
			if state(one, "two") != StateNone {
				t.Errorf("one learned of two: %v", state(one, "two"))
			}
		})
	}
}

func TestKeyringRotation(t *testing.T) {
	k1, k2 := key(t), key(t)
	dir := t.TempDir()
	var agents []*Agent
	for i, name := range []string{"one", "two", "three"} {
		c := testConfig(t, name, "127.0.1.7"+string(rune('1'+i)))
		c.Keys = [][]byte{k1}
		c.KeyringPath = filepath.Join(dir, name+".keyring")
		a := newAgent(t, c)
		if i > 0 {
			if _, err := a.Join([]string{joinAddr(agents[0])}); err != nil {
				t.Fatal(err)
			}
		}
		agents = append(agents, a)
	}
	testproc.WaitFor(t, 10*time.Second, "three alive everywhere", func() bool {
		for _, a := range agents {
			if a.Table().Count(StateAlive, "", "") != 3 {
				return false
			}
		}
		return true
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	new := base64.StdEncoding.EncodeToString(k2)
	for _, op := range []struct{ op, key string }{{KeyringInstall, new}, {KeyringUse, new}, {KeyringRemove, base64.StdEncoding.EncodeToString(k1)}} {
		res, err := agents[1].KeyringOp(ctx, op.op, op.key)
		if err != nil || len(res.Failed()) != 0 || len(res.Nodes) != 3 {
			t.Fatalf("%s: %+v, %v; want 3 nodes, none failed", op.op, res, err)
		}
	}
	res, err := agents[2].KeyringOp(ctx, KeyringList, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range res.Nodes {
		if n.Primary != new || len(n.Keys) != 1 {
			t.Errorf("%s after rotation: primary %s keys %v; want only the new key", n.Node, n.Primary, n.Keys)
		}
	}
	// Persisted, so a restart keeps the rotated keyring.
	keys, err := ReadKeyringFile(filepath.Join(dir, "three.keyring"))
	if err != nil || len(keys) != 1 || base64.StdEncoding.EncodeToString(keys[0]) != new {
		t.Errorf("persisted keyring = %v, %v", keys, err)
	}
	// Nobody was lost on the way.
	testproc.WaitFor(t, 5*time.Second, "still three alive on one", func() bool { return agents[0].Table().Count(StateAlive, "", "") == 3 })
	// Removing the primary key is refused by every node, and each says so.
	if r, err := agents[0].KeyringOp(ctx, KeyringRemove, new); err != nil || len(r.Failed()) != 3 {
		t.Errorf("remove of the primary key: %+v, %v; want 3 refusals", r, err)
	}
}
