package config

import (
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testEnv is a host named host whose interfaces carry addrs.
func testEnv(host string, addrs ...string) *env {
	var list []netip.Addr
	for _, a := range addrs {
		list = append(list, netip.MustParseAddr(a))
	}
	return &env{
		hostname:  func() (string, error) { return host, nil },
		hostAddrs: func() ([]netip.Addr, error) { return list, nil },
	}
}

// oneIP is a host with a single private address, where defaults work.
var oneIP = testEnv("testhost.example.com", "10.9.8.7", "fe80::1", "203.0.113.5")

// mustLoad loads args in e and fails the test on error.
func mustLoad(t *testing.T, e *env, args ...string) *Runtime {
	t.Helper()
	r, err := load(args, io.Discard, e)
	if err != nil {
		t.Fatalf("load %q: %v", args, err)
	}
	return r
}

// loadErr loads args in e and returns the error, failing if there is none.
func loadErr(t *testing.T, e *env, args ...string) error {
	t.Helper()
	r, err := load(args, io.Discard, e)
	if err == nil {
		t.Fatalf("load %q: no error; got %+v", args, r)
	}
	return err
}

// writeFiles creates name → content files in a new temporary directory
// and returns the directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// wantContains fails unless msg contains every one of wants.
func wantContains(t *testing.T, msg string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q\ndoes not contain %q", msg, w)
		}
	}
}

// writeFile replaces a file's content.
func writeFile(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o644)
}
