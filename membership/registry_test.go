package membership

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestRegistryRegister: an owner's agent is found by name, cannot be
// taken by Acquire or registered twice, and is withdrawn only by its own
// Unregister. Register and Registered take the place of SetProcessAgent
// and ProcessAgent, the process-global agent consulnode's parse read.
func TestRegistryRegister(t *testing.T) {
	a := newAgent(t, testConfig(t, "reg-a", "127.0.1.160"))
	b := newAgent(t, testConfig(t, "reg-b", "127.0.1.161"))
	const name = "test-register"

	if got := Registered(name); got != nil {
		t.Fatalf("Registered(%q) = %v before Register; want nil", name, got)
	}
	if err := Register(name, a); err != nil {
		t.Fatal(err)
	}
	defer Unregister(name, a)
	if got := Registered(name); got != a {
		t.Fatalf("Registered(%q) = %v; want the registered agent", name, got)
	}
	if err := Register(name, b); !errors.Is(err, ErrNameTaken) {
		t.Errorf("second Register = %v; want ErrNameTaken", err)
	}
	if _, _, err := Acquire(name, testConfig(t, "reg-c", "127.0.1.162")); !errors.Is(err, ErrNameTaken) {
		t.Errorf("Acquire of a registered name = %v; want ErrNameTaken", err)
	}
	if err := Release(a); err == nil {
		t.Error("Release of a registered agent succeeded; want an error (its owner shuts it down)")
	}
	if err := Register("test-nil", nil); err == nil {
		t.Error("Register(nil) succeeded; want an error")
	}

	Unregister(name, b) // not the registered one: no effect
	if Registered(name) != a {
		t.Fatal("Unregister of another agent withdrew the registered one")
	}
	Unregister(name, a)
	if got := Registered(name); got != nil {
		t.Errorf("Registered(%q) = %v after Unregister; want nil", name, got)
	}
	if !a.Ready() {
		t.Error("Unregister stopped the agent; want it left to its owner")
	}
}

// TestRegistryAcquire: the first Acquire creates the agent, later ones
// share it (reporting changed settings), Registered does not return it,
// and the last Release leaves and shuts it down.
func TestRegistryAcquire(t *testing.T) {
	const name = "test-acquire"
	cfg := testConfig(t, "acq", "127.0.1.163")
	a, how, err := Acquire(name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if how != Created {
		t.Errorf("first Acquire: %v; want Created", how)
	}
	b, how, err := Acquire(name, cfg)
	if err != nil || b != a || how != Shared {
		t.Fatalf("second Acquire = %p, %v, %v; want the same agent, Shared", b, how, err)
	}
	other := cfg
	other.Tuning.ProbeInterval = 123
	if c, how, err := Acquire(name, other); err != nil || c != a || how != SharedChanged {
		t.Fatalf("Acquire with other tuning = %p, %v, %v; want the same agent, SharedChanged", c, how, err)
	}
	if Registered(name) != nil {
		t.Error("Registered returns an acquired agent; want only owners' agents")
	}
	if err := Register(name, a); !errors.Is(err, ErrNameTaken) {
		t.Errorf("Register over an acquired name = %v; want ErrNameTaken", err)
	}
	for i := range 2 {
		if err := Release(a); err != nil {
			t.Fatalf("Release %d: %v", i+1, err)
		}
		if !a.Ready() {
			t.Fatalf("agent stopped after release %d of 3", i+1)
		}
	}
	if err := Release(a); err != nil {
		t.Fatalf("last Release: %v", err)
	}
	if a.Ready() {
		t.Error("agent still ready after the last Release")
	}
	if err := Release(a); err == nil {
		t.Error("Release after the last one succeeded; want an error")
	}
	// The name is free again: a new agent is created.
	n, how, err := Acquire(name, cfg)
	if err != nil || n == a || how != Created {
		t.Fatalf("Acquire after the last Release = %p, %v, %v; want a new agent", n, how, err)
	}
	if err := Release(n); err != nil {
		t.Fatal(err)
	}
}

// TestLoadKeyring: a saved keyring wins over the seed (stale when it
// lacks the seed's key), a missing file is seeded and written, and no
// path means the seed as it is.
func TestLoadKeyring(t *testing.T) {
	k1, _ := DecodeKey(GenerateKey())
	k2, _ := DecodeKey(GenerateKey())
	dir := t.TempDir()
	path := filepath.Join(dir, KeyringFile)

	keys, stale, err := LoadKeyring("", [][]byte{k1})
	if err != nil || stale || len(keys) != 1 || !slices.Equal(keys[0], k1) {
		t.Fatalf("no path: %v, stale %t, %v; want the seed", keys, stale, err)
	}
	if keys, _, err := LoadKeyring(path, nil); err != nil || keys != nil {
		t.Fatalf("no file, no seed: %v, %v; want no keyring", keys, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no seed wrote a keyring file (stat: %v)", err)
	}
	if keys, stale, err := LoadKeyring(path, [][]byte{k1}); err != nil || stale || !slices.Equal(keys[0], k1) {
		t.Fatalf("seeding: %v, stale %t, %v; want the seed", keys, stale, err)
	}
	if saved, err := ReadKeyringFile(path); err != nil || len(saved) != 1 || !slices.Equal(saved[0], k1) {
		t.Fatalf("seeded file holds %v (%v); want the seed", saved, err)
	}
	if keys, stale, err := LoadKeyring(path, [][]byte{k2}); err != nil || !stale || !slices.Equal(keys[0], k1) {
		t.Fatalf("other seed: %v, stale %t, %v; want the saved key, stale", keys, stale, err)
	}
	if err := os.WriteFile(path, []byte("[]"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadKeyring(path, [][]byte{k1}); err == nil {
		t.Error("an empty keyring file was accepted; want an error naming it")
	}
}
